"""The staff side of call-offs, inside an authority: sourcing requests from
the first "who is it for" to the award, for brokers, commissioners,
evaluators and those who only read.

Every page is for staff (StaffPageMixin); what each role may do is asked of
calloffs.policy, and everything else is decided by the services: their
refusals are shown against the form's fields, with status 400. Bids are read
only through calloffs.sealing, which decides and records every attempt."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import View

from accounts.mixins import StaffPageMixin
from accounts.policy import Audience
from common.filters import page_filters
from tenancy.selectors import authority_current
from tenants.calloffs import policy, sealing, selectors, services
from tenants.calloffs.filters import PackageFilters
from tenants.calloffs.models import Package, Person
from tenants.calloffs.staff_forms import (
    AwardForm,
    ClarificationAnswerForm,
    ClarificationDeadlineForm,
    DeadlineForm,
    EvaluationForm,
    IdentityForm,
    NegotiationForm,
    NoAwardForm,
    PackageFilterForm,
    PackageForm,
    PersonForm,
    PublishForm,
    RepublishForm,
    UtilisationFilterForm,
    WithdrawForm,
)

SOURCE_REFUSED = "Only brokers and commissioners create, publish and award packages."
MAX_PEOPLE = 20


class CalloffsPage(StaffPageMixin, View):
    def render(self, template: str, status: int = 200, **context):
        package = context.get("package")
        context.setdefault("access", self.access)
        context.setdefault("can_source", policy.can_source(self.access) or (
            package is not None and policy.can_source_package(self.access, package)))
        return render(self.request, f"calloffs/staff/{template}", context, status=status)

    def package(self, package_id) -> Package:
        """The package; for the staff of a granted body, only one its own
        authority called off under its grant (anything else: not found)."""
        package = selectors.package_for_staff(package_id)
        if package is None or not self.access.is_staff and self.access.grant_for(
                package.agreement_id, grantee_id=package.called_off_by_id, current=False) is None:
            raise Http404("No package with that number here.")
        return package

    def require_source(self) -> None:
        """Brokers and commissioners here, or of a granted body (whose every
        step the services check against the package's grant)."""
        self.require(policy.can_source(self.access) or bool(self.access.granted_authority_ids(*policy.SOURCING)),
                     SOURCE_REFUSED)


class GrantedPage:
    """A page the staff of an authority granted call-off rights reach too,
    on the packages their own authority called off (docs/grants.md)."""

    audience = Audience.GRANTED


def _people_ids(request) -> list[int]:
    ids = []
    for value in request.GET.getlist("people")[:MAX_PEOPLE]:
        if value.isdigit() and int(value) not in ids:
            ids.append(int(value))
    return ids


def _with_people(url: str, ids: list[int]) -> str:
    from urllib.parse import urlencode

    return f"{url}?{urlencode([('people', i) for i in ids])}" if ids else url


# --- Packages -----------------------------------------------------------------------

class PackageListView(CalloffsPage):
    def get(self, request):
        packages, asked, refused = page_filters(PackageFilters, request, selectors.packages_for_staff())
        rows = Paginator(packages, 50).get_page(request.GET.get("page"))
        query = "" if refused else urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
        return self.render("packages.html", status=400 if refused else 200, page=rows,
                           filters=PackageFilterForm(request.GET), filter_errors=refused, filtered=bool(asked),
                           query=query, requests=selectors.sourcing_requests_count(packages),
                           can_report=policy.can_view_utilisation(self.access))


class PersonCreateView(GrantedPage, CalloffsPage):
    """Step 1 of a sourcing request: who it is for, recorded apart from the
    package (services.person_create). Their ids travel in the address; their
    details never do."""

    def get(self, request):
        self.require_source()
        return self._render(PersonForm(), _people_ids(request))

    def post(self, request):
        self.require_source()
        ids = _people_ids(request)
        form = PersonForm(request.POST)
        if selectors.calloff_unavailable():
            return self._render(form, ids, status=409)
        if form.is_valid():
            try:
                person = services.person_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                ids = [*ids, person.pk][:MAX_PEOPLE]
                messages.success(request, "Their details are recorded. They are held apart: providers "
                                          "never see them before award.")
                if "another" in request.POST:
                    return redirect(_with_people(reverse("calloffs-staff:person-new"), ids))
                return redirect(_with_people(reverse("calloffs-staff:new"), ids))
        return self._render(form, ids, status=400)

    def _render(self, form, ids, status=200):
        return self.render("person_new.html", status=status, form=form, people_ids=ids,
                           unavailable=selectors.calloff_unavailable(),
                           package_url=_with_people(reverse("calloffs-staff:new"), ids))


class PackageCreateView(GrantedPage, CalloffsPage):
    """Step 2: the package itself, for the people recorded in step 1."""

    def setup_form(self, request):
        self.require_source()
        ids = _people_ids(request)
        people = Person.objects.filter(pk__in=ids).order_by("pk")
        lots = list(selectors.lots_open_for_calloff())
        if not self.access.is_staff:
            return self.setup_granted(people, lots)
        callers = selectors.callers_of_live_agreements()
        here = authority_current()
        if [a.pk for a in callers] == [here.pk]:
            callers = []   # only this authority calls off here: nothing to ask
        return list(people), lots, callers

    def setup_granted(self, people, lots):
        """A granted body's staff: the people its own staff recorded, the lots
        of agreements it holds a call-off grant on (the service checks the
        grant covers the lot), and its own authority as the caller."""
        from accounts.models import AuthorityMembership
        from tenancy.models import Authority

        homes = self.access.granted_authority_ids(*policy.SOURCING)
        granted = {g.agreement_id for g in self.access.grants
                   if g.current and g.may_call_off and g.grantee_id in homes}
        staff = AuthorityMembership.objects.current().filter(authority__in=homes).values("user")
        callers = list(Authority.objects.filter(pk__in=homes).order_by("name")) if len(homes) > 1 else []
        return (list(people.filter(created_by__in=staff)), [lot for lot in lots if lot.agreement_id in granted],
                callers)

    def get(self, request):
        people, lots, callers = self.setup_form(request)
        if not people:
            return redirect("calloffs-staff:person-new")
        return self._render(PackageForm(lots=lots, callers=callers), people, lots)

    def post(self, request):
        people, lots, callers = self.setup_form(request)
        if not people:
            return redirect("calloffs-staff:person-new")
        form = PackageForm(request.POST, lots=lots, callers=callers)
        if form.is_valid():
            lot = form.chosen_lot()
            caller = next((a for a in callers if a.pk == form.cleaned_data.get("called_off_by")), None)
            try:
                package = services.package_create(actor=request.user, agreement=lot.agreement, lot=lot,
                                                  people=people, called_off_by=caller, **form.package_fields())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"Draft {package.reference} saved. Check it, then publish it to invite "
                                          "the providers on the lot.")
                return redirect("calloffs-staff:package", package_id=package.pk)
        return self._render(form, people, lots, status=400)

    def _render(self, form, people, lots, status=200):
        ids = [p.pk for p in people]
        return self.render("package_new.html", status=status, form=form, people=people, lots=lots,
                           unavailable=None if lots else selectors.calloff_unavailable(),
                           add_person_url=_with_people(reverse("calloffs-staff:person-new"), ids))


class PackageDetailView(GrantedPage, CalloffsPage):
    def get(self, request, package_id):
        package = self.package(package_id)
        published = package.status != Package.Status.DRAFT
        return self.render(
            "package.html", package=package, people=list(package.people.order_by("pk")),
            invitations=selectors.invitations_of(package) if published else None,
            clarifications=selectors.clarifications_for_staff(package) if published else [],
            deadline_changes=selectors.deadline_changes(package),
            is_open=sealing.bids_open(package),
            closing=sealing.closing(package),
            can_see_identity=policy.can_see_identity(self.access) or policy.can_source_package(self.access, package),
            can_move_deadline=policy.can_move_deadline(self.access),
            can_evaluate=policy.can_evaluate_package(self.access, package),
            award=getattr(package, "award", None) if package.status == Package.Status.AWARDED else None,
            no_award=getattr(package, "no_award", None) if package.status == Package.Status.NO_AWARD else None,
            placement=getattr(package, "placement", None) if package.status == Package.Status.AWARDED else None,
            withdrawal=getattr(package, "withdrawal", None)
            if package.status in (Package.Status.WITHDRAWN, Package.Status.CANCELLED) else None,
            chain=selectors.package_chain(package),
            republished_as=getattr(package, "republished_as", None),
            replaces=getattr(package, "replaces", None),
        )


class PackageEditView(GrantedPage, CalloffsPage):
    def setup_package(self, package_id):
        self.require_source()
        package = self.package(package_id)
        if package.status != Package.Status.DRAFT:
            messages.info(self.request, f"{package.reference} is {package.get_status_display().lower()}: only a "
                                        "draft can be changed.")
            return package, False
        return package, True

    def get(self, request, package_id):
        package, editable = self.setup_package(package_id)
        if not editable:
            return redirect("calloffs-staff:package", package_id=package.pk)
        return self._render(package, PackageForm(initial=PackageForm.initial_from(package), editing=True))

    def post(self, request, package_id):
        package, editable = self.setup_package(package_id)
        if not editable:
            return redirect("calloffs-staff:package", package_id=package.pk)
        form = PackageForm(request.POST, editing=True)
        if form.is_valid():
            try:
                services.package_update(actor=request.user, package=package, **form.package_fields())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"{package.reference} saved.")
                return redirect("calloffs-staff:package", package_id=package.pk)
        return self._render(package, form, status=400)

    def _render(self, package, form, status=200):
        return self.render("package_edit.html", status=status, package=package, form=form)


class PublishView(GrantedPage, CalloffsPage):
    """Who will be invited and who will not, and why, before confirming."""

    def get(self, request, package_id):
        self.require_source()
        package = self.package(package_id)
        if package.status != Package.Status.DRAFT:
            return redirect("calloffs-staff:package", package_id=package.pk)
        return self._render(package, PublishForm())

    def post(self, request, package_id):
        self.require_source()
        package = self.package(package_id)
        form = PublishForm(request.POST)
        if form.is_valid():
            try:
                package = services.package_publish(actor=request.user, package=package)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                invited = package.invitations.count()
                messages.success(request, f"{package.reference} published: {invited} "
                                          f"provider{'' if invited == 1 else 's'} invited.")
                return redirect("calloffs-staff:package", package_id=package.pk)
        return self._render(package, form, status=400)

    def _render(self, package, form, status=200):
        results = services.eligibility(package)
        return self.render("publish.html", status=status, package=package, form=form,
                           invited=[r for r in results if r.eligible],
                           not_invited=[r for r in results if not r.eligible],
                           rules=package.agreement.regime)


class PersonIdentityView(GrantedPage, CalloffsPage):
    """Who a package is for: only through services.person_identity, with a
    purpose that is recorded. Never cached."""

    def setup_person(self, package_id, person_id):
        package = self.package(package_id)
        self.require(policy.can_see_identity(self.access) or policy.can_source_package(self.access, package),
                     "Only brokers and commissioners can see who a package is for.")
        person = selectors.package_person(package, person_id)
        if person is None:
            raise Http404("That person is not one of this package's.")
        return package, person

    def get(self, request, package_id, person_id):
        package, person = self.setup_person(package_id, person_id)
        return self._render(package, person, IdentityForm())

    def post(self, request, package_id, person_id):
        package, person = self.setup_person(package_id, person_id)
        form = IdentityForm(request.POST)
        if form.is_valid():
            try:
                shown = services.person_identity(actor=request.user, person=person, package=package,
                                                 purpose=form.cleaned_data["purpose"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return self._render(package, person, None, shown=shown, purpose=form.cleaned_data["purpose"])
        return self._render(package, person, form, status=400)

    def _render(self, package, person, form, status=200, **context):
        shown = context.get("shown")
        if shown is not None and not shown.name_recorded:
            from tenants.history.selectors import person_reference

            context["case_reference"] = person_reference(shown)
        response = self.render("identity.html", status=status, package=package, person=person, form=form,
                               **context)
        add_never_cache_headers(response)
        return response


# --- Clarifications -------------------------------------------------------------------

class ClarificationListView(GrantedPage, CalloffsPage):
    def get(self, request, package_id):
        package = self.package(package_id)
        return self.render("clarifications.html", package=package,
                           clarifications=selectors.clarifications_for_staff(package))


class ClarificationAnswerView(GrantedPage, CalloffsPage):
    def setup_clarification(self, package_id, clarification_id):
        self.require_source()
        package = self.package(package_id)
        clarification = selectors.clarification_for_staff(package, clarification_id)
        if clarification is None:
            raise Http404("No such question on this package.")
        return package, clarification

    def get(self, request, package_id, clarification_id):
        package, clarification = self.setup_clarification(package_id, clarification_id)
        if clarification.published_at:
            return redirect("calloffs-staff:clarifications", package_id=package.pk)
        form = ClarificationAnswerForm(initial={"question": clarification.question})
        return self._render(package, clarification, form)

    def post(self, request, package_id, clarification_id):
        package, clarification = self.setup_clarification(package_id, clarification_id)
        form = ClarificationAnswerForm(request.POST)
        if form.is_valid():
            try:
                services.clarification_answer(actor=request.user, clarification=clarification,
                                              answer=form.cleaned_data["answer"],
                                              question=form.cleaned_data["question"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Answer published to every invitee, without saying who asked.")
                return redirect("calloffs-staff:clarifications", package_id=package.pk)
        return self._render(package, clarification, form, status=400)

    def _render(self, package, clarification, form, status=200):
        return self.render("clarification_answer.html", status=status, package=package,
                           clarification=clarification, form=form)


# --- The deadline -----------------------------------------------------------------------

class DeadlineMoveView(CalloffsPage):
    """Annex IV (c): only authorised persons change opening dates; here,
    commissioners, with a reason that every invitee is told. Once a bid is in,
    a deadline only moves later (the service says so)."""

    form_class = DeadlineForm
    field = "bid_deadline"
    template = "deadline.html"
    refusal = "Only commissioners can move a bid deadline."
    done = "Deadline moved. Every invitee is being told the new deadline and why."

    def setup_package(self, package_id):
        self.require(policy.can_move_deadline(self.access), self.refusal)
        return self.package(package_id)

    def get(self, request, package_id):
        package = self.setup_package(package_id)
        if package.status != Package.Status.PUBLISHED:
            messages.info(request, f"{package.reference} is {package.get_status_display().lower()}: only an open "
                                   "package's deadlines can move.")
            return redirect("calloffs-staff:package", package_id=package.pk)
        return self._render(package, self.form_class())

    def post(self, request, package_id):
        package = self.setup_package(package_id)
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                package = self.move(request.user, package, form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, self.done)
                return redirect("calloffs-staff:package", package_id=package.pk)
        return self._render(package, form, status=400)

    def move(self, actor, package, data):
        return services.deadline_move(actor=actor, package=package, bid_deadline=data["bid_deadline"],
                                      reason=data["reason"])

    def _render(self, package, form, status=200):
        return self.render(self.template, status=status, package=package, form=form,
                           changes=selectors.deadline_changes(package))


class ClarificationDeadlineMoveView(DeadlineMoveView):
    """The date clarification questions close, under the same rule."""

    form_class = ClarificationDeadlineForm
    template = "clarification_deadline.html"
    refusal = "Only commissioners can move a clarification deadline."
    done = "Clarification deadline moved. Every invitee is being told the new date and why."

    def move(self, actor, package, data):
        return services.clarification_deadline_move(actor=actor, package=package,
                                                    clarification_deadline=data["clarification_deadline"],
                                                    reason=data["reason"])


# --- Bids, evaluation and award ------------------------------------------------------------

class BidsPage(GrantedPage, CalloffsPage):
    def opened_package(self, package_id, bid_id=None) -> Package:
        package = self.package(package_id)
        sealing.refuse_until_open(package, user=self.request.user, channel="page", bid_id=bid_id)
        return package


class BidListView(BidsPage):
    def get(self, request, package_id):
        package = self.opened_package(package_id)
        from tenants.quality.risk import dashboard_for

        bids = list(selectors.bids_submitted(package))
        risks = dashboard_for([b.provider_id for b in bids])  # the colour and latest rating beside each bid
        rows = [(bid, sealing.read_bid(bid, user=request.user, channel="page", access=self.access),
                 risks.get(bid.provider_id)) for bid in bids]
        return self.render("bids.html", package=package, rows=rows,
                           candidates=services.candidates(package),
                           can_evaluate=policy.can_evaluate_package(self.access, package))


class BidDetailView(BidsPage):
    def get(self, request, package_id, bid_id):
        package, bid = self.bid(package_id, bid_id)
        return self.render_bid(package, bid)

    def bid(self, package_id, bid_id):
        package = self.opened_package(package_id, bid_id)
        bid = selectors.bid_of(package, bid_id)
        if bid is None:
            raise Http404("No such bid on this package.")
        return package, bid

    def render_bid(self, package, bid, evaluation_form=None, negotiation_form=None, status=200):
        content = sealing.read_bid(bid, user=self.request.user, channel="page", access=self.access)
        closed = package.status == Package.Status.CLOSED
        evaluation = getattr(bid, "evaluation", None)
        if evaluation_form is None and closed and policy.can_evaluate_package(self.access, package):
            evaluation_form = EvaluationForm(initial=EvaluationForm.initial_from(evaluation))
        if negotiation_form is None and closed and policy.can_source_package(self.access, package):
            negotiation_form = NegotiationForm()
        return self.render("bid.html", status=status, package=package, bid=bid, content=content,
                           evaluation=evaluation, receipts=bid.receipts.order_by("version"),
                           negotiations=bid.negotiations.select_related("recorded_by").order_by("recorded_at"),
                           evaluation_form=evaluation_form, negotiation_form=negotiation_form)


class BidEvaluateView(BidDetailView):
    def post(self, request, package_id, bid_id):
        package, bid = self.bid(package_id, bid_id)
        self.require(policy.can_evaluate_package(self.access, package),
                     "Only brokers, commissioners and evaluators score bids.")
        form = EvaluationForm(request.POST)
        if form.is_valid():
            try:
                services.bid_evaluate(actor=request.user, bid=bid, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"Evaluation of {bid.provider.name}'s bid saved. Price scores and totals "
                                          "are worked out again for every bid.")
                return redirect("calloffs-staff:bid", package_id=package.pk, bid_id=bid.pk)
        return self.render_bid(package, bid, evaluation_form=form, status=400)


class BidNegotiateView(BidDetailView):
    def post(self, request, package_id, bid_id):
        self.require_source()
        package, bid = self.bid(package_id, bid_id)
        form = NegotiationForm(request.POST)
        if form.is_valid():
            try:
                services.negotiation_record(actor=request.user, bid=bid, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Negotiation recorded; the bid's weekly price is now the agreed one.")
                return redirect("calloffs-staff:bid", package_id=package.pk, bid_id=bid.pk)
        return self.render_bid(package, bid, negotiation_form=form, status=400)


class BidsExportView(GrantedPage, CalloffsPage):
    def get(self, request, package_id):
        package = self.package(package_id)
        body = services.bids_export(actor=request.user, package=package)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{package.reference}-bids.csv"'
        add_never_cache_headers(response)
        return response


class AwardView(GrantedPage, CalloffsPage):
    """The candidates (compliant, evaluated, within budget, best first) and
    the award: the only candidate, the person's preference among several
    (recorded with who expressed it), or an exception with a reason."""

    def setup_package(self, package_id):
        self.require_source()
        package = self.package(package_id)
        return package, package.status == Package.Status.CLOSED

    def get(self, request, package_id):
        package, closed = self.setup_package(package_id)
        if not closed:
            messages.info(request, f"{package.reference} is {package.get_status_display().lower()}: only a package "
                                   "whose bidding has closed can be awarded.")
            return redirect("calloffs-staff:package", package_id=package.pk)
        bids = list(selectors.bids_submitted(package))
        candidates = services.candidates(package)
        initial = {"bid": candidates[0].pk} if len(candidates) == 1 else {}
        return self._render(package, AwardForm(bids=bids, initial=initial), bids, candidates)

    def post(self, request, package_id):
        package, closed = self.setup_package(package_id)
        bids = list(selectors.bids_submitted(package))
        form = AwardForm(request.POST, bids=bids)
        if form.is_valid():
            bid = next(b for b in bids if b.pk == form.cleaned_data["bid"])
            try:
                if "confirm" not in request.POST:  # GOV.UK's check answers: nothing is awarded yet
                    basis, reason, _ = services.award_basis(
                        actor=request.user, package=package, bid=bid, expressed_by=form.cleaned_data["expressed_by"],
                        exception_reason=form.cleaned_data["exception_reason"])
                    answers = [(name, value) for name, value in request.POST.items()
                               if name != "csrfmiddlewaretoken"]
                    return self.render("award_check.html", package=package, bid=bid, data=form.cleaned_data,
                                       answers=answers, basis=basis, reason=reason)
                made = services.award(actor=request.user, package=package, bid=bid,
                                      expressed_by=form.cleaned_data["expressed_by"],
                                      preference_notes=form.cleaned_data["preference_notes"],
                                      exception_reason=form.cleaned_data["exception_reason"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"{package.reference} awarded to {bid.provider.name} "
                                          f"({made.get_basis_display().lower()}). The placement awaits go-live.")
                return redirect("placements-staff:placement", placement_id=made.package.placement.pk)
        return self._render(package, form, bids, services.candidates(package), status=400)

    def _render(self, package, form, bids, candidates, status=200):
        return self.render("award.html", status=status, package=package, form=form, bids=bids,
                           candidates=candidates)


class NoAwardView(GrantedPage, CalloffsPage):
    def get(self, request, package_id):
        self.require_source()
        package = self.package(package_id)
        if package.status != Package.Status.CLOSED:
            return redirect("calloffs-staff:package", package_id=package.pk)
        return self.render("no_award.html", package=package, form=NoAwardForm())

    def post(self, request, package_id):
        self.require_source()
        package = self.package(package_id)
        form = NoAwardForm(request.POST)
        if form.is_valid():
            try:
                outcome = services.no_award(actor=request.user, package=package, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                follow = f" A new draft, {outcome.follow_on.reference}, is ready to check and publish." \
                    if outcome.follow_on else ""
                messages.success(request, f"{package.reference}: not awarded.{follow}")
                target = outcome.follow_on or package
                return redirect("calloffs-staff:package", package_id=target.pk)
        return self.render("no_award.html", status=400, package=package, form=form)


# --- Withdrawing, cancelling, publishing again ----------------------------------------------

ENDABLE = (Package.Status.DRAFT, Package.Status.PUBLISHED, Package.Status.CLOSED)


class WithdrawView(GrantedPage, CalloffsPage):
    """Why the request ends, then the answers to check (what happens to the
    bids, who is told), then the withdrawal (a draft: its cancellation)."""

    def setup_package(self, package_id):
        self.require_source()
        return self.package(package_id)

    def get(self, request, package_id):
        package = self.setup_package(package_id)
        if package.status not in ENDABLE:
            messages.info(request, f"{package.reference} is {package.get_status_display().lower()}: only a draft, "
                                   "or a package not yet awarded, can be cancelled or withdrawn.")
            return redirect("calloffs-staff:package", package_id=package.pk)
        return self._render(package, WithdrawForm())

    def post(self, request, package_id):
        package = self.setup_package(package_id)
        form = WithdrawForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if "confirm" not in request.POST:  # GOV.UK's check answers: nothing changes yet
                    unopened = services.withdrawal_check(actor=request.user, package=package, **data)
                    answers = [(name, value) for name, value in request.POST.items()
                               if name != "csrfmiddlewaretoken"]
                    return self.render("withdraw_check.html", package=package, data=data, answers=answers,
                                       reason_label=dict(form.fields["reason"].choices)[data["reason"]],
                                       unopened=unopened, invited=package.invitations.count())
                if package.status == Package.Status.DRAFT:
                    services.package_cancel(actor=request.user, package=package, **data)
                    done = f"{package.reference} cancelled."
                else:
                    withdrawal = services.package_withdraw(actor=request.user, package=package, **data)
                    done = (f"{package.reference} withdrawn. Every invited provider is being told why"
                            + (", and that bids are never opened." if withdrawal.bids_unopened else "."))
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, done)
                return redirect("calloffs-staff:package", package_id=package.pk)
        return self._render(package, form, status=400)

    def _render(self, package, form, status=200):
        return self.render("withdraw.html", status=status, package=package, form=form)


class RepublishView(GrantedPage, CalloffsPage):
    """A withdrawn or not awarded request published again: a new draft for
    the same people and need, linked to the first."""

    def setup_package(self, package_id):
        self.require_source()
        package = self.package(package_id)
        lots = list(package.agreement.lots.order_by("number"))
        return package, lots

    def get(self, request, package_id):
        package, lots = self.setup_package(package_id)
        if package.status not in (Package.Status.WITHDRAWN, Package.Status.NO_AWARD):
            return redirect("calloffs-staff:package", package_id=package.pk)
        return self._render(package, RepublishForm(lots=lots, initial={"lot": package.lot_id}))

    def post(self, request, package_id):
        package, lots = self.setup_package(package_id)
        form = RepublishForm(request.POST, lots=lots)
        if form.is_valid():
            try:
                follow_on = services.package_republish(actor=request.user, package=package,
                                                       lot=form.lots[form.cleaned_data["lot"]])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"New draft {follow_on.reference} made from {package.reference}, for the "
                                          "same people and need. Check it (the dates especially), then publish.")
                return redirect("calloffs-staff:package", package_id=follow_on.pk)
        return self._render(package, form, status=400)

    def _render(self, package, form, status=200):
        return self.render("republish.html", status=status, package=package, form=form)


# --- Utilisation ----------------------------------------------------------------------------

class UtilisationView(CalloffsPage):
    """The figures a council reports for a year, by lot and month: sourcing requests,
    call-offs published, bids (counted once bidding closed), awards and
    placements gone live."""

    def filtered(self, request):
        self.require(policy.can_view_utilisation(self.access),
                     "Only brokers, commissioners and finance viewers read the utilisation report.")
        form = UtilisationFilterForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            return form, None
        data = form.cleaned_data if form.is_bound else {}
        return form, selectors.utilisation(start=data.get("start"), end=data.get("end"))

    def get(self, request):
        form, rows = self.filtered(request)
        totals = {key: sum(r[key] for r in rows or []) for key in ("requests", "published", "bids", "awards", "live")}
        query = request.GET.urlencode()
        return self.render("utilisation.html", status=200 if rows is not None else 400, form=form, rows=rows or [],
                           totals=totals, csv_url=f"{reverse('calloffs-staff:utilisation-csv')}"
                                                  f"{'?' + query if query else ''}")


class UtilisationCSVView(UtilisationView):
    def get(self, request):
        form, rows = self.filtered(request)
        if rows is None:
            problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
            return HttpResponse(f"Check the date range: {problems}\n", status=400,
                                content_type="text/plain; charset=utf-8")
        response = HttpResponse(selectors.utilisation_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="utilisation.csv"'
        return response
