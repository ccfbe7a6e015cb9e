"""The outbox's flush, on beat in every authority and in the public schema."""

from config.celery import app
from outbox import services


@app.task(name="outbox.flush", soft_time_limit=60, time_limit=90)
def flush_task() -> int:
    """Hand the broker what this schema's outbox still holds; returns how many."""
    return services.outbox_flush()
