"""Reading the imports an authority has applied."""

from __future__ import annotations

from tenants.history.models import HistoryImport


def imports_for_staff():
    return HistoryImport.objects.select_related("applied_by").order_by("-applied_at", "-pk")


def import_for_staff(import_id) -> HistoryImport | None:
    return imports_for_staff().filter(pk=import_id).first()
