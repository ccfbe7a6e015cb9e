from django.core.management.base import BaseCommand, CommandError

from audit.anchors import anchor_record
from audit.selectors import audit_chain_verify, audit_chains_verify


class Command(BaseCommand):
    help = ("Verify the audit chain of every schema (or one) against its key(s) and every anchor of "
            "its head, name the first broken link, and anchor the head of each intact chain.")

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="Verify only this schema.")
        parser.add_argument("--no-anchor", action="store_true",
                            help="Only check; do not anchor the heads of intact chains.")

    def handle(self, *args, schema=None, no_anchor=False, **options):
        reports = [audit_chain_verify(schema=schema)] if schema else audit_chains_verify()
        broken = [report for report in reports if not report.ok]
        for report in reports:
            if report.ok:
                self.stdout.write(f"{report.schema}: {report.events} events, chain intact "
                                  f"({report.anchors_checked} anchor(s) checked)")
                if not no_anchor:
                    anchor_record(report=report, source="audit_verify")
            else:
                where = f"event #{report.broken_at}" if report.broken_at is not None else "the end"
                self.stdout.write(self.style.ERROR(f"{report.schema}: BROKEN at {where}: {report.problem}"))
        if broken:
            raise CommandError(
                f"{len(broken)} audit chain(s) broken; first: schema {broken[0].schema}, "
                f"event #{broken[0].broken_at}"
            )
        self.stdout.write(self.style.SUCCESS(f"{len(reports)} audit chains verified."))
