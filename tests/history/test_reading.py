"""Reading a history file's cells: dates in ISO and UK forms, money with or
without £ and commas, formula-looking cells as data. No database needed."""

from datetime import date
from decimal import Decimal

from tenants.history.reading import Cells, Column, Row, read

COLUMNS = (Column("a", True, "a"), Column("b", False, "b"))


def cells(**values) -> tuple[Cells, list]:
    problems = []
    return Cells(Row(2, values, list(values.values())), problems), problems


def test_dates_in_iso_and_uk_forms_and_only_real_past_ones():
    got, problems = cells(a="2023-04-01", b="1/4/2023")
    assert got.date("a") == got.date("b") == date(2023, 4, 1) and not problems
    for bad, says in (("31/02/2023", "not a date"), ("2023/04/01", "not a date"), ("04-01-2023", "not a date"),
                      ("01/01/1999", "before 2000"), ("01/01/2999", "in the future")):
        got, problems = cells(a=bad)
        assert got.date("a") is None and says in problems[0].message, bad


def test_money_with_or_without_pounds_and_commas():
    for typed, amount in (("1250", "1250"), ("£1,250.50", "1250.50"), ("£ 99.5", "99.5"), ("12,345,678", "12345678")):
        got, problems = cells(a=typed)
        assert got.money("a") == Decimal(amount) and not problems, typed
    for bad in ("=1+1", "-5", "0", "1,25", "12.345", "NaN", "1e9", "£"):
        got, problems = cells(a=bad)
        assert got.money("a") is None and problems, bad


def test_formula_looking_cells_are_data_and_an_export_s_apostrophe_is_dropped():
    rows, problems = read(b"a,b\n'=SUM(A1:A9),=HYPERLINK(\"x\")\n", COLUMNS)
    assert not problems and rows[0].cells == {"a": "=SUM(A1:A9)", "b": '=HYPERLINK("x")'}


def test_a_byte_order_mark_blank_rows_and_short_rows_are_fine_and_long_rows_are_not():
    rows, problems = read("\ufeffA,B\nx\n\n,\ny,z,extra\n".encode(), COLUMNS)
    assert [r.cells for r in rows] == [{"a": "x", "b": ""}]
    assert [(p.row, p.message[:13]) for p in problems] == [(5, "This row has ")]
