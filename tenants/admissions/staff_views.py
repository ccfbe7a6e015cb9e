"""Applications and admissions as an authority's staff see them.

Commissioners lead: they read applications, give them to evaluators, extend
the decision period, moderate, confirm the decision and manage admissions.
Evaluators see only what is given to them, declare any conflict of interest
before they see the answers, and score on their own: nobody sees another's
scores before moderation. What each person sees comes from the selectors;
every change goes through a service."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from accounts.mixins import StaffPageMixin
from common.filters import page_filters
from tenants.admissions import forms, policy, selectors, services
from tenants.admissions.filters import AdmissionFilters, ApplicationFilters
from tenants.admissions.models import Admission, Application
from tenants.agreements.models import Question

Status = Application.Status


def _failed(*candidates):
    return [form for form in candidates if form is not None and form.errors]


# --- Lists --------------------------------------------------------------------------------------

class ApplicationListView(StaffPageMixin, View):
    def get(self, request):
        self.require(policy.can_view_applications(self.access),
                     "Only commissioners, quality officers and evaluators see applications.")
        applications, asked, refused = page_filters(ApplicationFilters, request,
                                                    selectors.applications_for_staff(self.access))
        rows = [(a, selectors.decision_clock(a)) for a in applications[:500]]
        return render(request, "admissions/staff/application_list.html", {
            "rows": rows, "status": asked.get("status", ""),
            "statuses": [s for s in Status.choices if s[0] != Status.DRAFT],
            "reads_all": policy.can_read_all_applications(self.access),
            "is_evaluator": policy.can_be_evaluator(self.access),
            "access": self.access, "filter_errors": refused,
        }, status=400 if refused else 200)


class AssignedListView(StaffPageMixin, View):
    def get(self, request):
        self.require(policy.can_be_evaluator(self.access), "Only evaluators are given applications to evaluate.")
        applications = selectors.applications_assigned_to(request.user)
        rows = [(a, a.mine[0], selectors.decision_clock(a)) for a in applications]
        return render(request, "admissions/staff/assigned.html", {"rows": rows, "access": self.access})


# --- One application, for those who read them all (commissioners, quality officers) ----------------

class ApplicationMixin(StaffPageMixin):
    def load_application(self, application_id) -> Application:
        application = selectors.application_for_staff(self.access, application_id)
        if application is None:
            raise Http404("No such application here.")
        self.application = application
        return application

    def detail_url(self) -> str:
        return reverse("applications-staff:detail", args=[self.application.pk])


class ApplicationDetailView(ApplicationMixin, View):
    def dispatch(self, request, *args, **kwargs):
        self.require(policy.can_view_applications(self.access),
                     "Only commissioners, quality officers and evaluators see applications.")
        self.load_application(kwargs["application_id"])
        self.can_lead = policy.can_lead_evaluation(self.access)
        if request.method == "POST":
            self.require(self.can_lead, "Only commissioners lead evaluations.")
        elif not policy.can_read_all_applications(self.access):
            # An evaluator reads an application through their own page, after their declaration.
            return redirect("applications-staff:evaluate", self.application.pk)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, application_id):
        return self.render_detail()

    def forms(self, assign=None, extend=None, open_moderation=None) -> dict:
        application = self.application
        if not self.can_lead:
            return {}
        found = {}
        if application.status in (Status.SUBMITTED, Status.EVALUATION):
            found["assign_form"] = assign or forms.AssignForm(people=selectors.evaluators_available())
        if application.status in (Status.SUBMITTED, Status.EVALUATION, Status.MODERATION) and not (
                application.decision_extended_reason):
            found["extend_form"] = extend or forms.ExtendForm()
        if application.status == Status.EVALUATION:
            found["open_form"] = open_moderation or forms.ConfirmForm(submit_label="Open moderation")
        return found

    def render_detail(self, status=200, **bound):
        application = self.application
        page_forms = self.forms(**bound)
        return render(self.request, "admissions/staff/application_detail.html", {
            "application": application,
            "clock": selectors.decision_clock(application),
            "answers": selectors.application_answers(application),
            "progress": selectors.evaluation_progress(application),
            "threshold": application.version.pass_threshold,
            "scale_max": application.version.scale_max,
            "can_lead": self.can_lead,
            "failed": _failed(*page_forms.values()),
            "access": self.access,
            **page_forms,
        }, status=status)


class AssignView(ApplicationDetailView):
    http_method_names = ["post"]

    def post(self, request, application_id):
        form = forms.AssignForm(request.POST, people=selectors.evaluators_available())
        if form.is_valid():
            try:
                made = services.evaluators_assign(actor=request.user, application=self.application,
                                                  evaluators=list(form.cleaned_data["evaluators"]))
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"{len(made)} evaluator{'s' if len(made) != 1 else ''} assigned.")
                return redirect(self.detail_url())
        return self.render_detail(status=400, assign=form)


class ExtendView(ApplicationDetailView):
    http_method_names = ["post"]

    def post(self, request, application_id):
        form = forms.ExtendForm(request.POST)
        if form.is_valid():
            try:
                application = services.decision_extend(actor=request.user, application=self.application,
                                                       reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"The decision is now due on {application.decision_due_on:%-d %B %Y}.")
                return redirect(self.detail_url())
        return self.render_detail(status=400, extend=form)


class ModerationOpenView(ApplicationDetailView):
    http_method_names = ["post"]

    def post(self, request, application_id):
        form = forms.ConfirmForm(request.POST, submit_label="Open moderation")
        form.is_valid()
        try:
            services.moderation_open(actor=request.user, application=self.application)
        except ValidationError as error:
            form.add_service_errors(error)
            return self.render_detail(status=400, open_moderation=form)
        messages.success(request, "Moderation is open: every score can now be seen.")
        return redirect("applications-staff:moderation", self.application.pk)


class LeadMixin(ApplicationMixin):
    """Pages only the lead (a commissioner) uses."""

    def dispatch(self, request, *args, **kwargs):
        self.require(policy.can_lead_evaluation(self.access), "Only commissioners moderate and decide.")
        self.load_application(kwargs["application_id"])
        return super().dispatch(request, *args, **kwargs)


class ModerationView(LeadMixin, View):
    def get(self, request, application_id):
        return self.render_moderation()

    def post(self, request, application_id):
        """Every question's result from the one form: all saved, or none, with
        each refusal against its own question and everything entered kept."""
        application = self.application
        if application.status != Status.MODERATION:
            messages.error(request, "Moderation is not open for this application.")
            return redirect("applications-staff:moderation", application.pk)
        scale_max = application.version.scale_max
        bound = {}
        for row in selectors.application_answers(application):
            bound[row.question.pk] = (row.question, forms.ModerationForm(request.POST, question=row.question,
                                                                        scale_max=scale_max))
        valid = [form.is_valid() for _, form in bound.values()]
        if all(valid):
            results = [(question, {"rationale": form.cleaned_data["rationale"],
                                   "score": form.cleaned_data.get("score"), "met": form.cleaned_data.get("met")})
                       for question, form in bound.values() if form.entered()]
            try:
                saved = services.moderate_all(actor=request.user, application=application, results=results)
            except services.ModerationRefused as refused:
                for question_id, error in refused.by_question.items():
                    bound[question_id][1].add_service_errors(error)
            except ValidationError as error:
                next(iter(bound.values()))[1].add_service_errors(error)
            else:
                count = len(saved)
                messages.success(request, f"{count} question{'' if count == 1 else 's'} moderated.")
                return redirect("applications-staff:moderation", application.pk)
        return self.render_moderation(bound={pk: form for pk, (_, form) in bound.items()}, status=400)

    def render_moderation(self, bound=None, status=200):
        application = self.application
        bound = bound or {}
        scores = defaultdict(list)
        for score in selectors.scores_visible_to(self.request.user, self.access, application):
            scores[score.question_id].append(score)
        editable = application.status == Status.MODERATION
        rows = []
        for row in selectors.application_answers(application):
            form = None
            if editable:
                initial = {}
                if row.moderated is not None:
                    initial = {"rationale": row.moderated.rationale, "score": row.moderated.score,
                               "met": "yes" if row.moderated.met else "no" if row.moderated.met is False else None}
                form = bound.get(row.question.pk) or forms.ModerationForm(
                    question=row.question, scale_max=application.version.scale_max, initial=initial)
            rows.append({"row": row, "scores": scores.get(row.question.pk, []), "form": form})
        return render(self.request, "admissions/staff/moderation.html", {
            "application": application, "rows": rows, "editable": editable,
            "scale_max": application.version.scale_max,
            "failed": [form for form in bound.values() if form.errors],
            "access": self.access,
        }, status=status)


class ModerateQuestionView(ModerationView):
    """Every question's final result is saved by one form (ModerationView.post);
    this older address for one question's form does the same."""

    http_method_names = ["post"]

    def post(self, request, application_id, question_id):
        if not self.application.version.questions.filter(pk=question_id).exists():
            raise Http404("No such question in this application.")
        return super().post(request, application_id)


class DecisionView(LeadMixin, View):
    def get(self, request, application_id):
        if self.application.status == Status.DECIDED:
            return redirect("applications-staff:letter", self.application.pk)
        return self.render_decision(forms.ConfirmForm(submit_label="Confirm decision"))

    def post(self, request, application_id):
        form = forms.ConfirmForm(request.POST, submit_label="Confirm decision")
        form.is_valid()
        try:
            services.application_decide(actor=request.user, application=self.application)
        except ValidationError as error:
            form.add_service_errors(error)
            return self.render_decision(form, status=400)
        messages.success(request, "The decision is made. The letter is being sent to the provider.")
        return redirect("applications-staff:letter", self.application.pk)

    def render_decision(self, form, status=200):
        application = self.application
        ready = application.status == Status.MODERATION
        return render(self.request, "admissions/staff/decision.html", {
            "application": application, "form": form if ready else None, "ready": ready,
            "outcomes": services.application_outcomes(application) if ready else [],
            "version": application.version, "access": self.access,
        }, status=status)


class LetterView(ApplicationMixin, View):
    def get(self, request, application_id):
        self.require(policy.can_view_applications(self.access), "Only staff who run admissions read letters.")
        application = self.load_application(application_id)
        if not policy.can_read_all_applications(self.access):
            raise Http404("No decision letter for you here.")
        letter = getattr(application, "letter", None) if application.status == Status.DECIDED else None
        if letter is None:
            raise Http404("The application has not been decided yet.")
        return render(request, "admissions/staff/letter.html", {
            "application": application, "letter": letter,
            "lots": application.lots.all(), "access": self.access,
        })


# --- An evaluator's own pages ------------------------------------------------------------------

class EvaluatorMixin(ApplicationMixin):
    """The application as given to this person: 404 if it was not."""

    def dispatch(self, request, *args, **kwargs):
        self.require(policy.can_be_evaluator(self.access), "Only evaluators evaluate applications.")
        self.load_application(kwargs["application_id"])
        self.assignment = selectors.assignment_for(request.user, self.application)
        if self.assignment is None:
            raise Http404("This application has not been given to you to evaluate.")
        return super().dispatch(request, *args, **kwargs)

    def evaluate_url(self) -> str:
        return reverse("applications-staff:evaluate", args=[self.application.pk])

    def quality_questions(self) -> list[Question]:
        return [row.question for row in selectors.application_answers(self.application)
                if row.question.kind == Question.Kind.QUALITY]

    def scores_form(self, data=None):
        mine = {s.question_id: s for s in self.assignment.scores.all()}
        return forms.ScoresForm(data, questions=self.quality_questions(),
                                scale_max=self.application.version.scale_max, scores=mine)

    def render_declaration(self, form, status=200):
        return render(self.request, "admissions/staff/declaration.html", {
            "application": self.application, "assignment": self.assignment, "form": form, "access": self.access,
        }, status=status)

    def render_evaluation(self, form=None, status=200):
        application, assignment = self.application, self.assignment
        scoring = application.status == Status.EVALUATION and assignment.scores_submitted_at is None
        if scoring and form is None:
            form = self.scores_form()
        visible = selectors.scores_visible_to(self.request.user, self.access, application)
        others = [s for s in visible if s.assignment_id != assignment.pk]
        return render(self.request, "admissions/staff/evaluate.html", {
            "application": application, "assignment": assignment,
            "answers": selectors.application_answers(application),
            "form": form if scoring else None,
            "mine": [s for s in visible if s.assignment_id == assignment.pk],
            "others": others, "scale_max": application.version.scale_max,
            "can_declare_conflict": application.status == Status.EVALUATION,
            "access": self.access,
        }, status=status)


class EvaluateView(EvaluatorMixin, View):
    """Declaration first; the answers and the scoring form only once no conflict is declared."""

    def get(self, request, application_id):
        if self.assignment.declared_at is None:
            return self.render_declaration(forms.DeclarationForm())
        if self.assignment.conflicted:
            return render(request, "admissions/staff/conflicted.html", {
                "application": self.application, "assignment": self.assignment, "access": self.access})
        selectors.application_for_evaluator(request.user, self.application)  # the rule, stated once
        return self.render_evaluation()


class DeclarationView(EvaluatorMixin, View):
    def get(self, request, application_id):
        return self.render_declaration(forms.DeclarationForm())

    def post(self, request, application_id):
        form = forms.DeclarationForm(request.POST)
        if form.is_valid():
            try:
                services.conflict_declare(actor=request.user, application=self.application,
                                          conflicted=form.cleaned_data["conflicted"],
                                          details=form.cleaned_data["details"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if form.cleaned_data["conflicted"]:
                    messages.success(request, "Your conflict of interest is recorded. The lead has been told; "
                                              "you will not see or score this application.")
                else:
                    messages.success(request, "Declaration recorded. You can now read and score the application.")
                return redirect(self.evaluate_url())
        return self.render_declaration(form, status=400)


class ScoresView(EvaluatorMixin, View):
    def post(self, request, application_id):
        # A conflicted or undeclared evaluator is refused here, whatever they sent.
        selectors.application_for_evaluator(request.user, self.application)
        form = self.scores_form(request.POST)
        submitting = "submit_scores" in request.POST
        if form.is_valid():
            if self._save(form) and submitting:
                try:
                    services.scores_submit(actor=request.user, application=self.application)
                except ValidationError as error:
                    form.add_service_errors(error)
                else:
                    messages.success(request, "Your scores are submitted. The lead moderates once everyone has.")
                    return redirect(self.evaluate_url())
            elif not form.errors:
                messages.success(request, "Your scores are saved. Nobody else sees them before moderation.")
                return redirect(self.evaluate_url())
        return self.render_evaluation(form, status=400)

    def _save(self, form) -> bool:
        """Every entered score, or none of them."""
        try:
            with transaction.atomic():
                for question, score, comment in form.entered():
                    try:
                        services.score_record(actor=self.request.user, application=self.application,
                                              question=question, score=score, comment=comment)
                    except ValidationError as error:
                        form.add_question_errors(question, error)
                if form.errors:
                    raise _Rollback
        except _Rollback:
            return False
        return True


class _Rollback(Exception):
    pass


# --- Admissions --------------------------------------------------------------------------------

class AdmissionListView(StaffPageMixin, View):
    def get(self, request):
        self.require(policy.can_view_admissions(self.access), "Only staff see admissions.")
        admissions, asked, refused = page_filters(AdmissionFilters, request, selectors.admissions_for_staff())
        return render(request, "admissions/staff/admission_list.html", {
            "admissions": admissions, "status": asked.get("status", ""), "statuses": Admission.Status.choices,
            "new_to_authority": asked.get("new_to_authority"), "access": self.access, "filter_errors": refused,
        }, status=400 if refused else 200)


class AdmissionDetailView(StaffPageMixin, View):
    def dispatch(self, request, *args, **kwargs):
        self.require(policy.can_view_admissions(self.access), "Only staff see admissions.")
        self.admission = selectors.admission_for_staff(kwargs["admission_id"])
        if self.admission is None:
            raise Http404("No such admission here.")
        self.can_manage = policy.can_lead_evaluation(self.access)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, admission_id):
        return self.render_detail()

    def detail_url(self) -> str:
        return reverse("admissions-staff:detail", args=[self.admission.pk])

    def render_detail(self, status=200, bound=None, item_id=None):
        admission = self.admission
        bound = bound or {}
        moves = services.admission_moves_from(admission.status) if self.can_manage else []
        pending = admission.status == Admission.Status.PENDING_ONBOARDING and self.can_manage
        items = [(item, (bound.get("onboarding") if item.pk == item_id else None) or forms.OnboardingForm(
            prefix=f"item{item.pk}")) for item in admission.onboarding.all()]
        page_forms = {
            "activate": forms.ConfirmForm(submit_label="Activate") if "activate" in moves else None,
            "suspend": forms.SuspendForm() if "suspend" in moves else None,
            "reinstate": forms.ReasonForm(submit_label="Reinstate", reason_label="Reason (optional)")
            if "reinstate" in moves else None,
            "remove": forms.RemoveForm() if "remove" in moves else None,
        }
        page_forms.update({k: v for k, v in bound.items() if k in page_forms})
        return render(self.request, "admissions/staff/admission_detail.html", {
            "admission": admission, "items": items, "can_tick": pending,
            "outstanding": [item for item in admission.onboarding.all() if item.done_at is None],
            "forms": page_forms, "failed": _failed(*page_forms.values(), bound.get("onboarding")),
            "can_manage": self.can_manage, "reads_applications": policy.can_read_all_applications(self.access),
            "access": self.access,
        }, status=status)

    def act(self, name: str, form, call, message: str):
        self.require(self.can_manage, "Only commissioners manage admissions.")
        if form.is_valid():
            try:
                call(form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(self.request, message)
                return redirect(self.detail_url())
        return self.render_detail(status=400, bound={name: form})


class OnboardingView(AdmissionDetailView):
    http_method_names = ["post"]

    def post(self, request, admission_id, item_id):
        item = next((i for i in self.admission.onboarding.all() if i.pk == item_id), None)
        if item is None:
            raise Http404("No such onboarding item.")
        self.require(self.can_manage, "Only commissioners record onboarding.")
        form = forms.OnboardingForm(request.POST, prefix=f"item{item.pk}")
        if form.is_valid():
            try:
                services.onboarding_complete(actor=request.user, item=item, note=form.cleaned_data["note"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"{item.name}: done.")
                return redirect(self.detail_url())
        return self.render_detail(status=400, bound={"onboarding": form}, item_id=item.pk)


class AdmissionActivateView(AdmissionDetailView):
    http_method_names = ["post"]

    def post(self, request, admission_id):
        return self.act("activate", forms.ConfirmForm(request.POST, submit_label="Activate"),
                        lambda data: services.admission_activate(actor=request.user, admission=self.admission),
                        "The admission is active: the provider can be invited to call-offs.")


class AdmissionSuspendView(AdmissionDetailView):
    http_method_names = ["post"]

    def post(self, request, admission_id):
        return self.act("suspend", forms.SuspendForm(request.POST),
                        lambda data: services.admission_suspend(actor=request.user, admission=self.admission,
                                                                reason=data["reason"], until=data["until"]),
                        "The provider is suspended from this lot.")


class AdmissionReinstateView(AdmissionDetailView):
    http_method_names = ["post"]

    def post(self, request, admission_id):
        form = forms.ReasonForm(request.POST, submit_label="Reinstate", reason_label="Reason (optional)")
        return self.act("reinstate", form,
                        lambda data: services.admission_reinstate(actor=request.user, admission=self.admission,
                                                                  reason=data["reason"]),
                        "The provider is reinstated.")


class AdmissionRemoveView(AdmissionDetailView):
    http_method_names = ["post"]

    def post(self, request, admission_id):
        return self.act("remove", forms.RemoveForm(request.POST),
                        lambda data: services.admission_remove(actor=request.user, admission=self.admission,
                                                               grounds=data["grounds"]),
                        "The provider is removed from this lot.")
