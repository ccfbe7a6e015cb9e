from django.db import connection

from audit.services import audit_chain_anchor, audit_chain_check_record
from config.celery import app


@app.task(name="audit.verify_chain", soft_time_limit=30 * 60, time_limit=31 * 60)
def verify_chain_task() -> dict:
    """Verify the chain of the schema the task was sent for (tenant-aware)."""
    check = audit_chain_check_record(schema=connection.schema_name)
    return {"schema": connection.schema_name, "events": check.events, "intact": check.intact}


@app.task(name="audit.anchor_chain")
def anchor_chain_task() -> dict:
    """Anchor the head of the chain of the schema the task was sent for."""
    head = audit_chain_anchor(schema=connection.schema_name, source="periodic")
    return {"schema": head.schema, "events": head.events, "last_id": head.last_id}
