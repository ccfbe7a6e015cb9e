"""Agreements as an authority's staff see them: every member of staff reads
them; commissioners set them up and run them (policy.can_manage_agreements).
Every change goes through a service; the pages show the rule and its source
wherever one applies."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from accounts.mixins import StaffPageMixin
from tenants.agreements import forms, policy, selectors, services
from tenants.agreements.models import Agreement, QuestionnaireVersion
from web.pages import FormPageMixin

FORM_PAGE = "workspace/staff_form_page.html"

MOVE_LABELS = {
    "open": "Open for applications",
    "go_live": "Go live",
    "suspend": "Suspend",
    "resume": "Resume",
    "end": "End the agreement",
}
MOVE_URLS = {"open": "open", "go_live": "go-live", "suspend": "suspend", "resume": "resume", "end": "end"}


class AgreementListView(StaffPageMixin, View):
    def get(self, request):
        self.require(policy.can_view_agreements(self.access), "Only staff read agreements.")
        return render(request, "agreements/staff/list.html", {
            "agreements": selectors.agreements_for_staff(),
            "partnerships": self.authority.partnerships.filter(is_active=True).order_by("name"),
            "can_manage": policy.can_manage_agreements(self.access),
            "access": self.access,
        })


class AgreementMixin(StaffPageMixin):
    """Pages about one agreement of this authority (404 for anything else)."""

    def load_agreement(self, agreement_id) -> Agreement:
        agreement = selectors.agreement_for_staff(agreement_id)
        if agreement is None:
            raise Http404("No such agreement here.")
        return agreement

    def detail_url(self) -> str:
        return reverse("agreements-staff:detail", args=[self.agreement.pk])


class AgreementDetailView(AgreementMixin, View):
    def get(self, request, agreement_id):
        self.require(policy.can_view_agreements(self.access), "Only staff read agreements.")
        self.agreement = agreement = selectors.agreement_detail(agreement_id)
        if agreement is None:
            raise Http404("No such agreement here.")
        can_manage = policy.can_manage_agreements(self.access)
        moves = services.moves_from(agreement.status) if can_manage else []
        return render(request, "agreements/staff/detail.html", {
            "agreement": agreement,
            "rules": agreement.regime,
            "window": selectors.application_window(agreement),
            "lots": agreement.lots.all(),
            "rounds": agreement.rounds.all(),
            "versions": agreement.questionnaires.all(),
            "modifications": agreement.modifications.all(),
            "call_off_authorities": agreement.call_off_authorities.all(),
            "grants": agreement.grants.select_related("grantee").prefetch_related("lots")
            .order_by("grantee__name", "-granted_at"),
            "moves": [(reverse(f"agreements-staff:{MOVE_URLS[m]}", args=[agreement.pk]), MOVE_LABELS[m])
                      for m in moves],
            "can_manage": can_manage,
            "access": self.access,
        })


class ManagerFormPage(FormPageMixin, AgreementMixin, View):
    """A commissioner's form about one agreement."""

    template_name = FORM_PAGE

    def load(self, agreement_id=None, **kwargs):
        self.agreement = self.load_agreement(agreement_id) if agreement_id is not None else None

    def check(self):
        self.require(policy.can_manage_agreements(self.access),
                     "Only commissioners set up and change agreements.")

    def page_context(self) -> dict:
        return {"caption": f"{self.agreement.reference} {self.agreement.title}", "back_url": self.detail_url(),
                "back_label": self.agreement.title} | self.extra_context()

    def extra_context(self) -> dict:
        return {}


class AgreementCreateView(ManagerFormPage):
    title = "Set up an agreement"
    form_class = forms.AgreementForm
    template_name = "agreements/staff/create.html"

    def get_form_kwargs(self):
        return {"candidates": selectors.call_off_candidates()}

    def page_context(self):
        from tenants.agreements.rules import REGIMES

        return {"regimes": REGIMES.values()}

    def perform(self, form):
        data = dict(form.cleaned_data)
        authorities = list(data.pop("call_off_authorities")) or None
        agreement = services.agreement_create(actor=self.request.user, call_off_authorities=authorities, **data)
        self.success(f"{agreement.title} is set up as a draft. Add its lots, and publish its questionnaire.")
        return redirect("agreements-staff:detail", agreement.pk)


class LotAddView(ManagerFormPage):
    title = "Add a lot"
    form_class = forms.LotForm

    def get_form_kwargs(self):
        return {"live": bool(self.agreement.went_live_at)}

    def extra_context(self):
        if self.agreement.went_live_at:
            return {"warning": "The agreement is live. Adding a lot is a modification: it is recorded with "
                               "your reason."}
        return {}

    def perform(self, form):
        lot = services.lot_add(actor=self.request.user, agreement=self.agreement, **form.cleaned_data)
        self.success(f"{lot} added.")
        return redirect(self.detail_url())


class RoundAddView(ManagerFormPage):
    title = "Add an application round"
    form_class = forms.RoundForm

    def extra_context(self):
        return {"rules": [self.agreement.regime.applications]}

    def perform(self, form):
        application_round = services.round_add(actor=self.request.user, agreement=self.agreement,
                                               **form.cleaned_data)
        self.success(f"{application_round} added.")
        return redirect(self.detail_url())


class CallOffView(ManagerFormPage):
    title = "Who may call off"
    form_class = forms.CallOffForm

    def get_form_kwargs(self):
        return {"candidates": selectors.call_off_candidates(), "live": bool(self.agreement.went_live_at),
                "initial": {"authorities": list(self.agreement.call_off_authorities.all())}}

    def extra_context(self):
        intro = ["Only the authority, or a partnership's members, can be named. Who may call off is fixed when "
                 "the agreement goes live."]
        if self.agreement.went_live_at:
            return {"intro": intro, "warning": "The agreement is live: a change is a modification, recorded with "
                                               "your reason."}
        return {"intro": intro}

    def perform(self, form):
        services.agreement_set_call_off_authorities(
            actor=self.request.user, agreement=self.agreement, authorities=list(form.cleaned_data["authorities"]),
            reason=form.cleaned_data.get("reason", ""))
        self.success("Who may call off is saved.")
        return redirect(self.detail_url())


class TransitionView(ManagerFormPage):
    """Open, go live, suspend, resume or end: one page per move, with the rule."""

    move = ""

    @property
    def title(self):
        return f"{MOVE_LABELS[self.move]}: {self.agreement.title}"

    def get_form(self, data=None):
        if self.move == "open":
            needs = bool(self.agreement.regime.initial_period_days)
            return forms.OpenForm(data=data, needs_initial_period=needs,
                                  initial={"initial_period_ends_on": self.agreement.initial_period_ends_on})
        if self.move == "suspend":
            return forms.ReasonForm(data=data, submit_label="Suspend", reason_label="Why is it suspended?")
        if self.move == "end":
            return forms.ReasonForm(data=data, submit_label="End the agreement", reason_label="Why does it end?",
                                    reason_help="For example: the term expired.")
        if self.move == "resume":
            return forms.ReasonForm(data=data, submit_label="Resume", reason_label="Reason (optional)")
        return forms.ConfirmForm(data=data, submit_label=MOVE_LABELS[self.move])

    def extra_context(self):
        regime = self.agreement.regime
        rules, intro = [], []
        if self.move == "open":
            intro = ["Providers can apply once it is open. It needs at least one lot and a published "
                     "questionnaire."]
            rules = [regime.applications] + ([regime.initial_period] if regime.initial_period else [])
        elif self.move == "go_live":
            intro = ["Call-offs may start once it is live. Who may call off is fixed from then on: a later "
                     "change is a recorded modification."]
            rules = [regime.initial_period] if regime.initial_period else []
        elif self.move == "suspend":
            intro = ["No call-offs while it is suspended. Admitted providers stay admitted."]
        elif self.move == "end":
            intro = ["An ended agreement takes no applications and no call-offs. This cannot be undone."]
        return {"intro": intro, "rules": rules}

    def perform(self, form):
        actor, agreement, data = self.request.user, self.agreement, form.cleaned_data
        if self.move == "open":
            services.agreement_open(actor=actor, agreement=agreement,
                                    initial_period_ends_on=data.get("initial_period_ends_on"))
        elif self.move == "go_live":
            services.agreement_go_live(actor=actor, agreement=agreement)
        elif self.move == "suspend":
            services.agreement_suspend(actor=actor, agreement=agreement, reason=data["reason"])
        elif self.move == "resume":
            services.agreement_resume(actor=actor, agreement=agreement, reason=data["reason"])
        elif self.move == "end":
            services.agreement_end(actor=actor, agreement=agreement, reason=data["reason"])
        agreement.refresh_from_db()
        self.success(f"{agreement.title} is now {agreement.get_status_display().lower()}.")
        return redirect(self.detail_url())


# --- The selection questionnaire ----------------------------------------------------------------

class QuestionnaireView(AgreementMixin, View):
    def get(self, request, agreement_id):
        self.require(policy.can_view_agreements(self.access), "Only staff read agreements.")
        agreement = self.load_agreement(agreement_id)
        versions = list(selectors.questionnaire_versions(agreement))
        return render(request, "agreements/staff/questionnaire.html", {
            "agreement": agreement,
            "versions": versions,
            "current": selectors.published_questionnaire(agreement),
            "draft": next((v for v in versions if v.status == QuestionnaireVersion.Status.DRAFT), None),
            "can_manage": policy.can_manage_agreements(self.access),
            "access": self.access,
        })


class QuestionnaireDraftView(AgreementMixin, View):
    """Start a new version (a copy of the published one), or carry on with the draft."""

    def post(self, request, agreement_id):
        self.require(policy.can_manage_agreements(self.access), "Only commissioners change questionnaires.")
        agreement = self.load_agreement(agreement_id)
        draft = services.questionnaire_draft(actor=request.user, agreement=agreement)
        return redirect("agreements-staff:version", agreement.pk, draft.pk)


class VersionMixin(AgreementMixin):
    def load_version(self, agreement_id, version_id):
        self.agreement = self.load_agreement(agreement_id)
        self.version = selectors.questionnaire_version_get(self.agreement, version_id)
        if self.version is None:
            raise Http404("No such questionnaire version.")

    def version_url(self) -> str:
        return reverse("agreements-staff:version", args=[self.agreement.pk, self.version.pk])


class VersionView(VersionMixin, View):
    def get(self, request, agreement_id, version_id):
        self.require(policy.can_view_agreements(self.access), "Only staff read agreements.")
        self.load_version(agreement_id, version_id)
        version = self.version
        questions = list(version.questions.all())
        return render(request, "agreements/staff/version.html", {
            "agreement": self.agreement,
            "version": version,
            "questions": questions,
            "total_weight": sum(q.weight for q in questions if q.kind == "quality"),
            "editable": version.status == QuestionnaireVersion.Status.DRAFT
            and policy.can_manage_agreements(self.access),
            "access": self.access,
        })


class VersionFormPage(FormPageMixin, VersionMixin, View):
    template_name = FORM_PAGE

    def load(self, agreement_id, version_id, **kwargs):
        self.load_version(agreement_id, version_id)

    def check(self):
        self.require(policy.can_manage_agreements(self.access), "Only commissioners change questionnaires.")

    def page_context(self):
        return {"caption": f"{self.agreement.title}: questionnaire version {self.version.number}",
                "back_url": self.version_url(), "back_label": f"Version {self.version.number}"} | self.extra()

    def extra(self) -> dict:
        return {}


class VersionSettingsView(VersionFormPage):
    title = "Scoring settings"
    form_class = forms.QuestionnaireSettingsForm

    def get_form_kwargs(self):
        return {"initial": {"pass_threshold": self.version.pass_threshold, "scale_max": self.version.scale_max,
                            "scale_guidance": self.version.scale_guidance}}

    def perform(self, form):
        services.questionnaire_settings(actor=self.request.user, version=self.version, **form.cleaned_data)
        self.success("Scoring settings saved.")
        return redirect(self.version_url())


class QuestionAddView(VersionFormPage):
    title = "Add a question"
    form_class = forms.QuestionForm

    def get_form_kwargs(self):
        return {"lots": self.agreement.lots.all()}

    def extra(self):
        return {"intro": ["Compliance questions are pass or fail; catalogue evidence can meet them. Quality "
                          f"questions are scored from 0 to {self.version.scale_max} and weighted."]}

    def perform(self, form):
        data = dict(form.cleaned_data)
        data["weight"] = data["weight"] or 0
        question = services.question_add(actor=self.request.user, version=self.version, **data)
        self.success(f"Question {question.position} added.")
        return redirect(self.version_url())


class VersionPublishView(VersionFormPage):
    form_class = forms.ConfirmForm

    @property
    def title(self):
        return f"Publish version {self.version.number}?"

    def get_form(self, data=None):
        return forms.ConfirmForm(data=data, submit_label="Publish")

    def extra(self):
        return {"intro": ["A published version is never changed: a later change is a new version. Applications "
                          "keep the version they answered; new applications answer this one."]}

    def perform(self, form):
        services.questionnaire_publish(actor=self.request.user, version=self.version)
        self.success(f"Version {self.version.number} is published.")
        return redirect("agreements-staff:questionnaire", self.agreement.pk)
