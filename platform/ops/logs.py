"""Log lines that say where they came from, as JSON or as plain text.

Every line, whoever writes it (our code, Django, Celery, gunicorn's error
log), passes `ContextFilter`, which adds the request id, the authority and
its schema, the signed-in person's id and, in a task, the task's id and name.
`LOG_FORMAT=json` (the production default) writes one JSON object a line
(python-json-logger); `plain` (development and tests) writes the same fields
as text. Nothing here imports Django settings, so gunicorn's config can use it.
"""

from __future__ import annotations

import logging

from ops import context

FIELDS = ("request_id", "authority", "schema", "user_id", "task_id", "task_name")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.request_id.get()
        record.authority, record.schema = context.authority()
        record.user_id = context.user_id()
        task = context.task.get()
        record.task_id, record.task_name = task if task else ("", "")
        return True


class PlainFormatter(logging.Formatter):
    """Text for people: the message, then whatever context the line has."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{field}={value}" for field in FIELDS
                         if (value := getattr(record, field, None)) not in (None, ""))
        return f"{line} [{extra}]" if extra else line


def logging_config(*, fmt: str = "json", level: str = "INFO") -> dict:
    """A dictConfig for web, worker and beat alike."""
    json_format = " ".join(f"%({name})s" for name in ("levelname", "name", "message", *FIELDS))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "ops.logs.ContextFilter"}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": json_format,
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",  # ISO 8601, UTC
            },
            "plain": {"()": "ops.logs.PlainFormatter",
                      "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json" if fmt == "json" else "plain",
                        "filters": ["context"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own console and mail handlers go: every line goes through ours.
            "django": {"handlers": [], "propagate": True, "level": level},
            "django.db.backends": {"level": "WARNING"},
            "jointly.security": {"level": "INFO"},
            # gunicorn's own lines go through the root handler: one format. Its
            # access log is replaced by jointly.request's line, which has the request id.
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": False},
            # Probes log their own failures; the library's per-check warnings
            # repeat them with a traceback every few seconds.
            "health_check": {"level": "ERROR"},
        },
    }
