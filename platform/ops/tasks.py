from config.celery import app
from ops.heartbeat import heartbeat_record


@app.task(name="ops.beat_heartbeat", ignore_result=True)
def beat_heartbeat_task() -> None:
    """Beat is alive (ops.heartbeat); sent to the public schema only."""
    heartbeat_record()
