"""Two writers appending at once still make one chain."""

import threading

import pytest
from django.db import connections
from django_tenants.utils import schema_context

from audit.selectors import audit_chain_verify
from audit.services import audit_record


@pytest.mark.committed
def test_concurrent_writers_keep_one_chain(committed_db, region):
    errors = []

    def write(n):
        try:
            with schema_context("alpha"):
                for i in range(n):
                    audit_record(actor=None, action="test.concurrent", obj=("test.thing", i))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(15,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit_chain_verify(schema="alpha")
    assert report.ok, report.problem
