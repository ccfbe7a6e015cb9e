"""Approved schedules for the finance system: one row per schedule line, as
CSV (through common.csvsafe) or XLSX (openpyxl). The columns are listed in
docs/payments.md; the rows are read in a constant number of queries."""

from __future__ import annotations

import io

from django.utils import timezone

from tenants.payments.models import CostCentre, Invoice, Line, SupplierReference

COLUMNS = [
    "Supplier reference", "Provider name", "Provider legal name", "Payer authority", "Payer code",
    "Period start", "Period end", "Schedule reference", "Line type", "Covers period start", "Covers period end",
    "Placement reference", "Agreement reference", "Lot", "Cost centre", "Care from", "Care to", "Days",
    "Amount", "Schedule total", "Invoice numbers", "Invoice total", "Approved by", "Approved at",
]


def export_rows(schedules) -> list[list]:
    """The rows for these (approved) schedules, in schedule then line order."""
    ids = [s.pk for s in schedules]
    lines = list(Line.objects.filter(schedule_id__in=ids)
                 .select_related("schedule__provider", "schedule__payer", "schedule__period",
                                 "schedule__approved_by", "covers", "placement__package__agreement",
                                 "placement__package__lot")
                 .order_by("schedule__period__starts_on", "schedule__reference", "kind",
                           "placement__package__reference", "pk"))
    suppliers = {s.provider_id: s.reference for s in SupplierReference.objects.filter(
        provider_id__in={line.schedule.provider_id for line in lines})}
    centres = {c.lot_id: c.code for c in CostCentre.objects.filter(
        lot_id__in={line.placement.package.lot_id for line in lines})}
    invoices: dict[int, list[Invoice]] = {}
    for invoice in Invoice.objects.filter(schedule_id__in=ids).order_by("entered_at", "pk"):
        invoices.setdefault(invoice.schedule_id, []).append(invoice)
    rows = []
    for line in lines:
        schedule, package = line.schedule, line.placement.package
        held = invoices.get(schedule.pk, [])
        rows.append([
            suppliers.get(schedule.provider_id, ""), schedule.provider.name, schedule.provider.legal_name,
            schedule.payer.name, schedule.payer.official_code or "", schedule.period.starts_on,
            schedule.period.ends_on, schedule.reference, line.get_kind_display(), line.covers.starts_on,
            line.covers.ends_on, package.reference, package.agreement.reference,
            f"Lot {package.lot.number}: {package.lot.title}", centres.get(package.lot_id, ""), line.starts_on,
            line.ends_on, line.days, line.amount, schedule.total, "; ".join(i.number for i in held),
            sum((i.amount for i in held), start=0) if held else "",
            getattr(schedule.approved_by, "email", ""),
            timezone.localtime(schedule.approved_at).replace(tzinfo=None) if schedule.approved_at else "",
        ])
    return rows


def _text(value) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ", timespec="seconds") if hasattr(value, "hour") else value.isoformat()
    return value


def export_csv(schedules) -> str:
    from common import csvsafe

    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(COLUMNS)
    for row in export_rows(schedules):
        writer.writerow([_text(value) for value in row])
    return out.getvalue()


def export_xlsx(schedules) -> bytes:
    """A workbook with one sheet, "Payments": dates as dates, amounts as
    numbers (two decimal places), text always as text (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING

    from common.csvsafe import FORMULA_STARTS

    book = Workbook()
    sheet = book.active
    sheet.title = "Payments"
    sheet.append(COLUMNS)
    for row in export_rows(schedules):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = TYPE_STRING
            elif hasattr(cell.value, "isoformat"):
                cell.number_format = "yyyy-mm-dd hh:mm" if hasattr(cell.value, "hour") else "yyyy-mm-dd"
            elif not isinstance(cell.value, (str, int)) and cell.value is not None:
                cell.number_format = "0.00"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
