"""A task's id and name on every log line it writes, and Celery's logging
left to ours (settings.LOGGING) instead of its own plain format.

The authority comes from the connection's schema, which tenant-schemas-celery
sets before the task runs (ops.context)."""

from __future__ import annotations

from celery import signals

from ops import context

_tokens: dict[str, object] = {}


@signals.setup_logging.connect(weak=False)
def _keep_django_logging(**kwargs):
    """Connected, so Celery does not replace the root handler: Django has
    already applied settings.LOGGING when the worker or beat loaded it."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.task_prerun.connect(weak=False)
def _task_started(task_id=None, task=None, **kwargs):
    _tokens[task_id] = context.task.set((task_id or "", getattr(task, "name", "") or ""))


@signals.task_postrun.connect(weak=False)
def _task_finished(task_id=None, **kwargs):
    token = _tokens.pop(task_id, None)
    if token is not None:
        context.task.reset(token)
    else:
        context.task.set(None)
