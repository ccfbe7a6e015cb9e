from django.core.management.base import BaseCommand
from django.utils import timezone

from outbox.selectors import outbox_backlogs


class Command(BaseCommand):
    help = ("What each schema's outbox still has to send: messages past due and not sent, the oldest, and "
            "those given up after OUTBOX_MAX_ATTEMPTS (docs/operating.md, Queues and the outbox).")

    def handle(self, *args, **options):
        backlogs = outbox_backlogs()
        for backlog in backlogs:
            if not backlog.overdue:
                continue
            oldest = timezone.localtime(backlog.oldest_due)
            line = f"{backlog.schema}: {backlog.overdue} not sent, the oldest due {oldest:%Y-%m-%d %H:%M:%S %Z}"
            if backlog.given_up:
                self.stdout.write(self.style.ERROR(f"{line}; {backlog.given_up} given up"))
            else:
                self.stdout.write(line)
        waiting = sum(b.overdue for b in backlogs)
        self.stdout.write(f"{waiting} message(s) waiting in {len(backlogs)} outboxes.")
