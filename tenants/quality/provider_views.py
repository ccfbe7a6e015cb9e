"""Performance returns for providers: what is owed to this authority (due,
queried, missing), and submitting one. The services decide."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from accounts.mixins import ProviderPageMixin
from tenants.quality import policy, selectors, services
from tenants.quality.forms import ReturnForm
from tenants.quality.models import KpiReturn
from tenants.quality.periods import period_label
from web.pages import FormPageMixin


def _describe(row: KpiReturn, today) -> KpiReturn:
    row.period = period_label(row.kpi.period, row.period_start, row.period_end)
    row.missing = row.is_missing(today)
    return row


class ReturnListView(ProviderPageMixin, View):
    def get(self, request):
        today = timezone.localdate()
        rows = [_describe(r, today) for r in selectors.returns_for_provider(self.access.provider_ids)[:200]]
        owed = [r for r in rows if r.status in (KpiReturn.Status.DUE, KpiReturn.Status.QUERIED)]
        done = [r for r in rows if r not in owed]
        from tenants.quality.models import Action, Assessment

        assessments = (Assessment.objects.filter(provider_id__in=self.access.provider_ids)
                       .exclude(status=Assessment.Status.SCHEDULED).select_related("provider"))
        actions = Action.objects.filter(provider_id__in=self.access.provider_ids).select_related(
            "provider", "agreement", "placement__package")
        return render(request, "quality/provider/returns.html", {"owed": owed, "done": done, "access": self.access,
                                                                 "assessments": assessments, "actions": actions})


class ReturnSubmitView(FormPageMixin, ProviderPageMixin, View):
    template_name = "quality/provider/return.html"
    title = "Submit a performance return"

    def load(self, return_id):
        found = selectors.returns_for_provider(self.access.provider_ids).filter(pk=return_id).first()
        if found is None:
            raise Http404("Your organisations have no such return here.")
        self.kpi_return = _describe(found, timezone.localdate())

    def check(self):
        self.require(policy.can_submit_return(self.access, self.kpi_return.provider_id),
                     "Only the provider's admins and bid writers submit its returns.")

    def get_form(self, data=None):
        return ReturnForm(data=data, kpi=self.kpi_return.kpi)

    def page_context(self):
        return {"kpi_return": self.kpi_return,
                "settled": self.kpi_return.status == KpiReturn.Status.VALIDATED}

    def perform(self, form):
        services.return_submit(actor=self.request.user, kpi_return=self.kpi_return, **form.figures())
        self.success(f"{self.kpi_return.kpi.code} return for {self.kpi_return.period} submitted. "
                     "The authority will validate it or ask about it.")
        return redirect("provider-quality:returns")


class _RespondView(FormPageMixin, ProviderPageMixin, View):
    template_name = "quality/provider/respond.html"
    kind = ""

    def get_form(self, data=None):
        from tenants.quality.forms import ResponseForm

        return ResponseForm(data=data)

    def page_context(self):
        return {"subject": self.subject, "kind": self.kind, "open": self.is_open()}

    def check(self):
        self.require(self.access.has_provider_role(self.subject.provider_id, "provider_admin"),
                     "Only the provider's admins respond.")


class AssessmentRespondView(_RespondView):
    kind = "assessment"
    title = "Comment on the draft report"

    def load(self, assessment_id):
        from tenants.quality.models import Assessment

        self.subject = (Assessment.objects.filter(provider_id__in=self.access.provider_ids, pk=assessment_id)
                        .exclude(status=Assessment.Status.SCHEDULED).select_related("provider").first())
        if self.subject is None:
            raise Http404("Your organisations have no such assessment here.")

    def is_open(self) -> bool:
        return self.subject.status == "draft_sent" and not self.subject.responded_at

    def perform(self, form):
        from tenants.quality import oversight

        oversight.assessment_respond(actor=self.request.user, assessment=self.subject,
                                     response=form.cleaned_data["response"])
        self.success("Your comments have been sent.")
        return redirect("provider-quality:returns")


class ActionRespondView(_RespondView):
    kind = "action"
    title = "Respond to a contract action"

    def load(self, action_id):
        from tenants.quality.models import Action

        self.subject = (Action.objects.filter(provider_id__in=self.access.provider_ids, pk=action_id)
                        .select_related("provider", "agreement", "placement__package").first())
        if self.subject is None:
            raise Http404("Your organisations have no such action here.")

    def is_open(self) -> bool:
        return self.subject.status == "active"

    def perform(self, form):
        from tenants.quality import oversight

        oversight.action_respond(actor=self.request.user, action=self.subject, response=form.cleaned_data["response"])
        self.success("Your response has been sent.")
        return redirect("provider-quality:returns")
