"""What the catalogue of registered providers filters by, inside an authority (API and page)."""

from __future__ import annotations

import django_filters

from common.filters import ChoiceFilter, CodeFilter, NumberIdFilter, StrictFilterSet
from shared_catalogue.models import AdmissionProjection, ServiceType
from tenancy.models import Authority


class CatalogueFilters(StrictFilterSet):
    """Read by the catalogue's selector (a full-text search), not applied field by field."""

    q = django_filters.CharFilter(max_length=200, help_text="Words from the name, the description or the services.")
    service = CodeFilter(queryset=ServiceType.objects.all(),
                         help_text="A service type code, for example `home-care`.")


class AdmissionEverywhereFilters(StrictFilterSet):
    """Where a provider person's organisations are admitted, across authorities (the projection)."""

    status = ChoiceFilter(choices=AdmissionProjection.Status.choices, help_text="Only admissions in this state.")
    authority = CodeFilter(to_field_name="slug", queryset=Authority.objects.all(),
                           help_text="Only admissions in this authority (its slug).")
    provider = NumberIdFilter(field_name="provider_id", help_text="Only this organisation's admissions (its id).")


class OpportunityFilters(StrictFilterSet):
    """Open opportunities for a provider person's organisations, across authorities (the projection)."""

    authority = CodeFilter(to_field_name="slug", queryset=Authority.objects.all(),
                           help_text="Only opportunities in this authority (its slug).")
    provider = NumberIdFilter(field_name="provider_id", help_text="Only this organisation's opportunities (its id).")
