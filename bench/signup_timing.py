"""Does sign-up tell a known address from a new one by its time?

Posts the sign-up form (allauth, mandatory e-mail verification, the production
password hasher) alternately with a new address and with one that already has
an account, with our sign-up form and with allauth's own (as before the fix),
interleaved so that a busy machine weighs on all four alike, and prints the
median time of each. Own database (jointly_bench_signup); e-mails go to
memory. Results in docs/benchmarks.md.

    .venv/bin/python bench/signup_timing.py [--runs 21]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointly_bench_signup")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("JOINTLY_HTTPS", "false")

import _setup  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    _setup.start()
    from django.conf import settings
    from django.core import mail
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment

    from accounts.models import User
    from tenancy.services import platform_ensure

    setup_test_environment()  # keeps sent e-mails in memory (mail.outbox)
    platform_ensure()
    stamp = int(time.time())
    # One known address per run: allauth sends at most one mail per address every few minutes.
    forms = {"Jointly's": settings.ACCOUNT_FORMS, "allauth's": {}}
    known = {(form, run): User.objects.create_user(email=f"bench-known-{stamp}-{n}-{run}@example.org",
                                                   password="an-existing-password-2026").email
             for n, form in enumerate(forms) for run in range(args.runs + 2)}
    times = {(form, kind): [] for form in forms for kind in ("new", "known")}
    for run in range(args.runs + 2):  # two to warm up
        for n, (form, kind) in enumerate(times):
            email = (known[form, run] if kind == "known"
                     else f"bench-signup-{stamp}-{n}-{run}@example.org")
            client = Client(REMOTE_ADDR=f"10.{run % 250}.{n}.1")
            mail.outbox = []
            with override_settings(ACCOUNT_FORMS=forms[form]):
                started = time.perf_counter()
                response = client.post("/accounts/signup/", {"email": email, "password1": "Correct-horse-2026!",
                                                             "password2": "Correct-horse-2026!"})
                elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 302, (kind, response.status_code)
            assert len(mail.outbox) == 1, (kind, len(mail.outbox))
            if run >= 2:
                times[form, kind].append(elapsed)
    print(f"hasher: {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[-1]}; {args.runs} runs each")
    for (form, kind), values in times.items():
        print(f"{form:>9} form, {kind:>5} address: median {statistics.median(values):6.1f} ms "
              f"(min {min(values):.1f}, max {max(values):.1f})")
    print(_setup.machine())


if __name__ == "__main__":
    main()
