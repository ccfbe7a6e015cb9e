"""Importing an authority's history, for commissioners and authority
admins: upload a file and see the check (a dry run: every problem, and what
would be made), then import it; and the imports applied so far. The file
checked is kept in the person's session until it is imported or another is
checked, so what is imported is exactly what was checked (its digest is
compared)."""

from __future__ import annotations

import base64
import hashlib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from accounts.mixins import StaffPageMixin
from common.filters import page_filters
from tenants.history import policy, selectors, services
from tenants.history.filters import HistoryImportFilters
from tenants.history.forms import UploadForm
from tenants.history.models import ImportedRow, Kind

SESSION_KEY = "history-import:{schema}"


class HistoryPage(StaffPageMixin, View):
    def dispatch(self, request, *args, **kwargs):
        self.require(policy.can_import_history(self.access), services.REFUSED)
        return super().dispatch(request, *args, **kwargs)

    def render(self, template: str, status: int = 200, **context):
        context.setdefault("access", self.access)
        context.setdefault("layouts", [(Kind(kind).label, columns) for kind, columns in services.LAYOUTS.items()])
        return render(self.request, f"history/staff/{template}", context, status=status)

    @property
    def key(self) -> str:
        return SESSION_KEY.format(schema=self.request.tenant.schema_name)


class HistoryHomeView(HistoryPage):
    def get(self, request):
        return self._render(UploadForm())

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(form, status=400)
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            report = services.history_import(actor=request.user, kind=form.cleaned_data["kind"],
                                              file_name=upload.name, data=data, dry_run=True)
        except ValidationError as error:
            form.add_service_errors(error)
            return self._render(form, status=400)
        if report.ok:
            request.session[self.key] = {"kind": report.kind, "name": report.file_name,
                                         "sha256": report.file_sha256, "data": base64.b64encode(data).decode()}
        else:
            request.session.pop(self.key, None)
        return self.render("report.html", status=200 if report.ok else 400, report=report)

    def _render(self, form, status=200):
        imports, asked, refused = page_filters(HistoryImportFilters, self.request, selectors.imports_for_staff())
        return self.render("home.html", status=status if not refused else 400, form=form, imports=imports,
                           asked=asked, filter_errors=refused)


class HistoryApplyView(HistoryPage):
    def post(self, request):
        kept = request.session.get(self.key)
        if not kept or kept.get("sha256") != request.POST.get("sha256"):
            messages.error(request, "Check the file again before importing it: the file checked is no longer at "
                                    "hand.")
            return redirect("history-staff:home")
        data = base64.b64decode(kept["data"])
        if hashlib.sha256(data).hexdigest() != kept["sha256"]:
            raise Http404("The file checked is not at hand.")
        try:
            report = services.history_import(actor=request.user, kind=kept["kind"], file_name=kept["name"],
                                              data=data, dry_run=False)
        except services.FileRefused as refused:
            request.session.pop(self.key, None)
            return self.render("report.html", status=400, report=refused.report)
        except ValidationError as error:  # the state changed while it was imported: nothing kept
            request.session.pop(self.key, None)
            messages.error(request, " ".join(error.messages))
            return redirect("history-staff:home")
        request.session.pop(self.key, None)
        messages.success(request, "Imported: " + ", ".join(f"{count} {what.replace('_', ' ')}"
                                                           for what, count in report.created.items()) + ".")
        return redirect("history-staff:import", import_id=report.history_import.pk)


class HistoryImportView(HistoryPage):
    def get(self, request, import_id):
        done = selectors.import_for_staff(import_id)
        if done is None:
            raise Http404("No history import with that number here.")
        rows = (ImportedRow.objects.filter(history_import=done)
                .select_related("placement__provider", "placement__package", "application__provider",
                                "application__agreement").order_by("line"))
        return self.render("import.html", done=done, rows=rows)
