"""The demo region, built from the council reports in shared/domain/seeds:
Cheshire East, Cheshire West and Chester and Wirral councils, the NHS
Cheshire and Merseyside ICB, and the Cheshire and Wirral partnership of all
four, with a person for every role and a handful of providers.

Everything goes through the services, as a person would do it, and running
it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import AuthorityMembership, ProviderMembership, User
from accounts.roles import AuthorityRole, ProviderRole
from accounts.services import _verified_address, membership_grant, provider_membership_grant
from shared_catalogue import services as catalogue_services
from shared_catalogue.models import ClientGroup, Provider, ServiceType
from tenancy.models import Authority, Region
from tenancy.services import authority_create, platform_ensure

PASSWORD = "demo-password-2026"
# A shared authenticator secret for every demo staff account, so that one
# entry in an authenticator app (or `manage.py demo_totp`) signs them all in.
TOTP_SECRET = "JOINTLYDEMOSECRETJOINTLYDEMO2345"
DOMAIN = "example"

REGION = ("North West", "E12000002")

AUTHORITIES = [
    # slug, name, kind, code, mail domain
    ("cheshire-east", "Cheshire East Council", Authority.Kind.COUNCIL, "E06000049", "cheshireeast"),
    ("cheshire-west", "Cheshire West and Chester Council", Authority.Kind.COUNCIL, "E06000050", "cheshirewest"),
    ("wirral", "Wirral Council", Authority.Kind.COUNCIL, "E08000015", "wirral"),
    ("cheshire-merseyside-icb", "NHS Cheshire and Merseyside ICB", Authority.Kind.NHS_BODY, "QYG", "icb"),
]
PARTNERSHIP = ("cheshire-wirral", "Cheshire and Wirral Partnership")

# Made-up people, one per role in each council; the ICB commissions and pays.
STAFF = {
    "cheshire-east": [
        ("Alex Morgan", "commissioner", [AuthorityRole.COMMISSIONER]),
        ("Priya Shah", "broker", [AuthorityRole.BROKER]),
        ("Tom Walsh", "evaluator", [AuthorityRole.EVALUATOR]),
        ("Grace Okafor", "quality", [AuthorityRole.QUALITY_OFFICER]),
        ("Sam Ellis", "finance", [AuthorityRole.FINANCE_VIEWER]),
        ("Jo Bennett", "admin", [AuthorityRole.AUTHORITY_ADMIN]),
    ],
    "cheshire-west": [
        ("Chris Doyle", "commissioner", [AuthorityRole.COMMISSIONER]),
        ("Hannah Reid", "broker", [AuthorityRole.BROKER]),
        ("Imran Ali", "evaluator", [AuthorityRole.EVALUATOR]),
        ("Ruth Parry", "quality", [AuthorityRole.QUALITY_OFFICER]),
        ("Dan Hughes", "finance", [AuthorityRole.FINANCE_VIEWER]),
        ("Megan Price", "admin", [AuthorityRole.AUTHORITY_ADMIN]),
    ],
    "wirral": [
        ("Lee Carter", "commissioner", [AuthorityRole.COMMISSIONER]),
        ("Nia Roberts", "broker", [AuthorityRole.BROKER]),
        ("Owen Jones", "evaluator", [AuthorityRole.EVALUATOR]),
        ("Fatima Khan", "quality", [AuthorityRole.QUALITY_OFFICER]),
        ("Ben Turner", "finance", [AuthorityRole.FINANCE_VIEWER]),
        ("Kate Lewis", "admin", [AuthorityRole.AUTHORITY_ADMIN]),
    ],
    "cheshire-merseyside-icb": [
        ("Ravi Patel", "commissioner", [AuthorityRole.COMMISSIONER, AuthorityRole.EVALUATOR]),
        ("Emma Stone", "finance", [AuthorityRole.FINANCE_VIEWER]),
        ("Paul Green", "admin", [AuthorityRole.AUTHORITY_ADMIN]),
    ],
}

PROVIDERS = [
    # legal name, trading name, kind, mail domain
    ("Brightday Opportunities CIC", "Brightday Opportunities", Provider.Kind.CIC, "brightday"),
    ("Meadow Farm Day Services Limited", "Meadow Farm", Provider.Kind.COMPANY, "meadowfarm"),
    ("Wirral Supported Living Trust", "Wirral Supported Living", Provider.Kind.CHARITY, "wslt"),
    ("Hilltop Home Care Limited", "Hilltop Home Care", Provider.Kind.COMPANY, "hilltop"),
    ("Riverside Recovery Partnership", "Riverside Recovery", Provider.Kind.PARTNERSHIP, "riverside"),
    ("Castle Care at Home Limited", "Castle Care at Home", Provider.Kind.COMPANY, "castlecare"),
    ("Peak Homecare Services Limited", "Peak Homecare", Provider.Kind.COMPANY, "peakhomecare"),
]
PROVIDER_PEOPLE = [
    # name, provider domain, local part, roles
    ("Sarah Wood", "brightday", "sarah", [ProviderRole.PROVIDER_ADMIN]),
    ("Mo Hassan", "brightday", "mo", [ProviderRole.BID_WRITER]),
    ("Lucy Fox", "meadowfarm", "lucy", [ProviderRole.PROVIDER_ADMIN, ProviderRole.BID_WRITER]),
    ("Gareth Evans", "wslt", "gareth", [ProviderRole.PROVIDER_ADMIN]),
    ("Amira Begum", "hilltop", "amira", [ProviderRole.PROVIDER_ADMIN]),
    ("Joe Kelly", "riverside", "joe", [ProviderRole.PROVIDER_ADMIN]),
    ("Helen Marsh", "castlecare", "helen", [ProviderRole.PROVIDER_ADMIN]),
    ("Kwame Mensah", "peakhomecare", "kwame", [ProviderRole.PROVIDER_ADMIN]),
]
# A freelance bid writer who works for two providers with one login.
# What each provider tells the region about itself (made up, in the seed reports' terms).
PROFILES = {
    "brightday": {
        "company_number": "11223344", "town": "Crewe", "postcode": "CW1 2BJ", "website": "https://brightday.example",
        "services": ["day-opportunities-building-based", "community-support", "employment-skills-training"],
        "client_groups": ["learning-disability", "autism"], "areas": ["cheshire-east"],
        "postcode_districts": ["CW1", "CW2", "CW5"],
        "description": "Day opportunities in Crewe and Nantwich: a community café, gardening, arts and "
                       "travel training, with support into volunteering and paid work.",
        "specialisms": ["positive behaviour support", "travel training"], "languages": ["British Sign Language"],
        "capacity_statement": "Places for 8 more people on weekdays from January.",
    },
    "meadowfarm": {
        "company_number": "09876543", "town": "Nantwich", "postcode": "CW5 6AA",
        "website": "https://meadowfarm.example",
        "services": ["day-opportunities-building-based", "employment-skills-training"],
        "client_groups": ["learning-disability", "physical-disability", "older-people"],
        "areas": ["cheshire-east", "cheshire-west"], "postcode_districts": ["CW5", "CW6", "CH3"],
        "description": "A working farm: animal care, horticulture and a farm shop, with accessible "
                       "facilities and personal care on site.",
        "specialisms": ["complex physical needs"], "languages": [],
        "capacity_statement": "Up to 5 more people, Tuesday to Thursday.",
    },
    "wslt": {
        "charity_number": "1098765", "cqc_provider_id": "1-1098765432", "cqc_locations": ["1-2098765431"],
        "town": "Birkenhead", "postcode": "CH41 5AB", "website": "https://wslt.example",
        "services": ["supported-living", "community-support"],
        "client_groups": ["learning-disability", "autism", "mental-health"],
        "areas": ["wirral", "cheshire-west"], "postcode_districts": ["CH41", "CH43", "CH62", "CH65"],
        "description": "Supported living in shared and single tenancies across Wirral and Ellesmere Port.",
        "specialisms": ["transition from hospital", "positive behaviour support"], "languages": ["Welsh"],
        "capacity_statement": "Two vacancies in a shared house in Birkenhead.",
    },
    "hilltop": {
        "company_number": "08765432", "cqc_provider_id": "1-1087654321", "cqc_locations": ["1-2087654321"],
        "town": "Macclesfield", "postcode": "SK10 1AA", "website": "https://hilltop.example",
        "services": ["home-care"], "client_groups": ["older-people", "dementia", "physical-disability"],
        "areas": ["cheshire-east"], "postcode_districts": ["SK10", "SK11", "CW12"],
        "description": "Home care in Macclesfield and Congleton, including double-handed calls and "
                       "rapid starts for hospital discharge.",
        "specialisms": ["end of life care", "dementia care"], "languages": ["Polish", "Urdu"],
        "capacity_statement": "About 60 more hours a week in SK10 and SK11.",
    },
    "castlecare": {
        "company_number": "07654321", "cqc_provider_id": "1-1076543210", "cqc_locations": ["1-2076543210"],
        "town": "Crewe", "postcode": "CW2 7AA", "website": "https://castlecare.example",
        "services": ["home-care"], "client_groups": ["older-people", "physical-disability"],
        "areas": ["cheshire-east"], "postcode_districts": ["CW1", "CW2", "CW11"],
        "description": "Home care in Crewe and Sandbach, with electronic call monitoring and care plans.",
        "specialisms": ["reablement"], "languages": [],
        "capacity_statement": "About 40 more hours a week in CW1 and CW2.",
    },
    "peakhomecare": {
        "company_number": "06543210", "cqc_provider_id": "1-1065432109", "cqc_locations": ["1-2065432109"],
        "town": "Congleton", "postcode": "CW12 1AA", "website": "https://peakhomecare.example",
        "services": ["home-care"], "client_groups": ["older-people", "dementia"],
        "areas": ["cheshire-east"], "postcode_districts": ["CW12", "SK11"],
        "description": "Home care in Congleton and the Peak fringe, including rural rounds.",
        "specialisms": ["dementia care"], "languages": [],
        "capacity_statement": "Limited: rural rounds only.",
    },
    "riverside": {
        "town": "Chester", "postcode": "CH1 1AA", "website": "https://riverside-recovery.example",
        "services": ["mental-health-recovery", "community-support"], "client_groups": ["mental-health"],
        "areas": ["cheshire-west", "wirral", "cheshire-merseyside-icb"], "postcode_districts": ["CH1", "CH2", "CH4"],
        "description": "Recovery-focused support for adults with mental health needs: peer support, "
                       "housing-related support and groups.",
        "specialisms": ["peer support", "dual diagnosis"], "languages": [],
        "capacity_statement": "Open to referrals.",
    },
}

# Documents in each locker: (type, title, months since issue, months to expiry, cover)
EVIDENCE = [
    ("public_liability", "Public liability certificate", 11, 1, 5_000_000),
    ("employers_liability", "Employer's liability certificate", 10, 2, 10_000_000),
    ("safeguarding_policy", "Safeguarding adults policy", 6, None, None),
    ("business_continuity", "Business continuity plan", 3, None, None),
]
DEMO_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

SHARED_BID_WRITER = ("Nadia Brooks", "nadia.brooks@bids.example", ["brightday", "riverside"])

OPERATOR = ("Platform Operator", "operator@jointly.example")


@dataclass
class SeedReport:
    created: int = 0

    def count(self, created: bool) -> None:
        self.created += int(created)


def _person(email: str, full_name: str, report: SeedReport, *, operator: bool = False,
            mfa: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, full_name=full_name,
                                        is_platform_operator=operator)
        user.password = _password_hash()  # one slow hash for every demo account
        user.save(update_fields=["password"])
        _verified_address(user)
        report.count(True)
    if mfa and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)
    return user


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return make_password(PASSWORD)


def staff_email(slug: str, local: str) -> str:
    domain = next(a[4] for a in AUTHORITIES if a[0] == slug)
    return f"{local}@{domain}.{DOMAIN}"


def seed_demo() -> SeedReport:
    report = SeedReport()
    platform_ensure()
    with transaction.atomic():
        region, created = Region.objects.get_or_create(ons_code=REGION[1], defaults={"name": REGION[0]})
        report.count(created)
        operator = _person(OPERATOR[1], OPERATOR[0], report, operator=True, mfa=True)

    authorities = {}
    for slug, name, kind, code, _ in AUTHORITIES:
        authority = Authority.objects.filter(slug=slug).first()
        if authority is None:
            authority = authority_create(actor=operator, kind=kind, name=name, slug=slug,
                                         official_code=code, region=region,
                                         reason="Demo region (seed_demo)")
            report.count(True)
        authorities[slug] = authority
    partnership = Authority.objects.filter(slug=PARTNERSHIP[0]).first()
    if partnership is None:
        partnership = authority_create(
            actor=operator, kind=Authority.Kind.PARTNERSHIP, name=PARTNERSHIP[1], slug=PARTNERSHIP[0],
            region=region, members=list(authorities.values()),
            reason="A single DPS across the Cheshire and Wirral footprint",
        )
        report.count(True)

    with transaction.atomic():
        for slug, people in STAFF.items():
            authority = authorities[slug]
            for full_name, local, roles in people:
                user = _person(staff_email(slug, local), full_name, report, mfa=True)
                for role in roles:
                    if not AuthorityMembership.objects.current().filter(
                        user=user, authority=authority, role=role
                    ).exists():
                        membership_grant(actor=None, authority=authority, user=user, role=role,
                                         reason="Demo region (seed_demo)")
                        report.count(True)

        providers = {}
        for legal, trading, kind, domain in PROVIDERS:
            provider, created = Provider.objects.get_or_create(
                legal_name=legal, defaults={"name": trading, "kind": kind}
            )
            report.count(created)
            providers[domain] = provider
        people = [(n, f"{local}@{d}.{DOMAIN}", [d], roles) for n, d, local, roles in PROVIDER_PEOPLE]
        people.append((SHARED_BID_WRITER[0], SHARED_BID_WRITER[1], SHARED_BID_WRITER[2],
                       [ProviderRole.BID_WRITER]))
        for full_name, email, domains, roles in people:
            user = _person(email, full_name, report)
            for domain in domains:
                for role in roles:
                    if not ProviderMembership.objects.current().filter(
                        user=user, provider=providers[domain], role=role
                    ).exists():
                        provider_membership_grant(actor=None, provider=providers[domain], user=user,
                                                  role=role, reason="Demo region (seed_demo)")
                        report.count(True)
        for domain, provider in providers.items():
            _profile(provider, PROFILES[domain], actor=operator, report=report)
            _evidence(provider, authorities, report=report)
    _stage1(authorities["cheshire-east"], DAY_OPPORTUNITIES, providers, report=report)
    _stage1(partnership, SUPPORTED_LIVING, providers, report=report)
    _stage1(authorities["cheshire-east"], HOME_CARE, providers, report=report)
    _stage1(authorities["cheshire-west"], HOME_CARE_WEST, providers, report=report)
    _monitoring(authorities["cheshire-east"], report=report)
    _monitoring_west(authorities["cheshire-west"], report=report)
    _stage2(authorities["cheshire-east"], report=report)
    _payments(authorities["cheshire-east"], providers, report=report)
    return report


def _stage2(authority: Authority, *, report: SeedReport) -> None:
    """One anonymised package open for bids on the FPS's building-based lot,
    so providers have an opportunity to look at; once."""
    from django_tenants.utils import schema_context

    from tenants.agreements.models import Agreement
    from tenants.calloffs import services as calloffs
    from tenants.calloffs.models import Package

    with schema_context(authority.schema_name), transaction.atomic():
        agreement = Agreement.objects.filter(reference=DAY_OPPORTUNITIES["reference"]).first()
        if agreement is None or Package.objects.filter(agreement=agreement).exists():
            return
        broker = User.objects.get(email=staff_email("cheshire-east", "broker"))
        person = calloffs.person_create(actor=broker, first_name="Elsie", last_name="Marsh",
                                        date_of_birth=date(1958, 6, 14), postcode="CW1 3AB",
                                        address="Flat 2, 10 Station Road, Crewe", social_worker="Jo Daniels")
        now = timezone.now()
        package = calloffs.package_create(
            actor=broker, agreement=agreement, lot=agreement.lots.get(number="1"), people=[person],
            title="Building-based day opportunities, two days a week",
            client_group=ClientGroup.objects.get(code="older-people"), primary_need=Package.PrimaryNeed.DEMENTIA,
            outcomes="Meet people outside the family home; keep active; give the family carer two days' break.",
            support_needed="Two days a week at a day service with support for personal care and eating; "
                           "early dementia, so a calm setting and consistent staff help.",
            sessions_per_week=2, pattern="Tuesdays and Thursdays, 10:00 to 15:00",
            start_on=timezone.localdate() + timedelta(days=28), duration_weeks=52, locality="Crewe",
            postcode_district="CW1", transport="Door-to-door transport needed", staff_gender="any",
            budget_weekly=Decimal("190.00"), clarification_deadline=now + timedelta(days=7),
            bid_deadline=now + timedelta(days=12))
        calloffs.package_publish(actor=broker, package=package)
        report.count(True)


# Two people placed from the day-opportunities FPS some months ago, one with
# each admitted provider, and paid monthly: the month before last confirmed
# (Meadow Farm's approved, Brightday's waiting for the finance officer), last
# month's issued (Brightday's for the provider to confirm, Meadow Farm's
# queried). (provider, first name, last name, born, postcode, address, weekly price)
PLACED = [
    ("brightday", "Arthur", "Lane", date(1961, 3, 2), "CW2 6QT", "4 Mill Street, Crewe", "385.00"),
    ("meadowfarm", "Irene", "Cole", date(1955, 11, 20), "CW5 7DN", "Rose Cottage, Wybunbury Lane, Nantwich",
     "410.00"),
]
QUERY_REASON = ("Our centre closed for two staff training days last month and nobody attended on them: please "
                "take those two days off the schedule.")


def _month_start(months_back: int) -> date:
    first = timezone.localdate().replace(day=1)
    for _ in range(months_back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def _payments(authority: Authority, providers: dict, *, report: SeedReport) -> None:
    """Live placements from awarded call-offs and their payments, once:
    monthly periods for the last two months, each with a schedule per
    provider generated and issued, answered as PLACED says."""
    from django_tenants.utils import schema_context

    from tenants.agreements.models import Agreement
    from tenants.calloffs import services as calloffs
    from tenants.calloffs.models import Bid, Package
    from tenants.payments import services as payments
    from tenants.placements import services as placements
    from tenants.placements.models import Placement

    with schema_context(authority.schema_name), transaction.atomic():
        agreement = Agreement.objects.filter(reference=DAY_OPPORTUNITIES["reference"]).first()
        if agreement is None or Placement.objects.exists():
            return
        broker = User.objects.get(email=staff_email("cheshire-east", "broker"))
        lead = User.objects.get(email=staff_email("cheshire-east", "commissioner"))
        finance = User.objects.get(email=staff_email("cheshire-east", "finance"))
        admins = {domain: User.objects.get(email=f"{local}@{domain}.{DOMAIN}")
                  for _, domain, local, roles in PROVIDER_PEOPLE if ProviderRole.PROVIDER_ADMIN in roles}
        earlier, last = _month_start(2), _month_start(1)
        started = earlier - timedelta(days=21)
        published = timezone.now() - timedelta(days=(timezone.localdate() - started).days + 30)
        schedules = {}
        for domain, first, surname, born, postcode, address, price in PLACED:
            person = calloffs.person_create(actor=broker, first_name=first, last_name=surname, date_of_birth=born,
                                            postcode=postcode, address=address, social_worker="Jo Daniels")
            package = calloffs.package_create(
                actor=broker, agreement=agreement, lot=agreement.lots.get(number="1"), people=[person],
                title="Building-based day opportunities, two days a week",
                client_group=ClientGroup.objects.get(code="learning-disability"),
                primary_need=Package.PrimaryNeed.LEARNING_DISABILITY,
                outcomes="Spend time with friends away from home; learn to cook a simple meal.",
                support_needed="Two days a week at a day service, with support to join in and with personal care.",
                sessions_per_week=2, pattern="Tuesdays and Thursdays, 10:00 to 15:00", start_on=started,
                duration_weeks=52, locality=address.rsplit(", ", 1)[-1], postcode_district=postcode.split()[0],
                transport="Door-to-door transport needed", staff_gender="any", budget_weekly=Decimal("450.00"),
                clarification_deadline=published + timedelta(days=7), bid_deadline=published + timedelta(days=14))
            calloffs.package_publish(actor=broker, package=package, now=published)
            provider = providers[domain]
            calloffs.bid_submit(
                actor=admins[domain], package=package, provider=provider, idempotency_key=f"demo-{package.reference}",
                now=published + timedelta(days=3),
                content={"weekly_price": price, "hourly_rate": "19.25", "hours_per_week": "20",
                         "breakdown": "Two days of 10 hours with a named worker, transport included",
                         "outcomes_response": "A cooking group on Tuesdays and a friendship club on Thursdays.",
                         "start_available_on": started.isoformat(), "social_value": "Staff recruited locally"})
            calloffs.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline)
            bid = Bid.objects.get(package=package)
            calloffs.bid_evaluate(actor=lead, bid=bid, compliant=True, quality=75, outcomes=80, social_value=70)
            made = calloffs.award(actor=broker, package=package, bid=bid)
            placements.placement_go_live(actor=broker, placement=made.package.placement, start_on=started)
        payments.payment_settings_set(actor=finance, cadence="monthly")
        for first in (earlier, last):
            period = payments.period_open(actor=finance, day=first)
            for schedule in payments.schedules_generate(actor=finance, period=period):
                schedules[(first, schedule.provider_id)] = payments.schedule_issue(actor=finance, schedule=schedule)
        brightday, meadowfarm = providers["brightday"], providers["meadowfarm"]
        payments.schedule_confirm(actor=admins["meadowfarm"], schedule=schedules[(earlier, meadowfarm.pk)])
        payments.schedule_approve(actor=finance, schedule=schedules[(earlier, meadowfarm.pk)])
        payments.schedule_confirm(actor=admins["brightday"], schedule=schedules[(earlier, brightday.pk)])
        payments.schedule_query(actor=admins["meadowfarm"], schedule=schedules[(last, meadowfarm.pk)],
                                reason=QUERY_REASON)
        report.count(True)


# Stage 1, as the councils' reports describe it (Cheshire East's day-opportunities FPS, 60% threshold,
# onboarding with a signed contract and safeguarding assurance) and the partnership's (a
# partnership DPS across Cheshire and Wirral). Dates are relative to today, so that a
# round is open whenever the demo runs.
DAY_OPPORTUNITIES = {
    "kind": "fps", "reference": "CEC-DAYOPS-FPS", "title": "Day Opportunities Flexible Purchasing System",
    "service_area": "Day opportunities for adults", "commissioner": ("cheshire-east", "commissioner"),
    "evaluators": [("cheshire-east", "evaluator")],
    "lots": [("1", "Building Based Services", "day-opportunities-building-based"),
             ("2", "Community Support", "community-support"),
             ("3", "Employment, Skills and Training", "employment-skills-training")],
    # provider, lots, (outcomes score, workforce score), onboarded
    "applicants": [("brightday", ["1", "2"], (4, 4), True), ("meadowfarm", ["1", "3"], (4, 3), True)],
}
SUPPORTED_LIVING = {
    "kind": "dps", "reference": "CW-SL-DPS", "title": "Cheshire and Wirral Supported Living DPS",
    "service_area": "Supported living", "commissioner": ("cheshire-west", "commissioner"),
    "evaluators": [("wirral", "evaluator")],
    "lots": [("1", "Supported living: learning disability and autism", "supported-living"),
             ("2", "Mental health recovery", "mental-health-recovery")],
    "applicants": [("wslt", ["1"], (5, 4), True), ("riverside", ["2"], (4, 4), False)],
}

# A home-care DPS in its second year, as Rotherham runs one: live after its
# initial period, three providers admitted and delivering, and contract
# monitoring with the four workforce and outcome KPIs a council reports on.
HOME_CARE = {
    "kind": "dps", "reference": "CEC-HOMECARE-DPS", "title": "Home Care and Support Dynamic Purchasing System",
    "service_area": "Home care for adults", "commissioner": ("cheshire-east", "commissioner"),
    "evaluators": [("cheshire-east", "evaluator")], "opened_days_ago": 420,
    "lots": [("1", "Home care and support", "home-care")],
    "applicants": [("hilltop", ["1"], (4, 4), True), ("castlecare", ["1"], (4, 3), True),
                   ("peakhomecare", ["1"], (3, 4), True)],
}

# Its neighbour buys home care from two of the same providers, so each
# council's regional view shows what the other makes of them.
HOME_CARE_WEST = {
    "kind": "dps", "reference": "CW-HOMECARE-DPS", "title": "Care at Home Dynamic Purchasing System",
    "service_area": "Home care for adults", "commissioner": ("cheshire-west", "commissioner"),
    "evaluators": [("cheshire-west", "evaluator")], "opened_days_ago": 300,
    "lots": [("1", "Care at home", "home-care")],
    "applicants": [("hilltop", ["1"], (4, 4), True), ("peakhomecare", ["1"], (3, 3), True)],
}


def _stage1(authority: Authority, plan: dict, providers: dict, *, report: SeedReport) -> None:
    """An agreement taken through the real stage-1 flow, once: lots, a
    questionnaire, applications, evaluation, decisions, onboarding, go-live."""
    from django_tenants.utils import schema_context

    from tenants.admissions import services as admissions
    from tenants.admissions.models import Admission
    from tenants.agreements import services as agreements
    from tenants.agreements.models import Agreement, Question

    today = timezone.localdate()
    with schema_context(authority.schema_name), transaction.atomic():
        if Agreement.objects.filter(reference=plan["reference"]).exists():
            return
        lead = User.objects.get(email=staff_email(*plan["commissioner"]))
        evaluators = [User.objects.get(email=staff_email(*who)) for who in plan["evaluators"]]
        agreement = agreements.agreement_create(
            actor=lead, kind=plan["kind"], reference=plan["reference"], title=plan["title"],
            service_area=plan["service_area"], starts_on=today - timedelta(days=480),
            ends_on=today + timedelta(days=1345), extension_options="Two further periods of 12 months",
            estimated_value=Decimal("15000000"))
        lots = {number: agreements.lot_add(actor=lead, agreement=agreement, number=number, title=title,
                                           service_type=ServiceType.objects.get(code=code))
                for number, title, code in plan["lots"]}
        if plan["kind"] == "fps":
            agreements.round_add(actor=lead, agreement=agreement, opens_on=today - timedelta(days=470),
                                 closes_on=today - timedelta(days=440))
            agreements.round_add(actor=lead, agreement=agreement, opens_on=today - timedelta(days=14),
                                 closes_on=today + timedelta(days=45))
        version = agreements.questionnaire_draft(actor=lead, agreement=agreement)
        questions = [
            agreements.question_add(actor=lead, version=version, kind=Question.Kind.COMPLIANCE,
                                    text="Do you hold public liability insurance of at least £5 million?",
                                    evidence_types=["public_liability"]),
            agreements.question_add(actor=lead, version=version, kind=Question.Kind.COMPLIANCE,
                                    text="Do you have a safeguarding adults policy that follows the "
                                         "Cheshire and Wirral multi-agency procedures?",
                                    evidence_types=["safeguarding_policy"]),
            agreements.question_add(actor=lead, version=version, kind=Question.Kind.QUALITY, weight=60,
                                    text="How will you help people achieve the outcomes in their plans?"),
            agreements.question_add(actor=lead, version=version, kind=Question.Kind.QUALITY, weight=40,
                                    text="How do you recruit, train and supervise your staff?"),
        ]
        agreements.questionnaire_publish(actor=lead, version=version)
        # A DPS opened long ago (its initial period over) replays its opening on its own date.
        opened = today - timedelta(days=plan.get("opened_days_ago", 0))
        agreements.agreement_open(actor=lead, agreement=agreement, today=opened,
                                  initial_period_ends_on=opened + timedelta(days=30)
                                  if plan["kind"] == "dps" else None)
        report.count(True)
        for domain, numbers, scores, onboarded in plan["applicants"]:
            provider = providers[domain]
            writer = provider.memberships.filter(role=ProviderRole.PROVIDER_ADMIN).first().user
            application = admissions.application_start(actor=writer, agreement=agreement, provider=provider,
                                                       lots=[lots[n] for n in numbers])
            for question in questions:
                if question.kind == Question.Kind.COMPLIANCE:
                    admissions.application_answer(actor=writer, application=application, question=question,
                                                  complies=True)
                else:
                    admissions.application_answer(actor=writer, application=application, question=question,
                                                  response=PROFILES[domain]["description"])
            admissions.application_submit(actor=writer, application=application, declaration_accepted=True)
            admissions.evaluators_assign(actor=lead, application=application, evaluators=evaluators)
            for evaluator in evaluators:
                admissions.conflict_declare(actor=evaluator, application=application, conflicted=False)
                for question, score in zip(questions[2:], scores, strict=True):
                    admissions.score_record(actor=evaluator, application=application, question=question,
                                            score=score, comment="Clear, specific and evidenced.")
                admissions.scores_submit(actor=evaluator, application=application)
            admissions.moderation_open(actor=lead, application=application)
            for question, score in zip(questions[2:], scores, strict=True):
                admissions.moderate(actor=lead, application=application, question=question, score=score,
                                    rationale="The evaluators agreed.")
            admissions.application_decide(actor=lead, application=application)
            if onboarded:
                for admission in Admission.objects.filter(application=application):
                    for item in admission.onboarding.all():
                        admissions.onboarding_complete(actor=lead, item=item)
                    admissions.admission_activate(actor=lead, admission=admission)
            report.count(True)
        if plan["kind"] == "fps":
            agreements.agreement_go_live(actor=lead, agreement=agreement)
        elif plan.get("opened_days_ago"):
            agreements.agreement_go_live(actor=lead, agreement=agreement, today=opened + timedelta(days=31))


# The home-care KPIs and each provider's returns for the last two quarters:
# (code, title, target, counted, out of, [(provider, earlier quarter, latest quarter)]),
# each quarter's figures as (numerator, denominator[, in training, neither]).
HOME_CARE_KPIS = [
    ("KPI 1", "Utilising assistive technology", 75, "people introduced to assistive technology or offered options",
     "people reviewed in the period",
     [("hilltop", (80, 120), (90, 120)), ("castlecare", (66, 100), (70, 100)), ("peakhomecare", (52, 80), (56, 80))]),
    ("KPI 2", "Strengths-based approaches training", 100, "care workers trained and deemed competent",
     "care workers", [("hilltop", (290, 350), (300, 350)), ("castlecare", (200, 277), (214, 277)),
                      ("peakhomecare", (130, 180), (140, 180))]),
    ("KPI 3", "Level 2 qualifications", 100, "care workers holding Level 2", "care workers",
     [("hilltop", (190, 350), (200, 350)), ("castlecare", (140, 277), (150, 277)),
      ("peakhomecare", (80, 180), (87, 180))]),
    ("KPI 4", "Care Certificate", 100, "care workers who have completed the Care Certificate (or are exempt)",
     "care workers", [("hilltop", (260, 350, 80, 9), (280, 350, 60, 9)), ("castlecare", (200, 276, 70, 6),
                                                                          (213, 276, 58, 5)),
                      ("peakhomecare", (130, 180, 48, 2), (140, 180, 39, 1))]),
]


def _monitoring(authority: Authority, *, report: SeedReport) -> None:
    """Contract monitoring on the home-care DPS, once: four KPIs with the
    providers' returns for the last two quarters (the latest validated for
    one provider and awaiting validation for the others), and an outcome
    statement in the "I" form."""
    from django_tenants.utils import schema_context

    from tenants.agreements.models import Agreement
    from tenants.quality import services as quality
    from tenants.quality.models import Kpi, KpiReturn
    from tenants.quality.periods import period_of

    today = timezone.localdate()
    this_quarter = period_of("quarterly", today)[0]
    two_back = period_of("quarterly", this_quarter - timedelta(days=100))[0]
    with schema_context(authority.schema_name), transaction.atomic():
        agreement = Agreement.objects.filter(reference=HOME_CARE["reference"]).first()
        if agreement is None or Kpi.objects.filter(agreement=agreement).exists():
            return
        lead = User.objects.get(email=staff_email("cheshire-east", "commissioner"))
        officer = User.objects.get(email=staff_email("cheshire-east", "quality"))
        kpis = {}
        for code, title, target, counted, out_of, _ in HOME_CARE_KPIS:
            kpis[code] = quality.kpi_create(actor=lead, agreement=agreement, code=code, title=title, target=target,
                                            numerator_label=counted, denominator_label=out_of, covers="admitted",
                                            starts_on=two_back)
        kpis["KPI 5"] = quality.kpi_create(
            actor=lead, agreement=agreement, code="KPI 5", title="I am listened to", measure="statement",
            description="What people tell us in reviews and visits, in their own words: 'I am listened to and "
                        "my support is planned with me.'", covers="admitted", starts_on=two_back)
        quality.returns_open_due(today=today)
        returns = {(r.kpi.code, r.provider.legal_name, r.period_start): r
                   for r in KpiReturn.objects.select_related("kpi", "provider")}
        by_domain = {domain: legal for legal, _, _, domain in PROVIDERS}
        admins = {domain: User.objects.get(email=f"{local}@{domain}.{DOMAIN}")
                  for _, domain, local, _ in PROVIDER_PEOPLE if domain in ("hilltop", "castlecare", "peakhomecare")}
        latest = period_of("quarterly", this_quarter - timedelta(days=1))[0]
        for code, _, _, _, _, figures in HOME_CARE_KPIS:
            for domain, earlier, recent in figures:
                for start, numbers in ((two_back, earlier), (latest, recent)):
                    row = returns[(code, by_domain[domain], start)]
                    parts = ([{"label": "undertaking it", "count": numbers[2]},
                              {"label": "not undertaking it, employed 3 months or more and not exempt",
                               "count": numbers[3]}] if len(numbers) > 2 else None)
                    quality.return_submit(actor=admins[domain], kpi_return=row, numerator=numbers[0],
                                          denominator=numbers[1], breakdown=parts)
                    if start == two_back or domain == "hilltop":
                        quality.return_validate(actor=officer, kpi_return=row)
        statement = returns[("KPI 5", by_domain["hilltop"], latest)]
        quality.return_submit(actor=admins["hilltop"], kpi_return=statement,
                              statement="I am listened to: 41 of the 46 people we reviewed this quarter said staff "
                                        "listen to them and plan their visits with them.",
                              comment="From review visits and a telephone survey.")
        _early_warning(officer, {domain: Provider.objects.get(legal_name=legal) for domain, legal in by_domain.items()
                                 if domain in admins}, admins, today)
        report.count(True)


def _monitoring_west(authority: Authority, *, report: SeedReport) -> None:
    """Cheshire West's quality officer knows of a whistleblowing concern at
    Peak Homecare (amber there) and nothing against Hilltop (green), shared
    with partners; once."""
    from django_tenants.utils import schema_context

    from tenants.quality import oversight, risk
    from tenants.quality.models import Intelligence, RiskStatus

    with schema_context(authority.schema_name), transaction.atomic():
        if RiskStatus.objects.exists() or Intelligence.objects.exists():
            return
        officer = User.objects.get(email=staff_email("cheshire-west", "quality"))
        peak = Provider.objects.get(legal_name=next(legal for legal, _, _, d in PROVIDERS if d == "peakhomecare"))
        oversight.intelligence_record(
            actor=officer, provider=peak, kind="whistleblowing", occurred_on=timezone.localdate() - timedelta(days=12),
            source="Whistleblowing line", service="Care at home, Ellesmere Port",
            summary="A care worker reported rotas with too little travel time between visits.")
        risk.refresh()
        report.count(True)


def _early_warning(officer: User, providers: dict, admins: dict, today: date) -> None:
    """What the quality team knows, so the risk page shows each colour with
    its reasons: Peak Homecare red (a substantiated safeguarding concern and
    a Poor rating, under an embargo), Castle Care amber (its registered
    manager left), Hilltop green (rated Good)."""
    from tenants.quality import oversight, risk
    from tenants.quality.models import DOMAINS

    peak, castle, hilltop = providers["peakhomecare"], providers["castlecare"], providers["hilltop"]
    oversight.intelligence_record(
        actor=officer, provider=peak, kind="safeguarding_decision", occurred_on=today - timedelta(days=40),
        source="Cheshire East safeguarding adults team", severity="high", service="Home care, Congleton",
        summary="Neglect substantiated: medication visits missed on rural rounds over two weeks.")
    oversight.intelligence_record(
        actor=officer, provider=castle, kind="manager_vacancy", occurred_on=today - timedelta(days=20),
        source="CQC notification", summary="The registered manager left; the deputy is acting manager.")
    for provider, rating, service, findings in (
            (peak, "poor", "Home care, Congleton", "Medication records incomplete; rural rounds short-staffed; "
                                                   "care plans not reviewed on time."),
            (hilltop, "good", "Home care, Macclesfield", "Person-centred care plans; staff know people well.")):
        assessment = oversight.assessment_schedule(actor=officer, provider=provider, service=service,
                                                   visit_on=today - timedelta(days=35))
        domain = "peakhomecare" if provider == peak else "hilltop"
        _self_assess(officer, admins[domain], assessment, rating)
        ratings = {key: rating for key, _ in DOMAINS}
        oversight.assessment_send_draft(actor=officer, assessment=assessment, domain_ratings=ratings, rating=rating,
                                        findings=findings)
        oversight.assessment_respond(actor=admins[domain], assessment=assessment,
                                     response="We accept the findings and have an action plan.")
        oversight.assessment_finalise(actor=officer, assessment=assessment)
        if provider == peak:
            from tenants.quality import assessments

            assessments.follow_up_add(actor=officer, assessment=assessment, standard="medicines",
                                      what="Audit medication records on every rural round weekly and send the "
                                           "results each month.", owner=admins[domain], owner_side="provider",
                                      due_on=today + timedelta(days=28))
    oversight.action_take(actor=officer, provider=peak, kind="embargo", starts_on=today - timedelta(days=30),
                          grounds="A substantiated safeguarding concern and a Poor quality rating: no new "
                                  "placements until the improvement plan is met.", review_on=today + timedelta(days=60))
    risk.refresh()


def _self_assess(officer: User, admin: User, assessment, rating: str) -> None:
    """The provider rates itself Good against every standard and submits;
    the officer agrees, or gives the rating they found with a note."""
    from tenants.quality import assessments
    from tenants.quality.standards import STANDARDS

    assessments.self_assessment_save(actor=admin, assessment=assessment, entries={
        s.key: {"self_rating": "good", "narrative": f"Our policy and practice on {s.title.lower()} are reviewed "
                                                    "each quarter; records from the last review are available."}
        for s in STANDARDS})
    assessments.self_assessment_submit(actor=admin, assessment=assessment)
    for s in STANDARDS:
        if rating == "good":
            assessments.standard_validate(actor=officer, assessment=assessment, standard=s.key, agree=True)
        else:
            assessments.standard_validate(actor=officer, assessment=assessment, standard=s.key, agree=False,
                                          rating=rating, note="Records seen on the visit did not bear this out.")


def _profile(provider: Provider, profile: dict, *, actor: User, report: SeedReport) -> None:
    """A provider's first profile version, once."""
    if provider.profile_version:
        return
    fields = dict(profile)
    relations = {
        "services": list(ServiceType.objects.filter(code__in=fields.pop("services"))),
        "client_groups": list(ClientGroup.objects.filter(code__in=fields.pop("client_groups"))),
        "areas": list(Authority.objects.filter(slug__in=fields.pop("areas"))),
        "cqc_locations": fields.pop("cqc_locations", []),
    }
    contact = provider.memberships.filter(role=ProviderRole.PROVIDER_ADMIN).select_related("user").first()
    if contact:
        fields |= {"contact_name": contact.user.full_name, "contact_email": contact.user.email}
    catalogue_services.provider_profile_update(actor=actor, provider=provider, **relations, **fields)
    report.count(True)


def _evidence(provider: Provider, authorities: dict, *, report: SeedReport) -> None:
    """A few documents in the locker, once; Cheshire East's quality officer has
    verified the first three, which every authority can rely on."""
    admin = provider.memberships.filter(role=ProviderRole.PROVIDER_ADMIN).select_related("user").first().user
    officer = User.objects.get(email=staff_email("cheshire-east", "quality"))
    today = timezone.localdate()
    for position, (kind, title, issued, expires, cover) in enumerate(EVIDENCE):
        evidence = provider.evidence.filter(evidence_type=kind, replaced_by__isnull=True).first()
        if evidence is not None:
            if position < 3 and evidence.verification == evidence.Verification.PENDING:
                catalogue_services.evidence_decide(actor=officer, authority=authorities["cheshire-east"],
                                                   evidence=evidence, decision="verified")
                report.count(True)
            continue
        evidence = catalogue_services.evidence_upload(
            actor=admin, provider=provider, evidence_type=kind, title=title,
            upload=SimpleUploadedFile(f"{kind}.pdf", DEMO_PDF, content_type="application/pdf"),
            issued_on=today - timedelta(days=30 * issued),
            expires_on=today + timedelta(days=30 * expires) if expires else None,
            cover_amount=Decimal(cover) if cover else None,
        )
        if position < 3:
            catalogue_services.evidence_decide(actor=officer, authority=authorities["cheshire-east"],
                                               evidence=evidence, decision="verified")
        report.count(True)


def sign_in_guide(site_url: str) -> str:
    lines = [
        "",
        "Jointly demo region",
        "===================",
        f"Open {site_url}/ and sign in with any of these (password for all: {PASSWORD}).",
        "",
        f"  Platform operator   {OPERATOR[1]}   (admin: {site_url}/admin/)",
    ]
    for slug, name, *_ in AUTHORITIES:
        lines.append(f"  {name}  ({site_url}/a/{slug}/)")
        for _name, local, roles in STAFF[slug]:
            labels = ", ".join(AuthorityRole(r).label.lower() for r in roles)
            lines.append(f"    {staff_email(slug, local):38} {labels}")
    lines += [
        f"  {PARTNERSHIP[1]}  ({site_url}/a/{PARTNERSHIP[0]}/): staff of its four members work there too.",
        "  Providers (no two-factor step):",
    ]
    for _name, domain, local, roles in PROVIDER_PEOPLE:
        legal = next(p[1] for p in PROVIDERS if p[3] == domain)
        labels = ", ".join(ProviderRole(r).label.lower() for r in roles)
        lines.append(f"    {local + '@' + domain + '.' + DOMAIN:38} {labels}, {legal}")
    lines.append(f"    {SHARED_BID_WRITER[1]:38} bid writer for two providers")
    lines += [
        "",
        "Staff and the operator sign in with a two-factor code. Add this secret to an",
        f"authenticator app ({TOTP_SECRET}), or print the current code with:",
        "  .venv/bin/python manage.py demo_totp",
        "",
    ]
    return "\n".join(lines)
