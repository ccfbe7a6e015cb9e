"""Payments for providers: their schedules here once issued, each with its
lines (and the cost lines behind each figure); confirming, querying and
sending an invoice (typed, or with the PDF)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views import View

from accounts.mixins import ProviderPageMixin
from tenants.payments import selectors, services
from tenants.payments.forms import InvoiceForm, QueryForm


class SchedulesView(ProviderPageMixin, View):
    def get(self, request):
        return render(request, "payments/provider/schedules.html", {
            "access": self.access, "authority": self.request.tenant,
            "schedules": selectors.schedules_for_provider(self.access.provider_ids)})


class ScheduleView(ProviderPageMixin, View):
    def schedule(self, schedule_id):
        found = selectors.schedule_for_provider(self.access.provider_ids, schedule_id)
        if found is None:
            raise Http404("No payment schedule of yours with that number here.")
        return found

    def get(self, request, schedule_id, status=200, **forms):
        schedule = self.schedule(schedule_id)
        forms.setdefault("query_form", QueryForm(lines=schedule.lines.all()))
        forms.setdefault("invoice_form", InvoiceForm())
        return render(request, "payments/provider/schedule.html", {
            "access": self.access, "authority": self.request.tenant, "schedule": schedule,
            "open_to_answer": schedule.status in ("issued", "confirmed", "queried"),
            "failed_form": next((f for f in (forms["query_form"], forms["invoice_form"]) if f.errors), None),
            **forms}, status=status)

    def post(self, request, schedule_id):
        schedule = self.schedule(schedule_id)
        action = request.POST.get("action")
        if action == "confirm":
            try:
                services.schedule_confirm(actor=request.user, schedule=schedule)
            except ValidationError as error:
                return self.get(request, schedule_id, status=getattr(error, "status", 400),
                                refusal=" ".join(error.messages))
            messages.success(request, "Thank you: the schedule is confirmed.")
            return redirect("provider-payments:schedule", schedule_id=schedule.pk)
        if action == "query":
            form = QueryForm(request.POST, lines=schedule.lines.all())
            if form.is_valid():
                try:
                    services.schedule_query(actor=request.user, schedule=schedule, reason=form.cleaned_data["reason"],
                                            line=form.line())
                except ValidationError as error:
                    form.add_service_errors(error)
                else:
                    messages.success(request, "Your query is sent.")
                    return redirect("provider-payments:schedule", schedule_id=schedule.pk)
            return self.get(request, schedule_id, status=400, query_form=form)
        if action == "invoice":
            form = InvoiceForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    invoice = services.invoice_add(actor=request.user, schedule=schedule,
                                                   number=form.cleaned_data["number"],
                                                   invoice_date=form.cleaned_data["invoice_date"],
                                                   amount=form.cleaned_data["amount"],
                                                   upload=form.cleaned_data["file"])
                except ValidationError as error:
                    form.add_service_errors(error)
                    return self.get(request, schedule_id, status=getattr(error, "status", 400), invoice_form=form)
                else:
                    if invoice.matched:
                        messages.success(request, "Your invoice matches the schedule.")
                    else:
                        messages.warning(request, f"Your invoice differs from the schedule by "
                                                  f"£{abs(invoice.difference):,.2f}: we have raised a query.")
                    return redirect("provider-payments:schedule", schedule_id=schedule.pk)
            return self.get(request, schedule_id, status=400, invoice_form=form)
        raise Http404("No such action.")


class InvoiceFileView(ProviderPageMixin, View):
    def get(self, request, invoice_id):
        invoice = selectors.invoice_for_provider(self.access.provider_ids, invoice_id)
        if invoice is None:
            raise Http404("No such invoice file of yours.")
        try:
            handle = invoice.file.open("rb")
        except FileNotFoundError:
            raise Http404("The file is missing from storage.") from None
        response = FileResponse(handle, as_attachment=True, filename=f"invoice-{slugify(invoice.number)}.pdf",
                                content_type=invoice.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
