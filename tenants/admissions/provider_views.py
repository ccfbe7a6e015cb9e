"""The provider's side of stage 1, inside an authority: the agreements open
to applications, and the organisation's own applications from the first draft
to the decision letter.

Provider people reach these pages (ProviderPageMixin); each application is
looked up among their organisations' own, so another provider's is not found.
Provider admins and bid writers write; viewers read. The services decide
everything else, and their refusals are shown against the form's fields."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from accounts.mixins import ProviderPageMixin
from shared_catalogue.models import Provider
from tenants.admissions import policy, selectors, services
from tenants.admissions.models import Application
from tenants.admissions.provider_forms import AnswersForm, ApplicationStartForm, DeclarationForm, WithdrawForm
from tenants.agreements.selectors import agreements_open_to_providers, application_window, published_questionnaire

WRITE_REFUSED = "Only the organisation's provider admins and bid writers can write its applications."


class ProviderAdmissionsPage(ProviderPageMixin, View):
    def render(self, template: str, status: int = 200, **context):
        context["access"] = self.access
        return render(self.request, f"admissions/provider/{template}", context, status=status)

    def agreement(self, agreement_id):
        agreement = selectors.agreement_open_to_provider(agreement_id)
        if agreement is None:
            raise Http404("No such agreement is open to providers here.")
        return agreement

    def application(self, application_id) -> Application:
        application = selectors.application_for_provider(provider_ids=self.access.provider_ids,
                                                         application_id=application_id)
        if application is None:
            raise Http404("None of your organisations has an application with that number here.")
        return application

    def may_write(self, application: Application) -> bool:
        return policy.can_write_application(self.access, application.provider_id)

    def require_writer(self, application: Application) -> None:
        self.require(self.may_write(application), WRITE_REFUSED)


# --- Agreements ---------------------------------------------------------------------------

class AgreementListView(ProviderAdmissionsPage):
    def get(self, request):
        today = timezone.localdate()
        rows = [(agreement, application_window(agreement, today)) for agreement in agreements_open_to_providers()]
        return self.render("agreements.html", rows=rows)


class AgreementDetailView(ProviderAdmissionsPage):
    def get(self, request, agreement_id):
        agreement = self.agreement(agreement_id)
        mine = selectors.applications_for_provider(self.access.provider_ids).filter(agreement=agreement)
        return self.render("agreement.html", agreement=agreement, window=application_window(agreement),
                           questionnaire=published_questionnaire(agreement), applications=mine,
                           may_apply=bool(policy.providers_that_may_apply(self.access)))


class ApplicationStartView(ProviderAdmissionsPage):
    def providers(self) -> list[Provider]:
        ids = policy.providers_that_may_apply(self.access)
        self.require(bool(ids), "Only provider admins and bid writers can apply.")
        return list(Provider.objects.filter(pk__in=ids).order_by("name"))

    def get(self, request, agreement_id):
        agreement = self.agreement(agreement_id)
        form = ApplicationStartForm(agreement=agreement, providers=self.providers())
        return self._render(agreement, form)

    def post(self, request, agreement_id):
        agreement = self.agreement(agreement_id)
        providers = self.providers()
        form = ApplicationStartForm(request.POST, agreement=agreement, providers=providers)
        if form.is_valid():
            provider = next(p for p in providers if p.pk == form.chosen_provider_id())
            try:
                application = services.application_start(actor=request.user, agreement=agreement, provider=provider,
                                                         lots=list(form.cleaned_data["lots"]))
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"Application started for {provider.name}. Answer the questions; "
                                          "you can save a draft at any time.")
                return redirect("provider-admissions:answers", application_id=application.pk)
        return self._render(agreement, form, status=400)

    def _render(self, agreement, form, status=200):
        return self.render("start.html", status=status, agreement=agreement, form=form,
                           window=application_window(agreement))


# --- Applications -------------------------------------------------------------------------

class ApplicationListView(ProviderAdmissionsPage):
    def get(self, request):
        return self.render("applications.html",
                           applications=selectors.applications_for_provider(self.access.provider_ids))


class ApplicationDetailView(ProviderAdmissionsPage):
    def get(self, request, application_id):
        application = self.application(application_id)
        rows = selectors.application_questions(application)
        return self.render(
            "application.html", application=application, rows=rows, clock=selectors.decision_clock(application),
            may_write=self.may_write(application), is_draft=application.status == Application.Status.DRAFT,
            letter=selectors.decision_letter_for(application), window=application_window(application.agreement),
            lots=application.lots.all())


class AnswersView(ProviderAdmissionsPage):
    """Every question on one page; save a draft at any time."""

    def setup_answers(self, application_id):
        application = self.application(application_id)
        self.require_writer(application)
        if application.status != Application.Status.DRAFT:
            messages.info(self.request, "This application has been "
                                        f"{application.get_status_display().lower()}: its answers cannot change.")
            return application, None
        return application, list(selectors.provider_documents(application.provider_id))

    def get(self, request, application_id):
        application, documents = self.setup_answers(application_id)
        if documents is None:
            return redirect("provider-admissions:application", application_id=application.pk)
        rows = selectors.application_questions(application)
        return self._render(application, AnswersForm(rows=rows, documents=documents))

    def post(self, request, application_id):
        application, documents = self.setup_answers(application_id)
        if documents is None:
            return redirect("provider-admissions:application", application_id=application.pk)
        rows = selectors.application_questions(application)
        form = AnswersForm(request.POST, rows=rows, documents=documents)
        if form.is_valid() and self._save(application, form, documents):
            if request.POST.get("action") == "declaration":
                return redirect("provider-admissions:submit", application_id=application.pk)
            messages.success(request, "Draft saved. Nothing is sent to the authority until you submit.")
            return redirect("provider-admissions:answers", application_id=application.pk)
        return self._render(application, form, status=400)

    def _save(self, application, form, documents) -> bool:
        """Every changed answer, or none of them if one is refused."""
        by_id = {d.pk: d for d in documents}
        with transaction.atomic():
            failed = False
            for row, values in form.changes():
                evidence_id = values.pop("evidence_id")
                try:
                    services.application_answer(actor=self.request.user, application=application,
                                                question=row.question, evidence=by_id.get(evidence_id), **values)
                except ValidationError as error:
                    form.add_question_errors(row.question, error)
                    failed = True
            if failed:
                transaction.set_rollback(True)
        if failed:
            form.add_error(None, "Nothing was saved: put right the answers marked below, then save again.")
        return not failed

    def _render(self, application, form, status=200):
        return self.render("answers.html", status=status, application=application, form=form,
                           rows=[(row, form.field(row.question, "complies"), form.field(row.question, "evidence"),
                                  form.field(row.question, "response")) for row in form.rows])


class SubmitView(ProviderAdmissionsPage):
    """The declaration, a check of the answers, and submission."""

    def get(self, request, application_id):
        application = self.application(application_id)
        self.require_writer(application)
        if application.status != Application.Status.DRAFT:
            return redirect("provider-admissions:application", application_id=application.pk)
        return self._render(application, DeclarationForm())

    def post(self, request, application_id):
        application = self.application(application_id)
        self.require_writer(application)
        form = DeclarationForm(request.POST)
        if form.is_valid():
            try:
                application = services.application_submit(
                    actor=request.user, application=application,
                    declaration_accepted=form.cleaned_data["declaration"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                received = timezone.localtime(application.submitted_at)
                messages.success(request, f"Application submitted. Received at {received:%H:%M:%S} on "
                                          f"{received:%-d %B %Y}; a decision is due by "
                                          f"{application.decision_due_on:%-d %B %Y}.")
                return redirect("provider-admissions:application", application_id=application.pk)
        return self._render(application, form, status=400)

    def _render(self, application, form, status=200):
        return self.render("submit.html", status=status, application=application, form=form,
                           declaration=services.DECLARATION, rows=selectors.application_questions(application),
                           window=application_window(application.agreement))


class WithdrawView(ProviderAdmissionsPage):
    def get(self, request, application_id):
        application = self.application(application_id)
        self.require_writer(application)
        if not application.is_live:
            return redirect("provider-admissions:application", application_id=application.pk)
        return self.render("withdraw.html", application=application, form=WithdrawForm())

    def post(self, request, application_id):
        application = self.application(application_id)
        self.require_writer(application)
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.application_withdraw(actor=request.user, application=application,
                                              reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Application withdrawn. You can apply again to these lots.")
                return redirect("provider-admissions:application", application_id=application.pk)
        return self.render("withdraw.html", status=400, application=application, form=form)


class LetterView(ProviderAdmissionsPage):
    def get(self, request, application_id):
        application = self.application(application_id)
        letter = selectors.decision_letter_for(application)
        if letter is None:
            raise Http404("There is no decision letter yet: the application has not been decided.")
        return self.render("letter.html", application=application, letter=letter)
