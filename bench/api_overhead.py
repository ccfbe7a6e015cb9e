"""What the product's stack adds to a request: an authority's API list
endpoint against a bare Django view and a bare DRF view that return the same
rows from the same schema, all served by gunicorn the same way.

    .venv/bin/python bench/api_overhead.py [--rounds 3] [--requests 200] [--clients 6] [--admissions 100]

Against its own database (jointly_bench_api): an authority with a live FPS,
one lot and `--admissions` providers admitted and active on it (set up as
bench/bid_storm.py does, and kept), and its broker (staff, two-factor set up)
with an API token. Two servers start from deploy/gunicorn.conf.py (3 workers
of 2 threads unless WEB_CONCURRENCY/WEB_THREADS say otherwise, DEBUG off):

- the product: `GET /a/<slug>/api/v1/admissions/` with the token: every
  middleware, tenant routing, token authentication, the access policy,
  throttling (rates raised so that nothing is refused: the throttle still
  counts every request in Redis), problem+json handling, the first page of 50;
- the bare server (bench/api_bare_settings.py: no middleware but allauth's) with
  bench/api_bare_urls.py: `/bare/django/<schema>/` (the selector's rows as
  `.values()` in a JsonResponse) and `/bare/drf/<schema>/` (a DRF view with no
  authentication, permission or throttle classes: the same selector,
  serializer and paginator as the API).

It first checks that the three answer 200 with the same admissions in the same
order. Then, each round and for each of the three in turn: `--requests`
requests one at a time from one client (latency: from sending to the last
byte; one keep-alive connection), then `--clients` clients at once, each
sending `--requests` / 2 (requests per second over the whole burst). The
client runs on the same machine. Prints a Markdown table for
docs/benchmarks.md (latencies pooled over the rounds; throughput the median
of the rounds).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointly_bench_api")
os.environ.setdefault("DATABASE_OWNER_URL", os.environ["DATABASE_URL"])
os.environ.setdefault("SECRET_KEY", "bench-api-overhead-only-never-a-real-secret")
# The throttle runs (and counts in Redis) but refuses nothing: refusals are not what is measured.
os.environ.setdefault("API_THROTTLE_TOKEN", "10000000/minute")

import _setup  # noqa: E402
import bid_storm  # noqa: E402

SLUG = "api-bench"


def server_start(log_path: Path, **extra) -> tuple[subprocess.Popen, int]:
    port = bid_storm._free_port()
    env = dict(os.environ, JOINTLY_BIND=f"127.0.0.1:{port}", SITE_URL=f"http://127.0.0.1:{port}",
               DJANGO_DEBUG="false", JOINTLY_HTTPS="false", PYTHONUNBUFFERED="1", **extra)
    log = log_path.open("w")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi", "--config", "deploy/gunicorn.conf.py"],
                               cwd=_setup.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    started = time.monotonic()
    while time.monotonic() - started < 60:
        if process.poll() is not None:
            raise SystemExit(f"a web server stopped:\n{log_path.read_text()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process, port
        except urllib.error.HTTPError:
            return process, port  # it answers (the bare server has no /healthz)
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("a web server did not answer within 60 s")


def get(connection: http.client.HTTPConnection, path: str, headers: dict) -> tuple[int, bytes]:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def sequential(port: int, path: str, headers: dict, count: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            status, _ = get(connection, path, headers)
            times.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
    finally:
        connection.close()
    return times


def concurrent(port: int, path: str, headers: dict, clients: int, each: int) -> tuple[float, list[float]]:
    times, failures, lock = [], [], threading.Lock()
    gate = threading.Barrier(clients + 1)

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        gate.wait()
        try:
            for _ in range(each):
                started = time.perf_counter()
                status, _ = get(connection, path, headers)
                mine.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    failures.append(status)
        finally:
            connection.close()
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{path} answered {sorted(set(failures))} under load")
    return len(times) / elapsed, times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--admissions", type=int, default=100)
    args = parser.parse_args()
    database = os.environ["DATABASE_URL"].rsplit("/", 1)[-1]
    if "bench" not in database:
        raise SystemExit(f"refusing to run against {database}: this benchmark needs a bench database of its own")

    load = _setup.load()
    _setup.start()
    from accounts.models import ApiToken
    from accounts.services import api_token_create

    market = bid_storm.market_ensure(args.admissions, SLUG)
    ApiToken.objects.filter(user=market.broker, name="api overhead").delete()
    _, token = api_token_create(actor=market.broker, name="api overhead", expires_in_days=1)
    schema = market.authority.schema_name

    folder = Path(tempfile.mkdtemp(prefix="api-overhead-"))
    product, product_port = server_start(folder / "product.log")
    try:
        bare, bare_port = server_start(folder / "bare.log", DJANGO_SETTINGS_MODULE="api_bare_settings",
                                       PYTHONPATH=str(_setup.ROOT / "bench"))
    except BaseException:
        product.terminate()
        raise
    targets = [
        ("bare Django view", bare_port, f"/bare/django/{schema}/", {}),
        ("bare DRF view (no auth, permission, throttle)", bare_port, f"/bare/drf/{schema}/", {}),
        ("the authority's API (`/a/<slug>/api/v1/admissions/`)", product_port, f"/a/{SLUG}/api/v1/admissions/",
         {"Authorization": f"Token {token}"}),
    ]
    results = {label: {"sequential": [], "concurrent": [], "throughput": []} for label, *_ in targets}
    try:
        answers = {}
        for label, port, path, headers in targets:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            status, body = get(connection, path, dict(headers, Accept="application/json"))
            connection.close()
            if status != 200:
                raise SystemExit(f"{label} answered {status}: {body[:300]!r}")
            data = json.loads(body)
            answers[label] = (data["count"], [row["id"] for row in data["results"]], len(body))
        if len({(count, tuple(ids)) for count, ids, _ in answers.values()}) != 1:
            raise SystemExit(f"the three do not return the same rows: {answers}")
        for _label, port, path, headers in targets:  # warm every worker up
            concurrent(port, path, headers, args.clients, 5)
        for round_ in range(1, args.rounds + 1):
            for label, port, path, headers in targets:
                results[label]["sequential"] += sequential(port, path, headers, args.requests)
                rate, times = concurrent(port, path, headers, args.clients, max(1, args.requests // 2))
                results[label]["concurrent"] += times
                results[label]["throughput"].append(rate)
                print(f"  round {round_}, {label}: median "
                      f"{statistics.median(results[label]['sequential'][-args.requests:]):.1f} ms alone, "
                      f"{rate:.0f} requests/s with {args.clients} clients", flush=True)
    finally:
        for server in (product, bare):
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    end_load = _setup.load()

    count, ids, _ = next(iter(answers.values()))
    workers, threads = os.environ.get("WEB_CONCURRENCY", "3"), os.environ.get("WEB_THREADS", "2")
    print()
    print(f"Machine: {_setup.machine()}; commit {_setup.commit()}; load average (1/5/15 min) {load} at the start, "
          f"{end_load} at the end.")
    print(f"gunicorn {workers} workers x {threads} threads, DEBUG off; {count} admissions, a page of {len(ids)}; "
          f"{args.rounds} rounds of {args.requests} requests one at a time and {args.clients} clients x "
          f"{max(1, args.requests // 2)} at once; client on the same machine.")
    print()
    print("| Served by | Answer | One at a time: median | p95 | "
          f"{args.clients} at once: median | p95 | Requests/s (range) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, *_ in targets:
        r = results[label]
        rates = r["throughput"]
        print(f"| {label} | {answers[label][2] / 1024:.1f} KiB | {statistics.median(r['sequential']):.1f} ms | "
              f"{p95(r['sequential']):.1f} ms | {statistics.median(r['concurrent']):.1f} ms | "
              f"{p95(r['concurrent']):.1f} ms | {statistics.median(rates):.0f} ({min(rates):.0f}–{max(rates):.0f}) |")


if __name__ == "__main__":
    main()
