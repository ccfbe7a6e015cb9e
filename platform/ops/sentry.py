"""Error reports to Sentry (sentry-sdk), only when SENTRY_DSN is set.

No personal data leaves: send_default_pii is off (its default) (no user, cookies, client
address or headers that identify someone), request bodies are never sent,
and before_send drops what remains of the request but its method and path
and tags the event with the authority (its schema) and the request id, so
a report can be matched to its log lines.
"""

from __future__ import annotations

KEPT_REQUEST_KEYS = ("method", "url")


def before_send(event, hint):
    from ops import context

    request = event.get("request")
    if request:
        event["request"] = {key: request[key] for key in KEPT_REQUEST_KEYS if key in request}
    event.pop("user", None)
    tags = event.setdefault("tags", {})
    authority, schema = context.authority()
    if authority:
        tags["authority"] = authority
    if context.request_id.get():
        tags["request_id"] = context.request_id.get()
    task = context.task.get()
    if task:
        tags["task_id"], tags["task_name"] = task
    return event


def sentry_init(*, dsn: str, environment: str, release: str = "", traces_sample_rate: float = 0.0,
                transport=None) -> bool:
    """Start reporting; False (and nothing started) without a DSN."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    options = {}
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # send_default_pii stays at its default, off: no user, cookies, client
        # address or identifying headers. (sentry-sdk 2.7x warns when it is passed.)
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,
        **options,
    )
    return True
