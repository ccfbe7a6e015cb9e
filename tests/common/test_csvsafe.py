"""Exports open in a spreadsheet as data: a name that begins like a formula
(a provider can call itself anything) is written as text, never run."""

import csv
import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from common import csvsafe
from tenants.calloffs.selectors import utilisation_csv


def test_text_that_a_spreadsheet_would_run_is_written_as_text_and_numbers_stay_numbers():
    out = io.StringIO()
    csvsafe.writer(out).writerow(['=HYPERLINK("http://evil.example","Click")', "+44 1234", "-2+3", "@SUM(A1)",
                                  "\tTabbed", "Hilltop Home Care", Decimal("-12.50"), -3, 4.5, ""])
    [row] = list(csv.reader(io.StringIO(out.getvalue())))
    assert row == ["'=HYPERLINK(\"http://evil.example\",\"Click\")", "'+44 1234", "'-2+3", "'@SUM(A1)",
                   "'\tTabbed", "Hilltop Home Care", "-12.50", "-3", "4.5", ""]


def test_the_utilisation_export_writes_a_formula_like_lot_title_as_text():
    lot = SimpleNamespace(agreement=SimpleNamespace(reference="CEC-DO-FPS"), number="1", title="=1+1 Day care")
    body = utilisation_csv([{"month": date(2026, 4, 1), "lot": lot, "requests": 3, "published": 3, "bids": 5,
                             "awards": 2, "live": 1}])
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1] == ["2026-04", "CEC-DO-FPS", "1", "'=1+1 Day care", "3", "3", "5", "2", "1"]
