"""The catalogue as an authority's staff see it, from inside the authority:
every registered provider, its profile as at any date, its evidence and who
checked it; quality officers and commissioners verify or reject evidence."""

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from accounts.mixins import StaffPageMixin
from common.filters import page_filters
from shared_catalogue import forms, policy, selectors, services
from shared_catalogue.filters import CatalogueFilters
from shared_catalogue.models import ServiceType


class CatalogueListView(StaffPageMixin, View):
    def get(self, request):
        _, asked, refused = page_filters(CatalogueFilters, request, None)
        words = asked.get("q", "").strip()
        service = asked["service"].code if asked.get("service") else ""
        providers = [] if refused else list(selectors.catalogue_providers(words=words, service=service)[:200])
        rows = [(p, selectors.evidence_summary(p.current_evidence)) for p in providers]
        return render(request, "shared_catalogue/staff/list.html", {
            "rows": rows, "words": words, "service": service, "services": ServiceType.objects.all(),
            "access": self.access, "filter_errors": refused,
        }, status=400 if refused else 200)


class CatalogueProviderView(StaffPageMixin, View):
    def _provider(self, provider_id):
        provider = selectors.catalogue_provider(provider_id=provider_id)
        if provider is None:
            raise Http404("No such provider in the catalogue.")
        return provider

    def get(self, request, provider_id):
        provider = self._provider(provider_id)
        as_at, as_at_error = None, ""
        if request.GET.get("as_at"):
            try:
                as_at = date.fromisoformat(request.GET["as_at"])
            except ValueError:
                as_at_error = "Enter a date like 2026-03-31."
        version = selectors.profile_as_at(provider=provider, when=as_at) if as_at else None
        evidence = list(selectors.provider_evidence(provider=provider))
        return render(request, "shared_catalogue/staff/provider.html", {
            "provider": provider, "as_at": as_at, "as_at_error": as_at_error, "version": version,
            "rows": [(item, selectors.evidence_status(item), forms.EvidenceDecisionForm(prefix=f"evidence-{item.pk}"))
                     for item in evidence],
            "summary": selectors.evidence_summary(evidence),
            "can_decide": policy.can_decide_evidence(self.access),
            "admissions": provider.admissions.select_related("authority").order_by("authority__name"),
            "access": self.access,
        })


class EvidenceDecisionView(StaffPageMixin, View):
    def post(self, request, provider_id, evidence_id):
        self.require(policy.can_decide_evidence(self.access),
                     "Only quality officers and commissioners can verify or reject evidence.")
        provider = selectors.catalogue_provider(provider_id=provider_id)
        evidence = selectors.evidence_get(provider=provider, evidence_id=evidence_id) if provider else None
        if evidence is None:
            raise Http404("No such document.")
        form = forms.EvidenceDecisionForm(request.POST, prefix=f"evidence-{evidence.pk}")
        if form.is_valid():
            from django.core.exceptions import ValidationError

            try:
                services.evidence_decide(actor=request.user, authority=self.authority, evidence=evidence,
                                         **form.cleaned_data)
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, f"{evidence.get_evidence_type_display()} "
                                          f"{form.cleaned_data['decision']}. Every authority can see it.")
        else:
            messages.error(request, "Choose verified or rejected.")
        return redirect("catalogue-staff:provider", provider_id=provider.pk)


class EvidenceDownloadView(StaffPageMixin, View):
    def get(self, request, provider_id, evidence_id):
        from shared_catalogue.views import evidence_file_response

        provider = selectors.catalogue_provider(provider_id=provider_id)
        evidence = selectors.evidence_get(provider=provider, evidence_id=evidence_id) if provider else None
        if evidence is None:
            raise Http404("No such document.")
        return evidence_file_response(evidence)
