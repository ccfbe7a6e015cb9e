"""The public directory with a region's worth of providers: the page and the
API, filtered three ways and not at all, at every page size.

    .venv/bin/python bench/directory.py [--runs 30] [--providers 10000] [--gc-freeze]
    .venv/bin/python bench/directory.py --authorities 8 100 [--rounds 2] [--runs 30]

With `--authorities` other than the default 8, each count fills a database of
its own (jointly_bench_directory_<n>): the seven councils and the ICB, plus
councils made up to reach the count, each with three postcode districts of its
own, the same number of providers spread over all of them. Each count is then
measured in a process of its own, the counts in turn, `--rounds` times; the
timings of a count's rounds are pooled. The first count is the anchor of the
others, measured in the same minutes on the same machine.

Fills its own database (jointly_bench_directory; BENCH_DIRECTORY_DATABASE_URL
to change it) once with seven councils and an ICB, and `--providers`
providers with varied services, client groups, areas, postcode districts and
CQC ratings, about 70% of them listed (admitted to a lot of a live agreement
in the admission projection; some others pending, suspended or on an agreement
not yet live). Then requests /directory/ (20 a page) and /api/v1/directory/
at page_size 20, 50 and 100 through Django's test client, in this process and
signed out, with DEBUG off. Reports the median and 95th percentile of
`--runs` timed requests after warming up, and the queries one request runs,
which must not change with the page size. Prints Markdown for
docs/benchmarks.md.
"""

import argparse
import gc
import math
import os
import random
import statistics
import sys
import time

os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DIRECTORY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointly_bench_directory")
SERVER = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
if "bench" not in os.environ["DATABASE_URL"].rsplit("/", 1)[-1]:
    sys.exit("Refusing to fill a database whose name does not say bench.")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
# One client asks thousands of times a minute here: the throttle is not what is measured.
os.environ.setdefault("API_THROTTLE_DIRECTORY", "1000000/minute")

import _setup  # noqa: E402

MARK = "Bench directory"  # in every legal name made here

# slug, name, kind, official code, postcode districts, towns
AREAS = [
    ("cheshire-east", "Cheshire East Council", "council", "E06000049",
     ["CW1", "CW2", "CW4", "CW5", "CW10", "CW11", "CW12", "SK9", "SK10", "SK11", "ST7"],
     ["Crewe", "Nantwich", "Macclesfield", "Congleton", "Wilmslow", "Sandbach"]),
    ("cheshire-west", "Cheshire West and Chester Council", "council", "E06000050",
     ["CH1", "CH2", "CH3", "CH4", "CH64", "CH65", "CH66", "CW6", "CW7", "CW8", "CW9"],
     ["Chester", "Ellesmere Port", "Northwich", "Winsford", "Frodsham"]),
    ("wirral", "Wirral Council", "council", "E08000015",
     ["CH41", "CH42", "CH43", "CH44", "CH45", "CH46", "CH47", "CH48", "CH49", "CH60", "CH61", "CH62", "CH63"],
     ["Birkenhead", "Wallasey", "Heswall", "West Kirby", "Bebington"]),
    ("halton", "Halton Borough Council", "council", "E06000006", ["WA7", "WA8"], ["Runcorn", "Widnes"]),
    ("warrington", "Warrington Borough Council", "council", "E06000007",
     ["WA1", "WA2", "WA3", "WA4", "WA5"], ["Warrington", "Lymm", "Birchwood"]),
    ("liverpool", "Liverpool City Council", "council", "E08000012",
     [f"L{n}" for n in range(1, 26)], ["Liverpool"]),
    ("st-helens", "St Helens Borough Council", "council", "E08000013",
     ["WA9", "WA10", "WA11"], ["St Helens", "Newton-le-Willows"]),
    ("cheshire-merseyside-icb", "NHS Cheshire and Merseyside ICB", "nhs_body", "QYG", [], []),
]

FIRST = ["Meadow", "Hilltop", "Riverside", "Oak", "Willow", "Brook", "Harbour", "Beacon", "Cedar", "Heath",
         "Orchard", "Maple", "Ash", "Elm", "Kingfisher", "Lark", "Sunrise", "Evergreen", "Compass", "Anchor",
         "Bridge", "Castle", "Dee", "Mersey", "Weaver", "Peak", "Vale", "Moss", "Fern", "Holly", "Rowan",
         "Heron", "Lantern", "Harvest", "Oakwood", "Greenacres", "Silverdale", "Marsh", "Bay", "Foxglove"]
SECOND = ["Care", "Support", "Living", "Homecare", "Community Services", "Day Services", "Healthcare",
          "Lifestyles", "Care Partnership", "Futures", "Connections", "Pathways", "Opportunities", "Trust"]
SPECIALISMS = ["positive behaviour support", "sensory impairment", "complex needs", "end of life care",
               "reablement", "epilepsy", "autism friendly environments", "hospital discharge", "dual diagnosis",
               "learning disability and dementia", "young adults in transition", "forensic mental health"]
LANGUAGES = ["Welsh", "Polish", "Urdu", "Punjabi", "Arabic", "British Sign Language", "Romanian", "Cantonese"]
SENTENCES = [
    "Person-centred support that builds confidence and independence.",
    "We work closely with families, carers and social workers.",
    "Visits seven days a week, early mornings and evenings included.",
    "Staff are trained in safeguarding, medication and moving and handling.",
    "Small teams so people see familiar faces.",
    "We help people take part in community life, from volunteering to sport.",
    "Outcome-focused plans reviewed with the person every three months.",
    "Our registered manager has worked in the area for over ten years.",
    "Transport can be arranged to and from activities.",
    "We support people to find and keep paid work.",
]
# Made-up councils beyond the eight above: postcode areas not used by them.
EXTRA_AREAS = ("BA BB BD BH BL BN BR BS CA CB CF CM CO CR CT DA DD DE DG DH DL DN DT DY EN EX FY GL GU HA HD "
               "HG HP HR HU HX IP KT LA LD LE LN LS LU ME MK NE NG NN NP NR OL OX PE PL PO PR RG RH RM SA SE "
               "SG SL SN SO SP SR SS TA TF TN TQ TR TS TW UB WD WF WN WR WS WV YO").split()


def areas_for(authorities: int) -> list:
    """The eight above, and made-up councils up to `authorities` in all."""
    extra = []
    for i in range(max(0, authorities - len(AREAS))):
        code, batch = EXTRA_AREAS[i % len(EXTRA_AREAS)], i // len(EXTRA_AREAS)
        extra.append((f"bench-borough-{i + 1:03d}", f"Bench Borough Council {i + 1}", "council",
                      f"E07{900000 + i:06d}", [f"{code}{batch * 3 + d}" for d in (1, 2, 3)],
                      [f"{code.title()}ton", f"{code.title()}by"]))
    return AREAS + extra


RATINGS = ["Good"] * 70 + ["Outstanding"] * 5 + ["Requires improvement"] * 18 + ["Inadequate"] * 2 + [""] * 5


def fill(count: int, areas_all: list = AREAS) -> None:
    """Create the bench region and `count` providers, unless they are there already."""
    from django.db import connection, transaction

    from shared_catalogue.models import AdmissionProjection, ClientGroup, Provider, ServiceType
    from shared_catalogue.services import providers_search_refresh
    from tenancy.models import Authority, Region
    from tenancy.services import authority_create

    region, _ = Region.objects.get_or_create(ons_code="E12000002", defaults={"name": "North West"})
    authorities = {}
    for made, (slug, name, kind, code, _districts, _towns) in enumerate(areas_all):
        if made % 10 == 9:
            connection.close()  # a session that made many schemas slows each further one (docs/benchmarks.md)
        authorities[slug] = (Authority.objects.filter(slug=slug).first()
                             or authority_create(actor=None, kind=kind, name=name, slug=slug, official_code=code,
                                                 region=region))
    existing = Provider.objects.filter(legal_name__startswith=MARK).count()
    if existing == count:
        print(f"  {count} providers already there", flush=True)
        return
    started = time.perf_counter()
    with transaction.atomic():
        AdmissionProjection.objects.filter(provider__legal_name__startswith=MARK).delete()
        for relation in ("services", "client_groups", "areas"):
            getattr(Provider, relation).through.objects.filter(provider__legal_name__startswith=MARK).delete()
        Provider.objects.filter(legal_name__startswith=MARK).delete()

        rng = random.Random(2026)
        services = list(ServiceType.objects.all())
        groups = list(ClientGroup.objects.all())
        councils = [a for a in areas_all if a[2] == "council"]
        plans = []
        for n in range(count):
            home = rng.choice(councils)
            areas = [home[0]] + [a[0] for a in rng.sample(councils, rng.choice([0, 0, 0, 1, 1, 2])) if a != home]
            if rng.random() < 0.3:
                areas.append("cheshire-merseyside-icb")
            offered = rng.sample(services, rng.choice([1, 1, 2, 2, 3]))
            supported = rng.sample(groups, rng.choice([1, 2, 2, 3]))
            districts = sorted({d for slug in areas for d in next(a[4] for a in areas_all if a[0] == slug)
                                if rng.random() < 0.35} or set(rng.sample(home[4], 1)))
            town = rng.choice(home[5])
            regulated = any(s.cqc_regulated for s in offered)
            rated = regulated and rng.random() < 0.8
            name = f"{rng.choice(FIRST)} {rng.choice(SECOND)} {town}"
            specialisms = rng.sample(SPECIALISMS, rng.choice([0, 1, 1, 2]))
            description = " ".join([
                f"{', '.join(s.name for s in offered).capitalize()} for people with "
                f"{' and '.join(g.name.lower() for g in supported)} in and around {town}.",
                *rng.sample(SENTENCES, 2),
                *(f"Specialist in {s}." for s in specialisms),
            ])
            provider = Provider(
                legal_name=f"{MARK} {n:05d} {name} Limited", name=name, kind="company",
                company_number=f"{30_000_000 + n:08d}", town=town,
                postcode=f"{districts[0]} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                         f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                website=f"https://{name.lower().replace(' ', '')}{n}.example.org",
                contact_email=f"enquiries{n}@example.org", contact_phone=f"01270 {rng.randint(100000, 999999)}",
                description=description, postcode_districts=districts, specialisms=specialisms,
                languages=rng.sample(LANGUAGES, rng.choice([0, 0, 1, 2])),
                cqc_provider_id=f"1-{200_000_000 + n}" if rated else "",
                cqc_overall_rating=rng.choice(RATINGS) if rated else "",
            )
            if provider.cqc_overall_rating:
                provider.cqc_rating_published_on = f"20{rng.randint(19, 25)}-{rng.randint(1, 12):02d}-15"
            plans.append((provider, offered, supported, areas))

        made = Provider.objects.bulk_create([p for p, *_ in plans], batch_size=1000)
        through = {name: getattr(Provider, name).through for name in ("services", "client_groups", "areas")}
        through["services"].objects.bulk_create(
            [through["services"](provider_id=p.pk, servicetype_id=s.pk)
             for p, (_, offered, _, _) in zip(made, plans, strict=True) for s in offered], batch_size=5000)
        through["client_groups"].objects.bulk_create(
            [through["client_groups"](provider_id=p.pk, clientgroup_id=g.pk)
             for p, (_, _, supported, _) in zip(made, plans, strict=True) for g in supported], batch_size=5000)
        through["areas"].objects.bulk_create(
            [through["areas"](provider_id=p.pk, authority_id=authorities[slug].pk)
             for p, (_, _, _, areas) in zip(made, plans, strict=True) for slug in areas], batch_size=5000)

        admissions, next_id = [], 1
        for provider, (_, offered, _, areas) in zip(made, plans, strict=True):
            roll = rng.random()
            if roll < 0.70:    # listed: one to three live lots, now and then one suspended as well
                lots = [(slug, "active", True) for slug in rng.sample(areas, min(len(areas), rng.choice([1, 1, 2, 3])))]
                if rng.random() < 0.05:
                    lots.append((rng.choice(areas), "suspended", True))
            elif roll < 0.85:  # known to an authority but not listed
                lots = [(rng.choice(areas), *rng.choice([("pending_onboarding", True), ("suspended", True),
                                                         ("removed", True), ("active", False)]))]
            else:
                lots = []
            for slug, status, live in lots:
                service = rng.choice(offered)
                authority = authorities[slug]
                admissions.append(AdmissionProjection(
                    authority=authority, provider=provider, admission_id=next_id,
                    agreement_reference=f"{slug.upper()}-DPS-2025", agreement_live=live,
                    agreement_title=f"{authority.name} care and support {'DPS' if live else 'DPS (opens 2027)'}",
                    lot_number=str(service.position + 1), lot_title=service.name, service_type=service,
                    status=status))
                next_id += 1
        AdmissionProjection.objects.bulk_create(admissions, batch_size=5000)
        providers_search_refresh(providers=Provider.objects.filter(legal_name__startswith=MARK))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  made {count} providers, {len(admissions)} admissions in {time.perf_counter() - started:.0f} s",
          flush=True)


SCENARIOS = [
    ("no filter", {}),
    ("words only (q=support)", {"q": "support"}),
    ("service + area + words", {"service": "home-care", "area": "cheshire-east", "q": "dementia"}),
    ("service + district (full postcode)", {"service": "supported-living", "postcode": "CW5 6AA"}),
]
TARGETS = [("page", "/directory/", 20), ("API", "/api/v1/directory/", 20), ("API", "/api/v1/directory/", 50),
           ("API", "/api/v1/directory/", 100)]


def percentile(values, share):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure(runs: int, warm: int):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    rows = []
    for label, params in SCENARIOS:
        for kind, path, size in TARGETS:
            query = dict(params, **({"page_size": size} if kind == "API" else {}))
            for _ in range(warm):
                response = client.get(path, query)
                assert response.status_code == 200, (path, query, response.status_code)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get(path, query)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            counts = []
            for _ in range(3):  # the fewest: a request that refreshes the cached route (every 5 minutes) adds 2
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(path, query)
                counts.append(len(queries.captured_queries))
            found = response.json()["count"] if kind == "API" else int(
                response.content.decode().split('data-testid="result-count">', 1)[1].split(" ", 1)[0])
            rows.append((label, kind, size, found, statistics.median(times), percentile(times, 0.95), min(counts),
                         times))
            print(f"  {label}, {kind} {size}: {found} found, median {rows[-1][4]:.1f} ms, "
                  f"p95 {rows[-1][5]:.1f} ms, {rows[-1][6]} queries", flush=True)
    return rows


def compare(args) -> None:
    """Each count of authorities in a process (and a database) of its own, in turn, `--rounds` times."""
    import json
    import subprocess
    import tempfile

    load = _setup.load()
    pooled, listed = {}, {}
    for _ in range(args.rounds):
        for authorities in args.authorities:
            name = "jointly_bench_directory" + ("" if authorities == len(AREAS) else f"_{authorities}")
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                command = [sys.executable, __file__, "--authorities", str(authorities), "--runs", str(args.runs),
                           "--warm", str(args.warm), "--providers", str(args.providers), "--json", out.name]
                subprocess.run(command + (["--gc-freeze"] if args.gc_freeze else []), check=True,
                               env=dict(os.environ, BENCH_DIRECTORY_DATABASE_URL=f"{SERVER}/{name}"))
                result = json.load(open(out.name))
            for row in result["rows"]:
                label, kind, size, found, _, _, queries, times = row
                entry = pooled.setdefault((label, kind, size, authorities), {"times": [], "found": found,
                                                                             "queries": queries})
                entry["times"] += times
            machine, total = result["machine"], result["total"]
            listed[authorities] = result["listed"]
    print()
    print(f"Machine: {machine}; commit {_setup.commit()}; load average (1/5/15 min) {load} at the start, "
          f"{_setup.load()} at the end; {total} providers, listed: "
          f"{', '.join(f'{listed[n]} with {n} authorities' for n in args.authorities)}; "
          f"{args.rounds} rounds of {args.runs} timed runs "
          f"for each count after {args.warm} to warm up, pooled; DEBUG off"
          f"{'; gc.freeze() after start-up' if args.gc_freeze else ''}.")
    print()
    header = " | ".join(f"{n} authorities: found, median, p95, queries" for n in args.authorities)
    print(f"| Filters | Where | Page size | {header} |")
    print("|---|---|---:|" + "---:|" * len(args.authorities))
    for label, kind, size in dict.fromkeys((k[0], k[1], k[2]) for k in pooled):
        cells = []
        for authorities in args.authorities:
            entry = pooled[(label, kind, size, authorities)]
            cells.append(f"{entry['found']}, {statistics.median(entry['times']):.1f} ms, "
                         f"{percentile(entry['times'], 0.95):.1f} ms, {entry['queries']}")
        print(f"| {label} | {kind} | {size} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--providers", type=int, default=10_000)
    parser.add_argument("--authorities", type=int, nargs="+", default=[len(AREAS)],
                        help="authorities in the region (at least 8); several are measured in turn")
    parser.add_argument("--rounds", type=int, default=1, help="with several --authorities: how many times each")
    parser.add_argument("--json", help=argparse.SUPPRESS)  # one count, measured in this process: raw timings
    parser.add_argument("--gc-freeze", action="store_true",
                        help="after start-up and a first request, move every object to the garbage collector's "
                             "permanent generation (gc.freeze), as a web server could once it has started")
    args = parser.parse_args()
    if args.json is None and (args.authorities != [len(AREAS)] or args.rounds > 1):
        compare(args)
        return
    _setup.start()
    fill(args.providers, areas_for(args.authorities[0]))

    from shared_catalogue import selectors
    from shared_catalogue.models import Provider

    listed = selectors.directory().count()
    total = Provider.objects.count()
    if args.gc_freeze:
        from django.test import Client

        for path in ("/directory/", "/api/v1/directory/"):
            Client().get(path)
        gc.collect()
        gc.freeze()
    rows = measure(args.runs, args.warm)
    for kind in ("page", "API"):
        counts = {(label, n) for label, k, _, _, _, _, n, _ in rows if k == kind}
        per_scenario = {}
        for label, n in counts:
            per_scenario.setdefault(label, set()).add(n)
        uneven = {label: n for label, n in per_scenario.items() if len(n) > 1}
        assert not uneven, f"{kind} query counts change with the page size: {uneven}"
    page_counts = {n for _, kind, _, _, _, _, n, _ in rows if kind == "page"}
    assert len(page_counts) == 1, f"the page's query count changes with the filters: {page_counts}"
    if args.json:
        import json

        with open(args.json, "w") as out:
            json.dump({"rows": rows, "machine": _setup.machine(), "listed": listed, "total": total}, out)
        return

    print()
    print(f"Machine: {_setup.machine()}; commit {_setup.commit()}; {total} providers, {listed} listed; "
          f"{args.runs} timed runs each after {args.warm} to warm up; DEBUG off"
          f"{'; gc.freeze() after start-up' if args.gc_freeze else ''}.")
    print()
    print("| Filters | Where | Page size | Found | Median | p95 | Queries |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, kind, size, found, median, p95, queries, _ in rows:
        print(f"| {label} | {kind} | {size} | {found} | {median:.1f} ms | {p95:.1f} ms | {queries} |")


if __name__ == "__main__":
    main()
