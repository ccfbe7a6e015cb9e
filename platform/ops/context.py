"""What every log line, error report and metric says about where it came from.

One request or one task at a time per thread (or per worker process), kept in
context variables: the request id, the request itself (for its user, read
only once something else has loaded it) and, in a task, its id and name. The
authority is read from the database connection, which the tenancy middleware
and tenant-schemas-celery point at the authority's schema: one source for
requests and tasks alike, and no query.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("jointly_request_id", default="")
current_request: ContextVar = ContextVar("jointly_request", default=None)
task: ContextVar[tuple[str, str] | None] = ContextVar("jointly_task", default=None)

# An incoming X-Request-ID is kept if it looks like an id (a UUID, a load
# balancer's trace id): no spaces, quotes or control characters, which could
# forge or break a log line, and not too long.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")


def request_id_from(header: str | None) -> str:
    """The caller's request id if well formed, otherwise a new one."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return uuid.uuid4().hex


def authority() -> tuple[str, str]:
    """(authority, schema) of the current connection: the slug where the
    connection holds an authority, else the schema name; ("", "") outside Django."""
    try:
        from django.db import connection

        schema = getattr(connection, "schema_name", "") or ""
        tenant = getattr(connection, "tenant", None)
    except Exception:  # logging must never fail for want of a database
        return "", ""
    slug = getattr(tenant, "slug", "") or ""
    if getattr(tenant, "schema_name", schema) != schema:
        slug = ""
    return slug or schema, schema


def user_id() -> int | None:
    """The signed-in person's id, if this request has already loaded them.

    Never loads the user itself (a log line must not cost a query): Django's
    lazy user is read only once evaluated; DRF puts its authenticated user on
    the request directly."""
    request = current_request.get()
    if request is None:
        return None
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    from django.utils.functional import empty

    if wrapped is empty:
        return None
    return getattr(wrapped, "pk", None)
