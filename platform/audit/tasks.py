from django.db import connection

from audit.services import audit_chain_check_record
from config.celery import app


@app.task(name="audit.verify_chain")
def verify_chain_task() -> dict:
    """Verify the chain of the schema the task was sent for (tenant-aware)."""
    check = audit_chain_check_record(schema=connection.schema_name)
    return {"schema": connection.schema_name, "events": check.events, "intact": check.intact}
