"""Mail on a developer's machine: one `.eml` file per message.

Django's file backend appends every message a connection sends to one `.log`
file; this one writes each message to a file of its own, as RFC 822 (the
`.eml` that any mail program opens), named by when it was sent, to whom and
its subject: `var/mail/20261201-071502-123456-alice-example.org-your-tasks.eml`.
Each file is written under a hidden name and renamed when complete, so a
reader never sees half a message. `make run` uses it (settings: development)."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend
from django.utils import timezone


def _slug(text: str, limit: int) -> str:
    return re.sub(r"[^a-z0-9@.]+", "-", text.lower()).strip("-.")[:limit].strip("-.") or "message"


class EmlFileBackend(EmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = Path(self.file_path)
        sent = 0
        for message in email_messages or []:
            if not message.recipients():
                continue
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S-%f")
            to = _slug(message.recipients()[0].replace("@", "-at-"), 40)
            name = f"{stamp}-{to}-{_slug(message.subject or '', 50)}-{uuid.uuid4().hex[:6]}.eml"
            data = message.message().as_bytes(linesep="\n")
            partial = folder / f".{name}.part"
            partial.write_bytes(data)
            os.replace(partial, folder / name)
            sent += 1
        return sent
