"""CSV that a spreadsheet opens as data, never as formulas.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is run
as a formula by Excel, LibreOffice and Google Sheets when the file is opened
(CSV injection, OWASP). Names in Jointly's exports come from providers and
from imported files, so every text cell that begins so is written with a
leading apostrophe, which the spreadsheet shows as text. Numbers (int,
Decimal, float) are written as they are, so a negative amount stays a number."""

from __future__ import annotations

import csv
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(out, **kwargs) -> _SafeWriter:
    """csv.writer, with every text cell safe to open in a spreadsheet."""
    return _SafeWriter(out, **kwargs)
