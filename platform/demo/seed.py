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
]
PROVIDER_PEOPLE = [
    # name, provider domain, local part, roles
    ("Sarah Wood", "brightday", "sarah", [ProviderRole.PROVIDER_ADMIN]),
    ("Mo Hassan", "brightday", "mo", [ProviderRole.BID_WRITER]),
    ("Lucy Fox", "meadowfarm", "lucy", [ProviderRole.PROVIDER_ADMIN, ProviderRole.BID_WRITER]),
    ("Gareth Evans", "wslt", "gareth", [ProviderRole.PROVIDER_ADMIN]),
    ("Amira Begum", "hilltop", "amira", [ProviderRole.PROVIDER_ADMIN]),
    ("Joe Kelly", "riverside", "joe", [ProviderRole.PROVIDER_ADMIN]),
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
    _stage2(authorities["cheshire-east"], report=report)
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
        agreements.agreement_open(actor=lead, agreement=agreement,
                                  initial_period_ends_on=today + timedelta(days=30)
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
