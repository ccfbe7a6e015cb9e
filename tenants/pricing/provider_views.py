"""Pricing for providers: the published fees of the agreements their
organisations are admitted to, and explanations of their bids' prices asked
of them (Public Contracts Regulations 2015, regulation 69)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from accounts.mixins import ProviderPageMixin
from tenants.pricing import selectors, services
from tenants.pricing.forms import ExplanationForm


class SchedulesView(ProviderPageMixin, View):
    def get(self, request):
        ids = self.access.provider_ids
        return render(request, "pricing/provider/schedules.html", {
            "access": self.access, "schedules": selectors.schedules_for_provider(ids),
            "checks": selectors.checks_for_provider(ids)})


class ExplainView(ProviderPageMixin, View):
    def check_of(self, check_id):
        found = selectors.check_for_provider(self.access.provider_ids, check_id)
        if found is None:
            raise Http404("No explanation is asked of you with that number here.")
        return found

    def get(self, request, check_id):
        check = self.check_of(check_id)
        return self._render(check, ExplanationForm(initial={"explanation": check.explanation}))

    def post(self, request, check_id):
        check = self.check_of(check_id)
        form = ExplanationForm(request.POST)
        if form.is_valid():
            try:
                services.explanation_give(actor=request.user, check=check, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Your explanation is sent.")
                return redirect("provider-pricing:schedules")
        return self._render(check, form, status=400)

    def _render(self, check, form, status=200):
        open_to_answer = check.explanation_status in ("requested", "answered")
        return render(self.request, "pricing/provider/explain.html", {
            "access": self.access, "check": check, "form": form if open_to_answer else None}, status=status)
