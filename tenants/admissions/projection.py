"""The admission projection: each admission in an authority's schema mirrored
into shared_catalogue.AdmissionProjection in the public schema. All schemas
are in one database, so the row is written in the transaction that changes the
admission. `manage.py admissions_rebuild_projection` rebuilds it from the
schemas: the projection is never the source of truth."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_catalogue.models import AdmissionProjection, ApplicationProjection
from tenancy.models import Authority
from tenancy.selectors import authority_current


def _outstanding(admission) -> list[str]:
    if admission.status != "pending_onboarding":
        return []
    return [item.name for item in admission.onboarding.all() if item.done_at is None]


def _row(admission, authority: Authority) -> AdmissionProjection:
    agreement, lot = admission.agreement, admission.lot
    return AdmissionProjection(
        authority=authority, provider_id=admission.provider_id, admission_id=admission.pk,
        agreement_reference=agreement.reference, agreement_title=agreement.title,
        agreement_live=agreement.is_live, lot_number=lot.number, lot_title=lot.title,
        service_type_id=lot.service_type_id, status=admission.status,
        onboarding_outstanding=_outstanding(admission), updated_at=timezone.now(),
    )


FIELDS = ["provider_id", "agreement_reference", "agreement_title", "agreement_live", "lot_number", "lot_title",
          "service_type_id", "status", "onboarding_outstanding", "updated_at"]


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
        rows = [_row(a, authority) for a in Admission.objects.select_related("agreement", "lot")
                .prefetch_related("onboarding")]
        existing = {p.admission_id: p for p in AdmissionProjection.objects.filter(authority=authority)}
        stale = set(existing) - {r.admission_id for r in rows}
        AdmissionProjection.objects.filter(authority=authority, admission_id__in=stale).delete()
        AdmissionProjection.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["authority", "admission_id"], update_fields=FIELDS)
        applications = [_application_row(a, authority) for a in _applications()]
        ApplicationProjection.objects.filter(authority=authority).delete()
        ApplicationProjection.objects.bulk_create(applications)
    return {"authority": authority.slug, "admissions": len(rows), "removed": len(stale),
            "applications": len(applications)}


# --- Applications and their decisions, for the provider's home ------------------------------

APPLICATION_FIELDS = ["provider_id", "agreement_id", "agreement_reference", "agreement_title", "status",
                      "status_label", "lots", "submitted_at", "decision_due_on", "decided_at", "created_at",
                      "updated_at"]


def _applications():
    from django.db.models import Prefetch

    from tenants.admissions.models import Application, ApplicationLot

    return Application.objects.select_related("agreement").prefetch_related(
        Prefetch("lots", queryset=ApplicationLot.objects.select_related("lot").order_by("lot__number")))


def _application_row(application, authority: Authority) -> ApplicationProjection:
    agreement = application.agreement
    return ApplicationProjection(
        authority=authority, provider_id=application.provider_id, application_id=application.pk,
        agreement_id=agreement.pk, agreement_reference=agreement.reference, agreement_title=agreement.title,
        status=application.status, status_label=application.get_status_display(),
        lots=[{"number": row.lot.number, "title": row.lot.title, "outcome": row.outcome,
               "outcome_label": row.get_outcome_display()} for row in application.lots.all()],
        submitted_at=application.submitted_at, decision_due_on=application.decision_due_on,
        decided_at=application.decided_at, created_at=application.created_at, updated_at=timezone.now())


def write_application(application) -> None:
    """Mirror one application (call inside the transaction that changed it)."""
    row = _application_row(_applications().get(pk=application.pk), authority_current())
    ApplicationProjection.objects.update_or_create(
        authority=row.authority, application_id=row.application_id,
        defaults={name: getattr(row, name) for name in APPLICATION_FIELDS})
