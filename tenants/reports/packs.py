"""The committee pack of a year report: an XLSX workbook (a sheet per table,
each with a native bar chart) and a PDF (the page's own partials and SVG
charts, rendered by WeasyPrint)."""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from common.csvsafe import cell
from tenants.reports.charts import year_report_charts

MONEY_FORMAT = '"£"#,##0.00'


def _sheet(book, title: str, header: list[str], rows: list[list], *, chart_title: str, value_columns=(2,),
           money_columns=()):
    sheet = book.create_sheet(title)
    sheet.append(header)
    for column in range(1, len(header) + 1):
        sheet.cell(row=1, column=column).font = Font(bold=True)
    for row in rows:
        sheet.append([cell(value) for value in row])
    for column in money_columns:
        for line in range(2, len(rows) + 2):
            sheet.cell(row=line, column=column).number_format = MONEY_FORMAT
    sheet.column_dimensions["A"].width = 45
    for letter in "BCD":
        sheet.column_dimensions[letter].width = 18
    if rows:
        chart = BarChart()
        chart.type, chart.title, chart.style = "bar", chart_title, 10
        chart.y_axis.title, chart.x_axis.title = header[value_columns[0] - 1], header[0]
        for column in value_columns:
            chart.add_data(Reference(sheet, min_col=column, min_row=1, max_row=len(rows) + 1), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(rows) + 1))
        chart.width, chart.height = 18, max(6, 1.2 * len(rows) + 3)
        sheet.add_chart(chart, f"{chr(ord('A') + len(header) + 1)}2")
    return sheet


def year_report_xlsx(report: dict, authority) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    providers, live, money = report["providers"], report["packages_live"], report["money"]
    summary.append([f"{report['agreement']['title']} ({report['agreement']['reference']})"])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([f"{authority.name}: year report, {report['from']:%-d %B %Y} to {report['to']:%-d %B %Y}"])
    summary.append([])
    for label, value in (
            ("Providers issued with contracts", providers["contracted"]),
            ("Application rounds", providers["rounds"]),
            ("Providers successful and waiting to be onboarded", providers["awaiting_onboarding"]),
            ("Contracted providers new to the area", providers["new_to_area"]),
            ("Sourcing requests", report["sourcing_requests"]),
            ("Packages gone live", live["total"]),
            (f"Spent to {money['spend_until']:%-d %B %Y}", money["spend_to_date"]),
            (f"Committed to {money['committed_until']:%-d %B %Y}", money["committed"])):
        summary.append([label, value])
    for line in (10, 11):
        summary.cell(row=line, column=2).number_format = MONEY_FORMAT
    summary.column_dimensions["A"].width = 55
    summary.column_dimensions["B"].width = 18

    _sheet(book, "Contracted by round", ["Round", "Providers"],
           [[row["name"], row["count"]] for row in providers["contracted_by_round"]],
           chart_title="Providers contracted, by round")
    _sheet(book, "Contracted by lot", ["Lot", "Providers"],
           [[f"Lot {row['number']}: {row['name']}", row["count"]] for row in providers["contracted_by_lot"]],
           chart_title="Providers contracted, by lot")
    _sheet(book, "Packages live", ["Lot", "Packages"],
           [[f"Lot {row['number']}: {row['name']}", row["count"]] for row in live["by_lot"]],
           chart_title="Packages gone live, by lot")
    _sheet(book, "Packages live by need", ["Lot and primary need", "Packages"],
           [[f"Lot {row['number']}: {need['label']}", need["count"]] for row in live["by_lot"]
            for need in row["by_need"]], chart_title="Packages gone live, by lot and primary need")
    _sheet(book, "Money by lot", ["Lot", "Spent", "Committed"],
           [[f"Lot {row['number']}: {row['name']}", row["spend_to_date"], row["committed"]]
            for row in money["by_lot"]], chart_title="Spend and commitment, by lot", value_columns=(2, 3),
           money_columns=(2, 3))
    _sheet(book, "Money by funder", ["Funder", "Spent", "Committed"],
           [[row["name"], row["spend_to_date"], row["committed"]] for row in money["by_funder"]],
           chart_title="Spend and commitment, by funder", value_columns=(2, 3), money_columns=(2, 3))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def year_report_html(report: dict, authority) -> str:
    """The pack as one HTML document (what the PDF is made from)."""
    return render_to_string("reports/pack.html", {"report": report, "authority": authority,
                                                  "charts": year_report_charts(report)})


def year_report_pdf(report: dict, authority) -> bytes:
    from weasyprint import HTML

    return HTML(string=year_report_html(report, authority)).write_pdf()
