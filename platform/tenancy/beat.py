"""Celery beat's scheduler: tenant-aware, and it survives a lost database connection.

tenant-schemas-celery's scheduler reads the authorities from the database
each time an entry is due. Beat holds one connection for its whole life and,
outside a request, nothing closes a broken one, so the first terminated
connection raised out of `tick()` and stopped beat for good (and with it the
closing sweep and the nightly checks).

Here a database error while an entry is applied closes the broken connection
and tries once more on a fresh one (a lost connection costs nothing). If the
database still fails, the entry is skipped with a warning on `jointly.ops` and
beat carries on: the entry runs again when it is next due.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from django.db import DatabaseError, InterfaceError, connection
from tenant_schemas_celery.scheduler import TenantAwareScheduler

log = logging.getLogger("jointly.ops")

DATABASE_ERRORS = (DatabaseError, InterfaceError)


def _drop_connection() -> None:
    """Close the connection, broken or not; the next query opens a new one."""
    with suppress(*DATABASE_ERRORS):
        connection.close()


class ResilientTenantAwareScheduler(TenantAwareScheduler):
    def apply_entry(self, entry, producer=None):
        # The tenants are read before anything is sent (sending errors are
        # caught per tenant by the parent), so a second attempt sends nothing twice.
        for attempt in (1, 2):
            try:
                return super().apply_entry(entry, producer=producer)
            except DATABASE_ERRORS as error:
                _drop_connection()
                if attempt == 1:
                    log.warning("Beat lost its database connection sending %s (%s); reconnecting.",
                                entry.name, str(error).strip())
                else:
                    log.warning("Beat could not read the authorities to send %s (%s); skipped, it runs "
                                "again when next due.", entry.name, str(error).strip())
        return None
