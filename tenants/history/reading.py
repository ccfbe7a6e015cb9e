"""Reading a history file: CSV in UTF-8 (a byte-order mark tolerated), a
header row naming the columns, and cells read as plain data. Every problem
is collected with its row and column, never only the first.

- Cells are text: one that begins with `=`, `+`, `-` or `@` is never run as a
  formula; it is read as what it says (and a leading apostrophe that a
  spreadsheet or Jointly's own exports put before such a cell is dropped).
- Dates are ISO (2023-04-01) or UK (01/04/2023, 1/4/2023); history is in the
  past and not before 2000.
- Money is pounds and pence, with or without £ and thousands commas.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_CELL = 2000
EARLIEST = date(2000, 1, 1)

ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
MONEY = re.compile(r"^£?\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?$")
NUMBER = re.compile(r"^\d+(\.\d{1,2})?$")
ESCAPED_FORMULA = re.compile(r"^'[=+\-@]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: the row (the header is row 1), the
    column (blank for the file or the row as a whole) and what to do."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


@dataclass
class Row:
    number: int
    cells: dict[str, str]
    raw: list[str]


class Cells:
    """One row's cells, read into values; problems are added to `problems`."""

    def __init__(self, row: Row, problems: list[Problem]):
        self.row = row
        self.problems = problems

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.row.number, column, message))

    def text(self, column: str, *, required: bool = False, max_length: int = 200) -> str:
        value = self.row.cells.get(column, "")
        if not value:
            if required:
                self.problem(column, f"Enter the {column.replace('_', ' ')}: it is required.")
            return ""
        if len(value) > max_length:
            self.problem(column, f"At most {max_length} characters (this has {len(value)}).")
            return ""
        return value

    def date(self, column: str, *, required: bool = False) -> date | None:
        value = self.text(column, required=required, max_length=20)
        if not value:
            return None
        found = ISO_DATE.match(value)
        parts = (found.group(1), found.group(2), found.group(3)) if found else None
        if parts is None and (found := UK_DATE.match(value)):
            parts = (found.group(3), found.group(2), found.group(1))
        day = None
        if parts:
            try:
                day = date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                day = None
        if day is None:
            self.problem(column, f"“{value}” is not a date: write it as 2023-04-01 or 01/04/2023.")
            return None
        if day > timezone.localdate():
            self.problem(column, f"{day:%-d %B %Y} is in the future: history can only hold what has happened.")
            return None
        if day < EARLIEST:
            self.problem(column, f"{day:%-d %B %Y} is before 2000: records that old are not imported.")
            return None
        return day

    def money(self, column: str, *, required: bool = False) -> Decimal | None:
        value = self.text(column, required=required, max_length=20)
        if not value:
            return None
        found = MONEY.match(value.replace(" ", ""))
        if not found:
            self.problem(column, f"“{value}” is not an amount: write pounds and pence, like 425.50 or £1,234.50.")
            return None
        amount = Decimal(found.group(1).replace(",", "") + (found.group(2) or ""))
        if amount <= 0 or amount >= Decimal("100000000"):
            self.problem(column, f"“{value}” is not a weekly amount this service can hold: more than £0, less than "
                                 "£100,000,000.")
            return None
        return amount

    def quantity(self, column: str) -> Decimal | None:
        value = self.text(column, max_length=12)
        if not value:
            return None
        try:
            amount = Decimal(value) if NUMBER.match(value) else None
        except InvalidOperation:
            amount = None
        if amount is None or amount <= 0 or amount >= Decimal("1000"):
            self.problem(column, f"“{value}” is not a number of units a week: write a number above 0 and below "
                                 "1,000, like 20 or 12.5.")
            return None
        return amount

    def choice(self, column: str, choices, *, required: bool = False) -> str:
        """A value of `choices` (a TextChoices), by its code or its label, in any case."""
        value = self.text(column, required=required, max_length=100)
        if not value:
            return ""
        wanted = _key(value)
        for code, label in choices.choices:
            if wanted in (_key(code), _key(str(label))):
                return code
        allowed = ", ".join(code for code, _ in choices.choices)
        self.problem(column, f"“{value}” is not one of: {allowed}.")
        return ""

    def listed(self, column: str, *, required: bool = False) -> list[str]:
        """A list written with semicolons (or commas): “1; 2; 3”."""
        value = self.text(column, required=required, max_length=500)
        return [part.strip() for part in re.split(r"[;,]", value) if part.strip()]


def _key(text: str) -> str:
    return re.sub(r"[\s_\-:]+", " ", text.strip().lower())


def _clean(cell: str) -> str:
    cell = cell.strip()
    if ESCAPED_FORMULA.match(cell):
        cell = cell[1:]
    return cell


def read(data: bytes, columns: tuple[Column, ...]) -> tuple[list[Row], list[Problem]]:
    """The file's data rows, and every problem with its shape. Rows with a
    problem of shape (too many cells) are left out of the rows."""
    problems: list[Problem] = []
    if len(data) > MAX_BYTES:
        return [], [Problem(0, "", f"The file is {len(data) / (1024 * 1024):.1f} MB: it can be at most "
                                   f"{MAX_BYTES // (1024 * 1024)} MB. Split it into smaller files.")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [], [Problem(0, "", f"The file is not UTF-8 text (a byte at position {error.start} is not): save "
                                   "it from your spreadsheet as “CSV UTF-8”.")]
    if "\x00" in text:
        return [], [Problem(0, "", "The file holds NUL characters: it is not a CSV file.")]
    if not text.strip():
        return [], [Problem(0, "", "The file is empty: it needs a header row and at least one row of data.")]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [_clean(name).lower() for name in next(reader)]
        records = list(reader)
    except csv.Error as error:
        return [], [Problem(0, "", f"The file is not readable as CSV ({error}).")]
    known = {c.name for c in columns}
    seen: set[str] = set()
    for name in header:
        if not name:
            continue
        if name in seen:
            problems.append(Problem(1, name, f"The column “{name}” appears twice in the header."))
        elif name not in known:
            problems.append(Problem(1, name, f"“{name}” is not a column of this kind of file. Its columns: "
                                             f"{', '.join(c.name for c in columns)}."))
        seen.add(name)
    for column in columns:
        if column.required and column.name not in seen:
            problems.append(Problem(1, column.name, f"The header has no “{column.name}” column, which is required "
                                                    f"({column.help})."))
    if problems:
        return [], problems
    rows = []
    for number, record in enumerate(records, start=2):
        cells = [_clean(cell) for cell in record]
        if not any(cells):
            continue
        if len(cells) > len(header) and any(cells[len(header):]):
            problems.append(Problem(number, "", f"This row has {len(cells)} cells but the header names "
                                                f"{len(header)} columns."))
            continue
        if any(len(cell) > MAX_CELL for cell in cells):
            problems.append(Problem(number, "", f"A cell is longer than {MAX_CELL} characters."))
            continue
        rows.append(Row(number, {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header) if name},
                        cells))
    if not rows and not problems:
        problems.append(Problem(0, "", "The file has a header but no rows of data."))
    if len(rows) > MAX_ROWS:
        return [], [Problem(0, "", f"The file has {len(rows)} rows: at most {MAX_ROWS} are imported at once. Split "
                                   "it into smaller files.")]
    return rows, problems
