"""The admission projection: each admission in an authority's schema mirrored
into shared_catalogue.AdmissionProjection in the public schema. All schemas
are in one database, so the row is written in the transaction that changes the
admission. `manage.py admissions_rebuild_projection` rebuilds it from the
schemas: the projection is never the source of truth."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_catalogue.models import AdmissionProjection
from tenancy.models import Authority
from tenancy.selectors import authority_current


def _row(admission, authority: Authority) -> AdmissionProjection:
    agreement, lot = admission.agreement, admission.lot
    return AdmissionProjection(
        authority=authority, provider_id=admission.provider_id, admission_id=admission.pk,
        agreement_reference=agreement.reference, agreement_title=agreement.title,
        agreement_live=agreement.is_live, lot_number=lot.number, lot_title=lot.title,
        service_type_id=lot.service_type_id, status=admission.status, updated_at=timezone.now(),
    )


FIELDS = ["provider_id", "agreement_reference", "agreement_title", "agreement_live", "lot_number", "lot_title",
          "service_type_id", "status", "updated_at"]


def write(admission) -> None:
    """Mirror one admission (call inside the transaction that changed it)."""
    row = _row(admission, authority_current())
    AdmissionProjection.objects.update_or_create(
        authority=row.authority, admission_id=row.admission_id,
        defaults={name: getattr(row, name) for name in FIELDS})


def sync_agreement(agreement) -> None:
    """An agreement's status or title changed: every one of its rows follows."""
    from tenants.admissions.models import Admission

    ids = list(Admission.objects.filter(agreement=agreement).values_list("pk", flat=True))
    if ids:
        AdmissionProjection.objects.filter(authority=authority_current(), admission_id__in=ids).update(
            agreement_live=agreement.is_live, agreement_title=agreement.title,
            agreement_reference=agreement.reference, updated_at=timezone.now())


def rebuild(authority: Authority) -> dict:
    """Make the authority's rows match its schema exactly."""
    from tenants.admissions.models import Admission

    with schema_context(authority.schema_name), transaction.atomic():
        rows = [_row(a, authority) for a in Admission.objects.select_related("agreement", "lot")]
        existing = {p.admission_id: p for p in AdmissionProjection.objects.filter(authority=authority)}
        stale = set(existing) - {r.admission_id for r in rows}
        AdmissionProjection.objects.filter(authority=authority, admission_id__in=stale).delete()
        AdmissionProjection.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["authority", "admission_id"], update_fields=FIELDS)
    return {"authority": authority.slug, "admissions": len(rows), "removed": len(stale)}
