"""Catalogue building blocks for tests: registered providers, their people
and documents, made through the services."""

from __future__ import annotations

import io
import itertools
import zipfile
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import ProviderRole
from shared_catalogue import services
from shared_catalogue.models import AdmissionProjection, Provider, ServiceType
from tests import support

_numbers = itertools.count(10_000_001)
_admissions = itertools.count(1)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def pdf(name="policy.pdf", content=PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def register(admin=None, *, name: str | None = None, **fields) -> Provider:
    """A registered company with `admin` (made if not given) as its provider admin."""
    admin = admin or support.make_user()
    name = name or support.unique("Care Co ")
    number = next(_numbers)
    details = {"legal_name": f"{name} Limited", "name": name, "kind": "company",
               "company_number": f"{number:08d}"} | fields
    return services.provider_register(actor=admin, **details)


def admin_of(provider: Provider):
    return provider.memberships.get(role=ProviderRole.PROVIDER_ADMIN).user


def add_person(provider: Provider, role: str = ProviderRole.BID_WRITER, **kwargs):
    person = support.make_user(**kwargs)
    services.provider_person_add(actor=admin_of(provider), provider=provider, email=person.email, role=role)
    return person


def upload(provider: Provider, actor=None, *, evidence_type="safeguarding_policy", file=None, **fields):
    actor = actor or admin_of(provider)
    if evidence_type in ("employers_liability", "public_liability", "professional_indemnity"):
        fields.setdefault("cover_amount", Decimal("5000000"))
        fields.setdefault("expires_on", date.today() + timedelta(days=200))
        fields.setdefault("issued_on", date.today() - timedelta(days=100))
    return services.evidence_upload(actor=actor, provider=provider, upload=file or pdf(),
                                    evidence_type=evidence_type, **fields)


def admit(provider: Provider, authority, *, lot_number: str = "1", lot_title: str = "Community support",
          service: ServiceType | str | None = None, status: str = AdmissionProjection.Status.ACTIVE,
          live: bool = True, agreement_title: str = "", agreement_reference: str = "") -> AdmissionProjection:
    """The projection row a stage-1 admission will write (admissions are not
    built yet): `provider` admitted to a lot of `authority`'s agreement."""
    if isinstance(service, str):
        service = ServiceType.objects.get(code=service)
    return AdmissionProjection.objects.create(
        authority=authority, provider=provider, admission_id=next(_admissions),
        agreement_reference=agreement_reference or f"{authority.slug.upper()}-DPS-1",
        agreement_title=agreement_title or f"{authority.name} care and support DPS",
        agreement_live=live, lot_number=lot_number, lot_title=lot_title, service_type=service, status=status)
