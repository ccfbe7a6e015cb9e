"""The provider's side of stage 2, inside an authority: the care packages the
person's organisations are invited to bid for, their clarifications, and
their own sealed bids from the first draft to the receipt.

Provider people reach these pages (ProviderPageMixin); a package is looked up
among those their organisations are invited to, so any other is not found
(provider_access). What a package shows providers is only what the
authority published for them: never the person, never who else was invited,
never another bid, and answered questions without who asked. Provider admins
and bid writers bid and ask; viewers read. The services decide the rest
(deadlines, sealing, idempotent receipts), and their refusals are shown
against the form's fields."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from accounts.mixins import ProviderPageMixin
from common.errors import Conflict
from tenants.calloffs import provider_access, sealing, selectors, services, start
from tenants.calloffs.models import Package
from tenants.calloffs.provider_forms import BidForm, BidWithdrawForm, ClarificationForm, new_idempotency_key


def when(moment) -> str:
    moment = timezone.localtime(moment)
    return f"{moment:%H:%M:%S} on {moment:%-d %B %Y}"


def receipt_message(receipt, *, replayed: bool) -> str:
    text = (f"received at {when(receipt.received_at)} (version {receipt.version}). "
            f"Digest of its content: {receipt.content_sha256} (check it with the receipt key shown with your bid).")
    if replayed:
        return f"This submission had already been received: the same bid, {text} Nothing was sent twice."
    return f"Bid submitted: {text} Keep this receipt."


class ProviderCalloffPage(ProviderPageMixin, View):
    def render(self, template: str, status: int = 200, **context):
        context["access"] = self.access
        return render(self.request, f"calloffs/provider/{template}", context, status=status)

    def package(self, package_id) -> Package:
        return provider_access.access_package(self.access, package_id)

    def bidder(self, package: Package, channel: str = "page") -> selectors.Invited:
        """The invited organisation this page is for (?provider=<id> when the
        person is here for several)."""
        try:
            provider_id = provider_access.parse_provider(self.request.GET.get("provider"))
            return provider_access.access_bidder(access=self.access, user=self.request.user, package=package,
                                                 provider_id=provider_id, channel=channel)
        except ValidationError:
            raise _ChooseOrganisation(package) from None

    def bid_url(self, package: Package, row: selectors.Invited, name: str = "bid") -> str:
        return f"{reverse(f'provider-calloffs:{name}', args=[package.pk])}?provider={row.provider.pk}"

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except _ChooseOrganisation as choose:
            messages.info(request, "You are here for more than one invited organisation: choose which one.")
            return redirect("provider-calloffs:package", package_id=choose.package.pk)


class _ChooseOrganisation(Exception):
    def __init__(self, package):
        super().__init__()
        self.package = package


# --- Invitations here ----------------------------------------------------------------------

class PackageListView(ProviderCalloffPage):
    def get(self, request):
        invitations = list(selectors.invitations_for_provider(self.access.provider_ids))
        bids = selectors.own_bids(self.access.provider_ids, {i.package_id for i in invitations})
        now = timezone.now()
        rows = [(i, bids.get((i.package_id, i.provider_id)), selectors.bidding_open(i.package, now))
                for i in invitations]
        return self.render("packages.html", rows=rows)


# --- One package ---------------------------------------------------------------------------

class PackageView(ProviderCalloffPage):
    def get(self, request, package_id):
        package = self.package(package_id)
        return self.show(package, ClarificationForm())

    def show(self, package, question_form, status=200):
        now = timezone.now()
        invited = selectors.invited_organisations(package, self.access.provider_ids)
        askers = [row for row in invited if provider_access.may_bid(self.access, row)]
        latest = {row.provider.pk: selectors.bid_receipts(row.bid).first() for row in invited if row.bid}
        results = [(row, start.result_for(package=package, bid=row.bid)) for row in invited
                   if row.successful is False]
        return self.render(
            "package.html", status=status, package=package, results=[(r, res) for r, res in results if res],
            won=[row for row in invited if row.successful and provider_access.may_bid(self.access, row)],
            invited=[
                (row, latest.get(row.provider.pk), provider_access.may_bid(self.access, row)) for row in invited],
            several=len(invited) > 1, bidding_open=selectors.bidding_open(package, now),
            questions_open=selectors.questions_open(package, now), askers=askers, question_form=question_form,
            answered=selectors.clarifications_published(package),
            waiting=selectors.clarifications_waiting(package, [row.provider.pk for row in invited]),
            moves=package.deadline_changes.order_by("changed_at").only("before", "after", "changed_at"))


class ClarificationAskView(PackageView):
    """Asked from the package page; refusals are shown there."""

    def get(self, request, package_id):
        return redirect("provider-calloffs:package", package_id=package_id)

    def post(self, request, package_id):
        package = self.package(package_id)
        row = self.bidder(package)
        self.require(provider_access.may_bid(self.access, row), provider_access.WRITE_REFUSED)
        form = ClarificationForm(request.POST)
        if form.is_valid():
            try:
                services.clarification_ask(actor=request.user, package=package, provider=row.provider,
                                           question=form.cleaned_data["question"])
            except ValidationError as error:
                form.add_service_errors(error)
                return self.show(package, form, status=409 if isinstance(error, Conflict) else 400)
            messages.success(request, "Question sent. The authority publishes its answer to every invited "
                                      "provider, without saying who asked.")
            return redirect("provider-calloffs:package", package_id=package.pk)
        return self.show(package, form, status=400)


# --- The organisation's own bid --------------------------------------------------------------

class BidView(ProviderCalloffPage):
    """Write, save, submit and revise the bid while bidding is open; read it
    (the bidder's own people only, through the seal) at any time."""

    def get(self, request, package_id):
        package = self.package(package_id)
        row = self.bidder(package)
        content = self.read(row)
        form = None
        if selectors.bidding_open(package) and provider_access.may_bid(self.access, row):
            form = self.form(package, row, initial=BidForm.initial_from(content))
        return self._render(package, row, form, content)

    def post(self, request, package_id):
        package = self.package(package_id)
        row = self.bidder(package)
        self.require(provider_access.may_bid(self.access, row), provider_access.WRITE_REFUSED)
        form = self.form(package, row, data=request.POST)
        if not form.is_valid():
            return self._render(package, row, form, None, status=400)
        action = request.POST.get("action", "submit")
        try:
            if action == "save" and form.can_save_draft:
                services.bid_save(actor=request.user, package=package, provider=row.provider,
                                  content=form.content())
                messages.success(request, "Draft saved, sealed like a bid. Nothing is received by the authority "
                                          "until you submit.")
            else:
                receipt = services.bid_submit(actor=request.user, package=package, provider=row.provider,
                                              content=form.content(), idempotency_key=form.key)
                messages.success(request, receipt_message(receipt, replayed=receipt.replayed))
        except ValidationError as error:
            return self.refused(package, row, form, error)
        return HttpResponseRedirect(self.bid_url(package, row))

    def refused(self, package, row, form, error):
        package.refresh_from_db()
        if isinstance(error, Conflict) and not selectors.bidding_open(package):
            # too late: the form is closed, and the reason shown
            return self._render(package, row, None, self.read(row), status=409,
                                refusal=" ".join(error.messages))
        if hasattr(error, "error_dict") and "idempotency_key" in error.error_dict:
            # this form was already submitted with other content (sent again after going back):
            # keep what was typed, with a new key, so that submitting it again is a revision
            form.data = form.data.copy()
            form.data["idempotency_key"] = new_idempotency_key()
        form.add_service_errors(error)
        return self._render(package, row, form, None, status=409 if isinstance(error, Conflict) else 400)

    def form(self, package, row, **kwargs) -> BidForm:
        return BidForm(budget=package.budget_weekly, can_save_draft=not row.submitted, **kwargs)

    def read(self, row) -> dict | None:
        if row.bid is None:
            return None
        return sealing.read_bid(row.bid, user=self.request.user, channel="page", access=self.access)

    def _render(self, package, row, form, content, status=200, refusal=""):
        row = self.bidder(package)  # as it now stands
        return self.render("bid.html", status=status, package=package, row=row, form=form, content=content,
                           receipts=list(selectors.bid_receipts(row.bid)) if row.bid else [],
                           receipt_key=sealing.receipt_key(row.bid) if row.bid else None,
                           may_bid=provider_access.may_bid(self.access, row),
                           bidding_open=selectors.bidding_open(package), refusal=refusal,
                           withdraw_url=self.bid_url(package, row, "withdraw"))


class BidWithdrawView(ProviderCalloffPage):
    def get(self, request, package_id):
        package = self.package(package_id)
        row = self.bidder(package)
        self.require(provider_access.may_bid(self.access, row), provider_access.WRITE_REFUSED)
        if not (row.submitted and selectors.bidding_open(package)):
            return HttpResponseRedirect(self.bid_url(package, row))
        return self.render("withdraw.html", package=package, row=row, form=BidWithdrawForm())

    def post(self, request, package_id):
        package = self.package(package_id)
        row = self.bidder(package)
        self.require(provider_access.may_bid(self.access, row), provider_access.WRITE_REFUSED)
        form = BidWithdrawForm(request.POST)
        if form.is_valid() and row.bid is not None:
            try:
                services.bid_withdraw(actor=request.user, bid=row.bid)
            except ValidationError as error:
                form.add_service_errors(error)
                return self.render("withdraw.html", status=409, package=package, row=row, form=form)
            messages.success(request, "Bid withdrawn. The authority will not consider it. You can submit a "
                                      "new bid until the deadline.")
        return HttpResponseRedirect(self.bid_url(package, row))


# --- After award: the person and the start -------------------------------------------------

class StartView(ProviderCalloffPage):
    """The awarded provider's people see who the care is for and how it
    starts, on purpose: the look is recorded. Anyone else is refused (and
    that is recorded too)."""

    def get(self, request, package_id):
        package = self.package(package_id)
        row = self.bidder(package)
        if not (row.successful and provider_access.may_bid(self.access, row)):
            start.start_details(actor=request.user, package=package, provider_id=row.provider.pk)  # refuses
        return self.render("start.html", package=package, row=row, purpose=start.PURPOSE, details=None)

    def post(self, request, package_id):
        package = self.package(package_id)
        row = self.bidder(package)
        details = start.start_details(actor=request.user, package=package, provider_id=row.provider.pk)
        response = self.render("start.html", package=package, row=row, purpose=start.PURPOSE, details=details)
        response["Cache-Control"] = "no-store"
        return response
