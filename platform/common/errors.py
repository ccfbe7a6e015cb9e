"""Errors a service raises when a request cannot be carried out as asked.

Both are ValidationErrors, so a form shows them against its fields; the API
turns Invalid into 400 and Conflict into 409 (api.problems).
"""

from django.core.exceptions import PermissionDenied, ValidationError


class Invalid(ValidationError):
    """What was asked for is not acceptable as it stands: fix the input."""

    status = 400


class Conflict(ValidationError):
    """What was asked for clashes with the current state of things."""

    status = 409


def require(allowed: bool, message: str) -> None:
    """Refuse (403) with the message unless the person may do this."""
    if not allowed:
        raise PermissionDenied(message)
