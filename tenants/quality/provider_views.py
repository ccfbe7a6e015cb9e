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

        assessments = Assessment.objects.filter(provider_id__in=self.access.provider_ids).select_related("provider")
        actions = Action.objects.filter(provider_id__in=self.access.provider_ids).select_related(
            "provider", "agreement", "placement__package")
        return render(request, "quality/provider/returns.html", {
            "owed": owed, "done": done, "access": self.access, "assessments": assessments, "actions": actions,
            "follow_ups": selectors.follow_ups_for_provider(self.access.provider_ids, today)})


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
    """The assessment as the provider sees it: its self-assessment, the
    draft report to comment on, the officer's validation once the draft is
    sent, and the actions that follow."""

    kind = "assessment"
    title = "Quality assessment"
    template_name = "quality/provider/assessment.html"

    def load(self, assessment_id):
        from tenants.quality.models import Assessment

        self.subject = (Assessment.objects.filter(provider_id__in=self.access.provider_ids, pk=assessment_id)
                        .select_related("provider").first())
        if self.subject is None:
            raise Http404("Your organisations have no such assessment here.")

    def check(self):
        if self.request.method == "POST":
            super().check()

    def is_open(self) -> bool:
        return self.subject.status == "draft_sent" and not self.subject.responded_at

    def page_context(self):
        today = timezone.localdate()
        subject = self.subject
        return {**super().page_context(), "assessment": subject,
                "standards": selectors.assessment_standards(subject),
                "show_validation": subject.status != "scheduled",
                "may_self_assess": policy.can_self_assess(self.access, subject.provider_id),
                "self_assessment_open": subject.status == "scheduled" and not subject.self_assessment_submitted_at
                and not (subject.self_assessment_due and today > subject.self_assessment_due),
                "follow_ups": selectors.assessment_follow_ups(subject, today)}

    def perform(self, form):
        from tenants.quality import oversight

        oversight.assessment_respond(actor=self.request.user, assessment=self.subject,
                                     response=form.cleaned_data["response"])
        self.success("Your comments have been sent.")
        return redirect("provider-quality:assessment", assessment_id=self.subject.pk)


def _documents(provider_id: int):
    """The provider's current documents in the shared catalogue, to cite as evidence."""
    from shared_catalogue.models import Evidence

    return list(Evidence.objects.filter(provider_id=provider_id, replaced_by__isnull=True).order_by("-uploaded_at"))


class SelfAssessmentView(FormPageMixin, ProviderPageMixin, View):
    template_name = "quality/provider/self_assessment.html"
    title = "Self-assessment"

    def load(self, assessment_id):
        from tenants.quality.models import Assessment

        self.assessment = (Assessment.objects.filter(provider_id__in=self.access.provider_ids, pk=assessment_id)
                           .select_related("provider").first())
        if self.assessment is None:
            raise Http404("Your organisations have no such assessment here.")
        self.documents = _documents(self.assessment.provider_id)

    def check(self):
        self.require(policy.can_self_assess(self.access, self.assessment.provider_id),
                     "Only the provider's admins and bid writers complete its self-assessment.")

    def get_form(self, data=None):
        from tenants.quality.forms import SelfAssessmentForm

        return SelfAssessmentForm(data=data, rows=selectors.assessment_standards(self.assessment),
                                  documents=self.documents)

    def page_context(self):
        a = self.assessment
        return {"assessment": a, "closed": a.status != "scheduled" or bool(a.self_assessment_submitted_at)}

    def perform(self, form):
        from tenants.quality import assessments

        entries = form.entries({d.pk: d for d in self.documents})
        # The draft is kept even if submitting finds something missing.
        assessments.self_assessment_save(actor=self.request.user, assessment=self.assessment, entries=entries)
        if "submit_all" in self.request.POST:
            assessments.self_assessment_submit(actor=self.request.user, assessment=self.assessment)
        if "submit_all" in self.request.POST:
            self.success("Self-assessment submitted. The quality officer will validate each standard.")
            return redirect("provider-quality:assessment", assessment_id=self.assessment.pk)
        self.success("Saved as a draft. You can come back to it before you submit.")
        return redirect("provider-quality:self-assessment", assessment_id=self.assessment.pk)


class FollowUpDoneView(FormPageMixin, ProviderPageMixin, View):
    template_name = "quality/provider/follow_up.html"
    title = "Mark an action done"

    def load(self, follow_up_id):
        from tenants.quality.models import FollowUp

        self.follow_up = (FollowUp.objects.filter(provider_id__in=self.access.provider_ids, pk=follow_up_id,
                                                  owner_side=FollowUp.Owner.PROVIDER)
                          .select_related("assessment", "provider", "owner").first())
        if self.follow_up is None:
            raise Http404("Your organisations have no such action here.")

    def check(self):
        f = self.follow_up
        self.require(f.owner_id == self.request.user.pk or self.access.has_provider_role(f.provider_id,
                                                                                         "provider_admin"),
                     "Only the action's owner or the provider's admins mark it done.")

    def get_form(self, data=None):
        from tenants.quality.forms import FollowUpDoneForm

        return FollowUpDoneForm(data=data, documents=_documents(self.follow_up.provider_id))

    def page_context(self):
        return {"follow_up": self.follow_up, "open": self.follow_up.status == "open"}

    def perform(self, form):
        from shared_catalogue.models import Evidence
        from tenants.quality import assessments

        chosen = form.cleaned_data["evidence"]
        evidence = Evidence.objects.filter(pk=int(chosen)).first() if chosen else None
        assessments.follow_up_done(actor=self.request.user, follow_up=self.follow_up,
                                   note=form.cleaned_data["note"], evidence=evidence)
        self.success("Marked done. The quality officer will verify it.")
        return redirect("provider-quality:assessment", assessment_id=self.follow_up.assessment_id)


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

    def page_context(self):
        return super().page_context() | {"reviews": list(self.subject.reviews.all())}

    def perform(self, form):
        from tenants.quality import oversight

        oversight.action_respond(actor=self.request.user, action=self.subject, response=form.cleaned_data["response"])
        self.success("Your response has been sent.")
        return redirect("provider-quality:returns")
