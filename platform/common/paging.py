"""Page numbers from a query string, read the same way by pages and the API.

A page that is not a whole number of 1 or more is a bad request (400); a page
beyond the last one is not found (404), and the answer says how many there are.
"""

BAD_PAGE = "A page number is a whole number, 1 or more."


def page_number(value) -> int | None:
    """The page asked for (1 when none is), or None when it is not a page number."""
    if value in (None, ""):
        return 1
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None


def missing_page(number: int, num_pages: int) -> str:
    return (f"There is no page {number} of these results: they fill {num_pages} "
            f"page{'' if num_pages == 1 else 's'}.")
