"""The e-mail backend that counts what the mail server took and refused.

settings.EMAIL_BACKEND is this class; it sends through EMAIL_DELIVERY_BACKEND
(what the EMAIL_BACKEND environment variable names: SMTP in production) and
adds to the Redis-held counters that /metrics reports (ops.metrics)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

from ops import metrics

log = logging.getLogger("jointly.ops")


class CountingEmailBackend(BaseEmailBackend):
    def __init__(self, fail_silently=False, **kwargs):
        super().__init__(fail_silently=fail_silently)
        self.delivery = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=fail_silently, **kwargs)

    def open(self):
        return self.delivery.open()

    def close(self):
        return self.delivery.close()

    def send_messages(self, email_messages):
        messages = list(email_messages)
        if not messages:
            return 0
        try:
            sent = self.delivery.send_messages(messages) or 0
        except Exception as error:
            metrics.count_email(metrics.EMAILS_FAILED, len(messages))
            log.error("E-mail not sent: %d message(s) refused (%s)", len(messages), type(error).__name__)
            raise
        if sent:
            metrics.count_email(metrics.EMAILS_SENT, sent)
        if sent < len(messages):
            metrics.count_email(metrics.EMAILS_FAILED, len(messages) - sent)
            log.error("E-mail not sent: %d of %d message(s) refused", len(messages) - sent, len(messages))
        return sent
