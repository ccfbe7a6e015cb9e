"""When the database goes away during a request.

A lost connection (the server restarted, a failover, an idle connection cut
by a proxy, `pg_terminate_backend`) or an unreachable database raises
OperationalError or InterfaceError wherever the next query runs. Then:

- a GET or HEAD that has written nothing yet is answered once more from the
  start on a fresh connection (ops.middleware.DatabaseOutageMiddleware): the
  person sees their page, not an error;
- anything else is answered 503 with Retry-After: a problem document under
  /api/, a plain page otherwise, saying whether anything may have been saved.
  Never a bare 500.
"""

from __future__ import annotations

import logging

import psycopg2
from django.db import InterfaceError, OperationalError

log = logging.getLogger("jointly.ops")

RETRY_AFTER_SECONDS = 5
NOTHING_SAVED = "We could not reach the database, so nothing was changed. Please try again in a few seconds."
MAYBE_SAVED = ("We lost the database while saving. Your change may or may not have been saved: "
               "check before you try again.")
# Statements that change nothing: a request that ran only these may be answered again.
READ_ONLY = ("SELECT", "SET", "SHOW", "BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "DECLARE",
             "FETCH", "CLOSE")


def is_outage(error: BaseException | None) -> bool:
    """The database is unreachable or the connection was lost (or is unusable)."""
    return isinstance(error, (OperationalError, InterfaceError, psycopg2.OperationalError, psycopg2.InterfaceError))


def writes(sql) -> bool:
    text = (sql.decode(errors="replace") if isinstance(sql, bytes) else str(sql)).lstrip(" (\n\t")
    first = text.split(None, 1)[0].upper() if text else ""
    return first not in READ_ONLY


class WriteWatch:
    """A connection execute-wrapper that notes whether a statement other than
    a read went to the database in this request."""

    def __init__(self):
        self.wrote = False

    def __call__(self, execute, sql, params, many, context):
        if not self.wrote and writes(sql):
            self.wrote = True
        return execute(sql, params, many, context)


def wrote_in_request() -> bool:
    """Whether this request sent anything but reads (True when unknown)."""
    from django.db import connection

    for wrapper in connection.execute_wrappers:
        if isinstance(wrapper, WriteWatch):
            return wrapper.wrote
    return True


def outage_response(request, *, wrote: bool):
    from web.middleware import wants_problem

    message = MAYBE_SAVED if wrote else NOTHING_SAVED
    if wants_problem(request):
        from api.problems import problem_response

        response = problem_response(status=503, title="Service unavailable", detail=message,
                                    instance=request.path, code="database-unavailable")
    else:
        # No context processor that reads the database: it is what failed.
        from django.http import HttpResponse
        from django.template import loader

        response = HttpResponse(loader.get_template("503.html").render({"reason": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.database_outage = True
    return response

