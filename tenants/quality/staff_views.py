"""Contract management for an authority's staff: each agreement's KPI
table (RAG against target, trend, each provider's figure), adding KPIs
(commissioners), and the returns to validate or query (quality officers
and commissioners) or that are missing. The services decide."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from accounts.mixins import StaffPageMixin
from common.filters import page_filters
from tenants.agreements import selectors as agreement_selectors
from tenants.agreements.models import Agreement
from tenants.quality import policy, selectors, services
from tenants.quality.charts import bar_chart, distribution_chart
from tenants.quality.filters import RegionalRiskFilters, ReturnFilters, RiskFilters
from tenants.quality.forms import KpiForm, QueryForm
from tenants.quality.models import Kpi, KpiReturn
from tenants.quality.periods import period_label
from web.pages import FormPageMixin

READ_REFUSED = "Only staff read KPIs and returns."
REVIEW_REFUSED = "Only quality officers and commissioners review returns."
DEFINE_REFUSED = "Only commissioners set what an agreement measures."


class QualityPage(StaffPageMixin, View):
    def render(self, template: str, status: int = 200, **context):
        context.setdefault("access", self.access)
        context.setdefault("can_review", policy.can_review_returns(self.access))
        context.setdefault("can_define", policy.can_define_kpis(self.access))
        return render(self.request, f"quality/staff/{template}", context, status=status)

    def agreement(self, agreement_id) -> Agreement:
        self.require(policy.can_view_kpis(self.access), READ_REFUSED)
        found = agreement_selectors.agreement_for_staff(agreement_id)
        if found is None:
            raise Http404("No such agreement here.")
        return found


class QualityHomeView(QualityPage):
    """Agreements with what they measure, what awaits validation and what is missing."""

    def get(self, request):
        self.require(policy.can_view_kpis(self.access), READ_REFUSED)
        today = timezone.localdate()
        agreements = (Agreement.objects.filter(kpis__isnull=False).distinct()
                      .annotate(kpi_count=Count("kpis", distinct=True),
                                waiting=Count("kpis__returns", filter=Q(kpis__returns__status="submitted")),
                                missing=Count("kpis__returns", filter=Q(kpis__returns__status__in=("due", "queried"),
                                                                        kpis__returns__due_on__lt=today)))
                      .order_by("title"))
        others = Agreement.objects.filter(kpis__isnull=True, status__in=("live", "open")).order_by("title")
        return self.render("home.html", agreements=agreements, others=others)


class KpiTableView(QualityPage):
    def get(self, request, agreement_id):
        agreement = self.agreement(agreement_id)
        rows = selectors.kpi_table(agreement)
        for row in rows:
            row.chart = bar_chart(row.history, target=row.kpi.target,
                                  percentage=row.kpi.measure in (Kpi.Measure.PERCENTAGE, Kpi.Measure.YES_NO))
        return self.render("table.html", agreement=agreement, rows=rows)


class KpiCreateView(FormPageMixin, StaffPageMixin, View):
    form_class = KpiForm
    template_name = "quality/staff/kpi_form.html"
    title = "Add a KPI"

    def load(self, agreement_id):
        found = agreement_selectors.agreement_for_staff(agreement_id)
        if found is None:
            raise Http404("No such agreement here.")
        self.agreement = found

    def check(self):
        self.require(policy.can_define_kpis(self.access), DEFINE_REFUSED)

    def get_form_kwargs(self):
        return {"lots": list(self.agreement.lots.order_by("number")), "initial": {"starts_on": timezone.localdate()}}

    def page_context(self):
        return {"agreement": self.agreement}

    def perform(self, form):
        data = dict(form.cleaned_data)
        lot_id = data.pop("lot")
        lot = self.agreement.lots.filter(pk=lot_id).first() if lot_id else None
        kpi = services.kpi_create(actor=self.request.user, agreement=self.agreement, lot=lot, **data)
        self.success(f"{kpi.code} added. Providers will be asked for a return after each period ends.")
        return redirect("quality-staff:table", agreement_id=self.agreement.pk)


class ReturnListView(QualityPage):
    def get(self, request):
        self.require(policy.can_view_kpis(self.access), READ_REFUSED)
        _, asked, refused = page_filters(ReturnFilters, request, None)
        status, missing = asked.get("status", ""), asked.get("missing", False)
        rows = selectors.returns_for_staff(status=status, missing=missing, kpi_id=asked.get("kpi"),
                                           provider_id=asked.get("provider"))
        page = Paginator(rows.none() if refused else rows, 50).get_page(request.GET.get("page"))
        today = timezone.localdate()
        for row in page:
            row.period = period_label(row.kpi.period, row.period_start, row.period_end)
            row.missing = row.is_missing(today)
        return self.render("returns.html", status=400 if refused else 200, page=page, status_filter=status,
                           missing=missing, statuses=KpiReturn.Status.choices, filter_errors=refused)


class ReturnDetailView(QualityPage):
    def kpi_return(self, return_id) -> KpiReturn:
        self.require(policy.can_view_kpis(self.access), READ_REFUSED)
        found = selectors.return_for_staff(return_id)
        if found is None:
            raise Http404("No such return here.")
        return found

    def page(self, kpi_return, form=None, status=200):
        kpi_return.period = period_label(kpi_return.kpi.period, kpi_return.period_start, kpi_return.period_end)
        kpi_return.missing = kpi_return.is_missing(timezone.localdate())
        return self.render("return.html", status=status, kpi_return=kpi_return, form=form or QueryForm())

    def get(self, request, return_id):
        return self.page(self.kpi_return(return_id))

    def post(self, request, return_id):
        kpi_return = self.kpi_return(return_id)
        self.require(policy.can_review_returns(self.access), REVIEW_REFUSED)
        if request.POST.get("decision") == "validate":
            try:
                services.return_validate(actor=request.user, kpi_return=kpi_return)
            except ValidationError as error:
                form = QueryForm()
                form.add_service_errors(error)
                return self.page(kpi_return, form, status=409)
            messages.success(request, "Return validated.")
            return redirect("quality-staff:return", return_id=kpi_return.pk)
        form = QueryForm(request.POST)
        if form.is_valid():
            try:
                services.return_query(actor=request.user, kpi_return=kpi_return, query=form.cleaned_data["query"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Return queried. The provider has been e-mailed.")
                return redirect("quality-staff:return", return_id=kpi_return.pk)
        return self.page(kpi_return, form, status=400)


# --- The early warning, and what is known about one provider -------------------------

QUALITY_REFUSED = "Only quality officers and commissioners read and record intelligence, assessments and actions."


def _is_quality(access) -> bool:
    return policy.can_oversee(access)


class RiskDashboardView(QualityPage):
    def get(self, request):
        from tenants.agreements.models import Lot
        from tenants.quality import risk

        self.require(policy.can_view_kpis(self.access), READ_REFUSED)
        lots = list(Lot.objects.select_related("agreement", "service_type").order_by("agreement__title", "number"))
        _, asked, refused = page_filters(RiskFilters, request, None)
        lot_id = str(asked.get("lot", ""))
        lot = next((x for x in lots if str(x.pk) == lot_id), None)
        if lot_id and lot is None:
            refused.append(f"lot: No lot with id {lot_id} here.")
        colour = asked.get("colour", "")
        service_types = risk.service_types_of(lots)
        service = asked["service_type"].code if asked.get("service_type") else ""
        if service and service not in dict(service_types):
            refused.append(f"service_type: No lot here is for “{service}”.")
        # counted before the colour filter, so the chart shows every colour
        rows = [] if refused else risk.dashboard(lot_id=lot.pk if lot else None, service_type=service)
        counts = {c: sum(r.risk.colour == c for r in rows) for c in ("red", "amber", "green")}
        if colour:
            rows = [r for r in rows if r.risk.colour == colour]
        page = Paginator(rows, 100).get_page(request.GET.get("page"))
        return self.render("risk.html", status=400 if refused else 200, filter_errors=refused,
                           rows=page, page=page, lots=lots, lot_filter=lot_id if lot else "",
                           colour=colour, service_types=service_types, service_filter=service, counts=counts,
                           chart=distribution_chart(counts), is_quality=_is_quality(self.access),
                           filtered=bool(lot or service))


class RegionalRiskView(QualityPage):
    """The colours partner authorities in the region give the providers
    used here that they use too, beside this authority's own."""

    def get(self, request):
        from tenants.quality import regional

        self.require(_is_quality(self.access), QUALITY_REFUSED)
        _, asked, refused = page_filters(RegionalRiskFilters, request, None)
        colour = asked.get("colour", "")
        rows = [] if refused else regional.regional_view(
            colour=colour, provider_ids=[asked["provider"]] if asked.get("provider") else None)
        page = Paginator(rows, 100).get_page(request.GET.get("page"))
        return self.render("regional.html", status=400 if refused else 200, filter_errors=refused, rows=page,
                           page=page, colour=colour, region=self.request.tenant.region)


class ProviderOversightView(QualityPage):
    def get(self, request, provider_id):
        from shared_catalogue.models import Provider
        from tenants.admissions.models import Admission
        from tenants.quality import risk
        from tenants.quality.models import Action, Assessment, FeedbackLink, Intelligence
        from tenants.quality.oversight import shared_with_here
        from tenants.quality.regional import regional_view

        self.require(policy.can_view_kpis(self.access), READ_REFUSED)
        provider = Provider.objects.filter(pk=provider_id).first()
        if provider is None or not Admission.objects.filter(provider=provider).exists():
            raise Http404("That provider has never been admitted here.")
        from tenants.placements.models import Placement

        quality = _is_quality(self.access)
        actions = list(Action.objects.filter(provider=provider).select_related(
            "agreement", "placement__package", "placement__replacement").prefetch_related("reviews"))
        for action in actions:
            action.last_review = next(reversed(action.reviews.all()), None)
        return self.render(
            "provider.html", provider=provider, risk=risk.assess([provider.pk])[provider.pk], is_quality=quality,
            placements=list(Placement.objects.filter(provider=provider).exclude(status=Placement.Status.ENDED)
                            .select_related("package").order_by("start_on", "pk")) if quality else [],
            intelligence=list(Intelligence.objects.filter(provider=provider)[:100]) if quality else [],
            shared=list(shared_with_here([provider.pk])[:100]) if quality else [],
            partners=[colour for row in (regional_view(provider_ids=[provider.pk]) if quality else [])
                      for colour in row.partners],
            links=list(FeedbackLink.objects.filter(provider=provider, active=True)) if quality else [],
            assessments=list(Assessment.objects.filter(provider=provider)),
            actions=actions)


class _ProviderFormPage(FormPageMixin, StaffPageMixin, View):
    def load(self, provider_id):
        from shared_catalogue.models import Provider
        from tenants.admissions.models import Admission

        self.provider = Provider.objects.filter(pk=provider_id).first()
        if self.provider is None or not Admission.objects.filter(provider=self.provider).exists():
            raise Http404("That provider has never been admitted here.")

    def check(self):
        self.require(_is_quality(self.access), QUALITY_REFUSED)

    def page_context(self):
        return {"provider": self.provider}

    def done(self, message: str):
        self.success(message)
        return redirect("quality-staff:provider", provider_id=self.provider.pk)


class IntelligenceCreateView(_ProviderFormPage):
    template_name = "quality/staff/provider_form.html"
    title = "Record intelligence"

    def get_form(self, data=None):
        from tenants.quality.forms import IntelligenceForm

        return IntelligenceForm(data=data, initial={"occurred_on": timezone.localdate()})

    def perform(self, form):
        from tenants.quality import oversight

        oversight.intelligence_record(actor=self.request.user, provider=self.provider, **form.cleaned_data)
        return self.done("Intelligence recorded.")


class ActionCreateView(_ProviderFormPage):
    template_name = "quality/staff/provider_form.html"
    title = "Take a contract action"

    def get_form(self, data=None):
        from tenants.quality.forms import ActionForm

        return ActionForm(data=data, agreements=Agreement.objects.order_by("title"))

    def perform(self, form):
        from tenants.quality import oversight

        data = dict(form.cleaned_data)
        agreement_id = data.pop("agreement")
        agreement = Agreement.objects.filter(pk=agreement_id).first() if agreement_id else None
        oversight.action_take(actor=self.request.user, provider=self.provider, agreement=agreement, **data)
        return self.done("Action taken. The provider can read the grounds and respond.")


class PlacementTerminateView(FormPageMixin, StaffPageMixin, View):
    """Terminate one placement as a contract action: it ends, and a draft
    package re-sourcing the person's care goes to the brokers."""

    template_name = "quality/staff/terminate.html"
    title = "Terminate a placement"

    def load(self, placement_id):
        from tenants.placements.models import Placement

        self.placement = (Placement.objects.select_related("package__agreement", "package__lot", "provider",
                                                           "replacement")
                          .filter(pk=placement_id).first())
        if self.placement is None:
            raise Http404("No placement with that number here.")

    def check(self):
        self.require(_is_quality(self.access), QUALITY_REFUSED)

    def get_form(self, data=None):
        from tenants.quality.forms import TerminationForm

        return TerminationForm(data=data)

    def page_context(self):
        return {"placement": self.placement, "provider": self.placement.provider}

    def perform(self, form):
        from tenants.quality import oversight

        action = oversight.placement_terminate(actor=self.request.user, placement=self.placement,
                                               **form.cleaned_data)
        draft = action.placement.replacement
        self.success(f"Placement {self.placement.pk} is terminated and ends on "
                     f"{action.placement.ended_on:%-d %B %Y}. The provider has been told the grounds. "
                     f"{draft.reference} re-sources the person's care: a broker will review and publish it.")
        return redirect("quality-staff:provider", provider_id=self.placement.provider_id)


class AssessmentCreateView(_ProviderFormPage):
    template_name = "quality/staff/provider_form.html"
    title = "Schedule a quality assessment"

    def get_form(self, data=None):
        from tenants.quality.forms import AssessmentForm

        return AssessmentForm(data=data)

    def perform(self, form):
        from tenants.quality import oversight

        made = oversight.assessment_schedule(actor=self.request.user, provider=self.provider, **form.cleaned_data)
        self.success("Assessment scheduled.")
        return redirect("quality-staff:assessment", assessment_id=made.pk)


class AssessmentView(QualityPage):
    def assessment(self, assessment_id):
        from tenants.quality.models import Assessment

        self.require(_is_quality(self.access), QUALITY_REFUSED)
        found = Assessment.objects.select_related("provider").filter(pk=assessment_id).first()
        if found is None:
            raise Http404("No such assessment here.")
        return found

    def page(self, assessment, form=None, status=200):
        from tenants.quality.assessments import suggestions
        from tenants.quality.forms import DraftForm
        from tenants.quality.models import DOMAINS, RATINGS

        words = dict(RATINGS)
        domains = [(label, words.get(assessment.domain_ratings.get(key), "")) for key, label in DOMAINS]
        standards = selectors.assessment_standards(assessment)
        outstanding = sum(1 for row in standards if not row.validated_at)
        suggested, overall = suggestions(standards) if standards and not outstanding else ({}, "")
        if form is None:
            form = DraftForm(initial={"rating": overall, **{f"domain_{k}": v for k, v in suggested.items() if v}})
        today = timezone.localdate()
        return self.render("assessment.html", status=status, assessment=assessment, form=form,
                           domains=domains, rating_words=words.get(assessment.rating, ""),
                           standards=standards, outstanding=outstanding,
                           suggested=[(label, words.get(suggested.get(key), "")) for key, label in DOMAINS
                                      if suggested.get(key)], suggested_overall=words.get(overall, ""),
                           may_validate=assessment.status == "scheduled" and (
                               assessment.self_assessment_submitted_at or (
                                   assessment.self_assessment_due and today > assessment.self_assessment_due)),
                           follow_ups=selectors.assessment_follow_ups(assessment, today),
                           can_finalise=assessment.status == "draft_sent" and (
                               assessment.responded_at or today > assessment.respond_by))

    def get(self, request, assessment_id):
        return self.page(self.assessment(assessment_id))

    def post(self, request, assessment_id):
        from tenants.quality import oversight
        from tenants.quality.forms import DraftForm

        assessment = self.assessment(assessment_id)
        if request.POST.get("decision") == "finalise":
            try:
                oversight.assessment_finalise(actor=request.user, assessment=assessment)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("quality-staff:assessment", assessment_id=assessment.pk)
            messages.success(request, "Rating finalised and shared with the authorities that use the provider.")
            return redirect("quality-staff:assessment", assessment_id=assessment.pk)
        form = DraftForm(request.POST)
        if form.is_valid():
            try:
                oversight.assessment_send_draft(
                    actor=request.user, assessment=assessment, domain_ratings=form.domain_ratings(),
                    rating=form.cleaned_data["rating"], findings=form.cleaned_data["findings"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Draft report sent. The provider can comment on its factual accuracy.")
                return redirect("quality-staff:assessment", assessment_id=assessment.pk)
        return self.page(assessment, form, status=400)


class ActionLiftView(FormPageMixin, StaffPageMixin, View):
    template_name = "quality/staff/provider_form.html"
    title = "Lift the action"

    def load(self, action_id):
        from tenants.quality.models import Action

        self.action = Action.objects.select_related("provider").filter(pk=action_id, status="active").first()
        if self.action is None:
            raise Http404("No action in force with that number here.")

    def check(self):
        self.require(_is_quality(self.access), QUALITY_REFUSED)

    def get_form(self, data=None):
        from tenants.quality.forms import LiftForm

        return LiftForm(data=data)

    def page_context(self):
        return {"provider": self.action.provider, "action": self.action}

    def perform(self, form):
        from tenants.quality import oversight

        oversight.action_lift(actor=self.request.user, action=self.action, reason=form.cleaned_data["reason"])
        self.success(f"{self.action.get_kind_display()} lifted.")
        return redirect("quality-staff:provider", provider_id=self.action.provider_id)


class ActionView(FormPageMixin, StaffPageMixin, View):
    """An action: its grounds, the provider's response, every review, and
    (while it is in force) a form to record a review."""

    template_name = "quality/staff/action.html"
    title = "Record a review"

    def load(self, action_id):
        from tenants.quality.models import Action

        self.action = (Action.objects.select_related("provider", "agreement", "placement__package")
                       .filter(pk=action_id).first())
        if self.action is None:
            raise Http404("No action with that number here.")

    def check(self):
        self.require(_is_quality(self.access), QUALITY_REFUSED)

    def get_form(self, data=None):
        from tenants.quality.forms import ActionReviewForm

        return ActionReviewForm(data=data)

    def page_context(self):
        return {"action": self.action, "reviews": list(self.action.reviews.select_related("reviewed_by"))}

    def perform(self, form):
        from tenants.quality import oversight

        review = oversight.action_review(actor=self.request.user, action=self.action, **form.cleaned_data)
        if review.outcome == "lift":
            self.success(f"Review recorded and the {self.action.get_kind_display().lower()} lifted. The provider "
                         "has been told.")
        else:
            self.success(f"Review recorded. The next review is on {review.next_review_on:%-d %B %Y}. The provider "
                         "has been told.")
        return redirect("quality-staff:action", action_id=self.action.pk)


class FeedbackLinkCreateView(_ProviderFormPage):
    template_name = "quality/staff/provider_form.html"
    title = "Make a feedback link"

    def get_form(self, data=None):
        from tenants.quality.forms import FeedbackLinkForm

        return FeedbackLinkForm(data=data)

    def perform(self, form):
        from tenants.quality import oversight

        oversight.feedback_link_create(actor=self.request.user, provider=self.provider,
                                       label=form.cleaned_data["label"])
        return self.done("Feedback link made. Give people the address shown under Feedback links.")


class FeedbackListView(QualityPage):
    def get(self, request):
        from tenants.quality.models import Feedback

        self.require(_is_quality(self.access), QUALITY_REFUSED)
        waiting = list(Feedback.objects.filter(status="new").select_related("provider", "link"))
        done = list(Feedback.objects.exclude(status="new").select_related("provider")[:50])
        return self.render("feedback.html", waiting=waiting, done=done)


class FeedbackModerateView(FormPageMixin, StaffPageMixin, View):
    template_name = "quality/staff/moderate.html"
    title = "Moderate feedback"

    def load(self, feedback_id):
        from tenants.quality.models import Feedback

        self.feedback = Feedback.objects.select_related("provider", "link").filter(pk=feedback_id).first()
        if self.feedback is None:
            raise Http404("No such feedback here.")

    def check(self):
        self.require(_is_quality(self.access), QUALITY_REFUSED)

    def get_form(self, data=None):
        from tenants.quality.forms import ModerateForm

        return ModerateForm(data=data)

    def page_context(self):
        return {"feedback": self.feedback}

    def perform(self, form):
        from tenants.quality import oversight

        accept = form.cleaned_data["decision"] == "accept"
        oversight.feedback_moderate(actor=self.request.user, feedback=self.feedback, accept=accept,
                                    summary=form.cleaned_data["summary"], severity=form.cleaned_data["severity"])
        self.success("Recorded as intelligence." if accept else "Set aside.")
        return redirect("quality-staff:feedback")


# --- An assessment's standards and follow-up actions --------------------------------------

class _AssessmentFormPage(FormPageMixin, StaffPageMixin, View):
    template_name = "quality/staff/assessment_form.html"

    def load_assessment(self, assessment_id):
        from tenants.quality.models import Assessment

        self.assessment = Assessment.objects.select_related("provider").filter(pk=assessment_id).first()
        if self.assessment is None:
            raise Http404("No such assessment here.")

    def check(self):
        self.require(_is_quality(self.access), QUALITY_REFUSED)

    def page_context(self):
        return {"assessment": self.assessment}

    def back(self):
        return redirect("quality-staff:assessment", assessment_id=self.assessment.pk)


class StandardValidateView(_AssessmentFormPage):
    title = "Validate a standard"

    def load(self, assessment_id, standard):
        from tenants.quality.standards import BY_KEY

        self.load_assessment(assessment_id)
        self.row = self.assessment.standards.select_related("evidence").filter(standard=standard).first()
        if self.row is None or standard not in BY_KEY:
            raise Http404("No such standard in this assessment.")
        self.row.info = BY_KEY[standard]

    def get_form(self, data=None):
        from tenants.quality.forms import ValidateForm

        initial = {}
        if self.row.validated_at:
            initial = {"agree": "yes" if self.row.agreed else "no", "rating": "" if self.row.agreed else
                       self.row.officer_rating, "note": self.row.officer_note}
        return ValidateForm(data=data, initial=initial)

    def page_context(self):
        return {"assessment": self.assessment, "row": self.row}

    def perform(self, form):
        from tenants.quality import assessments

        assessments.standard_validate(actor=self.request.user, assessment=self.assessment,
                                      standard=self.row.standard, agree=form.cleaned_data["agree"],
                                      rating=form.cleaned_data["rating"], note=form.cleaned_data["note"])
        self.success(f"“{self.row.info.title}” validated.")
        return self.back()


class FollowUpCreateView(_AssessmentFormPage):
    title = "Add an action from this assessment"

    def load(self, assessment_id):
        self.load_assessment(assessment_id)

    def get_form(self, data=None):
        from tenants.quality.forms import FollowUpForm

        return FollowUpForm(data=data, owners=selectors.owner_choices(self.assessment))

    def perform(self, form):
        from accounts.models import User
        from tenants.quality import assessments

        fields = form.fields_for_service()
        owner_id = fields.pop("owner_id")
        owner = User.objects.filter(pk=owner_id).first() if owner_id else None
        assessments.follow_up_add(actor=self.request.user, assessment=self.assessment, owner=owner, **fields)
        self.success("Action added. Its owner can see it and mark it done.")
        return self.back()


class FollowUpReviewView(_AssessmentFormPage):
    title = "Verify or reopen an action"

    def load(self, follow_up_id):
        from tenants.quality.models import FollowUp

        self.follow_up = (FollowUp.objects.select_related("assessment__provider", "owner", "done_evidence")
                          .filter(pk=follow_up_id).first())
        if self.follow_up is None:
            raise Http404("No such action here.")
        self.assessment = self.follow_up.assessment

    def get_form(self, data=None):
        from tenants.quality.forms import FollowUpReviewForm

        return FollowUpReviewForm(data=data)

    def page_context(self):
        return {"assessment": self.assessment, "follow_up": self.follow_up}

    def perform(self, form):
        from tenants.quality import assessments

        if form.cleaned_data["decision"] == "verify":
            assessments.follow_up_verify(actor=self.request.user, follow_up=self.follow_up)
            self.success("Action verified.")
        else:
            assessments.follow_up_reopen(actor=self.request.user, follow_up=self.follow_up,
                                         reason=form.cleaned_data["reason"], due_on=form.cleaned_data["due_on"])
            self.success("Action reopened. Its owner can see what is still to be done.")
        return self.back()


class SelfAssessmentDueView(_AssessmentFormPage):
    title = "Change the self-assessment date"

    def load(self, assessment_id):
        self.load_assessment(assessment_id)

    def get_form(self, data=None):
        from tenants.quality.forms import DueForm

        return DueForm(data=data)

    def perform(self, form):
        from tenants.quality import assessments

        assessments.self_assessment_due_change(actor=self.request.user, assessment=self.assessment,
                                               **form.cleaned_data)
        self.success("The provider has a new date for its self-assessment.")
        return self.back()


class FollowUpDoneView(_AssessmentFormPage):
    """An action owned by an officer here, marked done by them (or another quality officer)."""

    title = "Mark an action done"

    def load(self, follow_up_id):
        from tenants.quality.models import FollowUp

        self.follow_up = (FollowUp.objects.select_related("assessment__provider", "owner")
                          .filter(pk=follow_up_id, owner_side=FollowUp.Owner.AUTHORITY).first())
        if self.follow_up is None:
            raise Http404("No such action owned here.")
        self.assessment = self.follow_up.assessment

    def check(self):
        self.require(_is_quality(self.access) or self.follow_up.owner_id == self.request.user.pk,
                     "Only the action's owner or a quality officer marks it done.")

    def get_form(self, data=None):
        from tenants.quality.forms import FollowUpDoneForm

        return FollowUpDoneForm(data=data)

    def page_context(self):
        return {"assessment": self.assessment, "follow_up": self.follow_up}

    def perform(self, form):
        from tenants.quality import assessments

        assessments.follow_up_done(actor=self.request.user, follow_up=self.follow_up, note=form.cleaned_data["note"])
        self.success("Marked done. It waits to be verified.")
        return self.back()
