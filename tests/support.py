"""Building blocks for tests, made through the services as a person would."""

from __future__ import annotations

import email
import email.policy
import itertools
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context

from accounts.models import User
from accounts.roles import AuthorityRole, ProviderRole
from accounts.services import membership_grant, provider_membership_grant
from shared_catalogue.models import Provider
from tenancy.models import Authority
from tenancy.models import Region as RegionModel
from tenancy.services import authority_create

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_seq = itertools.count(1)


@dataclass(frozen=True)
class Region:
    """The session's authorities: two councils, an NHS body, and a
    partnership of the first council and the NHS body."""

    alpha: Authority
    beta: Authority
    nhs: Authority
    partners: Authority


SLUGS = ("alpha", "beta", "nhs-north", "alpha-nhs")


def build_region() -> None:
    region, _ = RegionModel.objects.get_or_create(ons_code="E12000002", defaults={"name": "North West"})
    alpha = authority_create(actor=None, kind=Authority.Kind.COUNCIL, name="Alpha Council", slug="alpha",
                             official_code="E06000901", region=region)
    authority_create(actor=None, kind=Authority.Kind.COUNCIL, name="Beta Council", slug="beta",
                            official_code="E06000902", region=region)
    nhs = authority_create(actor=None, kind=Authority.Kind.NHS_BODY, name="NHS North ICB", slug="nhs-north",
                           official_code="QZZ", region=region)
    authority_create(actor=None, kind=Authority.Kind.PARTNERSHIP, name="Alpha and NHS Partnership",
                     slug="alpha-nhs", region=region, members=[alpha, nhs])


def region_exists() -> bool:
    return Authority.objects.filter(slug__in=SLUGS).count() == len(SLUGS)


def region() -> Region:
    found = {a.slug: a for a in Authority.objects.filter(slug__in=SLUGS)}
    return Region(alpha=found["alpha"], beta=found["beta"], nhs=found["nhs-north"], partners=found["alpha-nhs"])


def unique(prefix: str = "person") -> str:
    return f"{prefix}{next(_seq)}-{connection.settings_dict['NAME'][-6:]}"


def make_user(*, email: str | None = None, full_name: str = "", password: str = "a-long-test-password",
              mfa: bool = False) -> User:
    with schema_context(get_public_schema_name()):
        user = User.objects.create_user(email=email or f"{unique()}@example.org", password=password,
                                        full_name=full_name or "Test Person")
        from accounts.services import _verified_address

        _verified_address(user)
        if mfa:
            TOTP.activate(user, TOTP_SECRET)
    return user


def make_staff(authority: Authority, *roles: str, mfa: bool = True, **kwargs) -> User:
    user = make_user(mfa=mfa, **kwargs)
    for role in roles or (AuthorityRole.COMMISSIONER,):
        membership_grant(actor=None, authority=authority, user=user, role=role)
    return user


def make_provider(name: str | None = None) -> Provider:
    name = name or unique("Provider ")
    return Provider.objects.create(legal_name=f"{name} Ltd", name=name)


def make_provider_person(provider: Provider | None = None, *roles: str, **kwargs) -> User:
    provider = provider or make_provider()
    user = make_user(**kwargs)
    for role in roles or (ProviderRole.BID_WRITER,):
        provider_membership_grant(actor=None, provider=provider, user=user, role=role)
    return user


def totp_code(offset: int = 0) -> str:
    import time

    return format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30 + offset))


ALL_STAFF_ROLES = tuple(AuthorityRole.values)


# --- Walking every endpoint of an authority --------------------------------------

@dataclass(frozen=True)
class Endpoint:
    path: str
    name: str
    audience: object
    is_api: bool


def tenant_endpoints(slug: str) -> list[Endpoint]:
    """Every URL pattern an authority serves, with sample values in its converters."""
    from tenancy.routing import urlconf_for

    return _endpoints(urlconf_for(slug))


def public_endpoints() -> list[Endpoint]:
    """Every URL pattern the regional site serves, with sample values."""
    from django.conf import settings

    return _endpoints(settings.PUBLIC_SCHEMA_URLCONF)


def _endpoints(urlconf) -> list[Endpoint]:
    import re

    from django.urls import URLResolver, get_resolver

    from accounts.middleware import view_audience

    def concrete(route: str) -> str:
        route = re.sub(r"<int:[^>]+>", "999999", route)
        return re.sub(r"<(?:str|slug|uuid|path):[^>]+>", "sample", route)

    found = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, route, ns)
            else:
                audience, view_class = view_audience(pattern.callback)
                is_api = view_class is not None and hasattr(view_class, "authentication_classes")
                found.append(Endpoint("/" + concrete(route), f"{namespace}{pattern.name}", audience, is_api))

    walk(get_resolver(urlconf).url_patterns, "", "")
    return found


# --- Other processes against the test database ------------------------------------

def process_env(**extra) -> dict:
    """The environment for a worker or server using this session's test database."""
    import os
    from urllib.parse import quote

    from django.conf import settings

    db = connection.settings_dict  # the application's role, as in production
    env = dict(os.environ)
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    env.update({
        "DATABASE_URL": f"postgres://{quote(db['USER'], safe='')}{password}@{host}/{db['NAME']}",
        "JOINTLY_TESTING": "1",
        "DJANGO_DEBUG": "false",
        "CACHE_URL": settings.CACHES["default"]["LOCATION"],
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EVIDENCE_ROOT": settings.EVIDENCE_ROOT,
        "PYTHONUNBUFFERED": "1",
    })
    env.update({key: str(value) for key, value in extra.items()})
    return env


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2, what: str = "condition"):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --- Acting as a database superuser (tests that tamper) -----------------------------

def _admin_url() -> str:
    from django.conf import settings

    from tenancy.dbsetup import admin_url_for

    db = settings.DATABASES["default"]
    return admin_url_for(f"postgres://x@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/x")


@contextmanager
def superuser_connection():
    """A connection to this session's test database as a PostgreSQL superuser
    (DATABASE_ADMIN_URL), in autocommit: what an attacker with full database
    rights could do. The application never connects like this."""
    from tenancy.dbsetup import connect

    su = connect(_admin_url(), dbname=connection.settings_dict["NAME"])
    try:
        yield su
    finally:
        su.close()


def database_roles_ensure() -> None:
    """The owner and application roles exist (as `make test` makes sure too),
    and a test database left by an earlier run can be dropped by the owner."""
    from django.conf import settings
    from psycopg2 import sql

    from tenancy import dbsetup

    app, owner = settings.DATABASES["default"], settings.DATABASE_OWNER
    admin = dbsetup.connect(_admin_url(), dbname="postgres")
    try:
        dbsetup.ensure_roles(admin, app=app, owner=owner, say=lambda *_: None)
        with admin.cursor() as cursor:
            name = app["TEST"]["NAME"]
            cursor.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name])
            row = cursor.fetchone()
            if row and row[0] != owner["USER"]:
                cursor.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(name), sql.Identifier(owner["USER"])))
    finally:
        admin.close()


def scratch_authority() -> Authority:
    """A committed authority of a test's own, for tests that break its chain."""
    import secrets

    code = "Z" + secrets.token_hex(2).upper()
    slug = f"scratch-{secrets.token_hex(4)}"
    return authority_create(actor=None, kind=Authority.Kind.NHS_BODY, name=f"Scratch {slug}", slug=slug,
                            official_code=code)


def scratch_authority_remove(authority: Authority) -> None:
    """Remove a scratch authority, its schema and its chain's anchors (as a superuser)."""
    with superuser_connection() as su, su.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(f'DROP SCHEMA IF EXISTS "{authority.schema_name}" CASCADE')
        cursor.execute("SELECT to_regclass('jointly_audit.chain_anchor') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("DELETE FROM jointly_audit.chain_anchor WHERE chain = %s", [authority.schema_name])
        # Rows that point at the authority (routes, memberships, projections), then the authority.
        cursor.execute("SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c "
                       "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                       "WHERE c.contype = 'f' AND c.confrelid = 'public.tenancy_authority'::regclass")
        for table, column in cursor.fetchall():
            cursor.execute(f'DELETE FROM {table} WHERE "{column}" = %s', [authority.pk])
        cursor.execute("DELETE FROM tenancy_authority WHERE id = %s", [authority.pk])
    from tenancy.routing import forget_routes

    forget_routes(authority.slug)
def confirm_second_factor(client, user, *, seconds_ago: float = 0) -> None:
    """Sign `user` in on `client` as allauth records a two-factor code entered
    `seconds_ago` (token management needs a recent one)."""
    import time

    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "type": "totp",
                                                  "at": time.time() - seconds_ago}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def mail_in(folder: Path) -> list[email.message.EmailMessage]:
    """Every message a worker or server wrote to `folder`, one `.eml` file
    each (common.mail.EmlFileBackend), parsed: subjects unfolded and decoded,
    so a test counts messages, never files."""
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
            for f in sorted(Path(folder).glob("*.eml"))]
