"""Numbers typed by people or sent by programs, read once and read safely.

`Decimal("NaN")`, `Decimal("Infinity")` and `Decimal("1e999")` are all
valid Python, and each one breaks later: a comparison with NaN raises, a
quantize of 1e999 overflows, a NUMERIC column refuses it. Every amount, rate,
share or score that arrives as text goes through `decimal_or_none`, which
refuses anything that is not an ordinary finite number.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# No amount, rate, share or score in the service needs more than this many
# digits before or after the point; beyond it, arithmetic can overflow.
MAX_MAGNITUDE = 15


def decimal_or_none(raw) -> Decimal | None:
    """The number in `raw` (text, int or Decimal), None when blank.

    Raises ValueError for anything else: words, NaN (quiet or signalling),
    infinities and numbers too large or too small to be an amount."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError("not a number")
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValueError("not a number") from None
    if not value.is_finite():
        raise ValueError("not a finite number")
    if value and not -MAX_MAGNITUDE <= value.adjusted() <= MAX_MAGNITUDE:
        raise ValueError("out of range")
    return value
