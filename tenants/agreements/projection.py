"""The application-window projection: when each agreement takes applications,
mirrored into shared_catalogue.AgreementWindow in the public schema, in the
transaction that changes the agreement, its lots or its rounds, so the public
list of agreements open to providers (and each provider's home) reads every
authority in one query. `manage.py agreements_rebuild_windows` rebuilds it
from the schemas: the projection is never the source of truth."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_catalogue.models import AgreementWindow
from tenancy.models import Authority
from tenancy.selectors import authority_current


def _rows(agreement, authority: Authority) -> list[AgreementWindow]:
    if not agreement.takes_applications:
        return []
    found = list(agreement.lots.select_related("service_type").order_by("number"))
    lots = [{"number": lot.number, "title": lot.title, "service": lot.service_type.name if lot.service_type_id else ""}
            for lot in found]
    services = sorted({lot.service_type.code for lot in found if lot.service_type_id})
    common = {"authority": authority, "agreement_id": agreement.pk, "reference": agreement.reference,
              "title": agreement.title, "kind": agreement.kind, "kind_label": agreement.get_kind_display(),
              "service_area": agreement.service_area, "description": agreement.description,
              "ends_on": agreement.ends_on, "lots": lots, "services": services, "updated_at": timezone.now()}
    if agreement.regime.applications_any_time:
        return [AgreementWindow(round_number=0, continuous=True, opens_on=agreement.starts_on,
                                closes_on=agreement.ends_on, **common)]
    return [AgreementWindow(round_number=r.number, continuous=False, opens_on=r.opens_on, closes_on=r.closes_on,
                            **common) for r in agreement.rounds.order_by("number")]


def sync(agreement) -> None:
    """Mirror one agreement's windows (call inside the transaction that changed it)."""
    authority = authority_current()
    AgreementWindow.objects.filter(authority=authority, agreement_id=agreement.pk).delete()
    AgreementWindow.objects.bulk_create(_rows(agreement, authority))


def rebuild(authority: Authority) -> dict:
    """Make the authority's rows match its schema exactly."""
    from tenants.agreements.models import Agreement

    with schema_context(authority.schema_name), transaction.atomic():
        rows = [row for agreement in Agreement.objects.all() for row in _rows(agreement, authority)]
        AgreementWindow.objects.filter(authority=authority).delete()
        AgreementWindow.objects.bulk_create(rows)
    return {"authority": authority.slug, "windows": len(rows)}
