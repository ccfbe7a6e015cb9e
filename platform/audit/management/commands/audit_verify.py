from django.core.management.base import BaseCommand, CommandError

from audit.selectors import audit_chain_verify, audit_chains_verify


class Command(BaseCommand):
    help = "Verify the audit hash chain of every schema (or one) and name the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="Verify only this schema.")

    def handle(self, *args, schema=None, **options):
        reports = [audit_chain_verify(schema=schema)] if schema else audit_chains_verify()
        broken = [report for report in reports if not report.ok]
        for report in reports:
            if report.ok:
                self.stdout.write(f"{report.schema}: {report.events} events, chain intact")
            else:
                self.stdout.write(self.style.ERROR(
                    f"{report.schema}: BROKEN at event #{report.broken_at}: {report.problem}"
                ))
        if broken:
            raise CommandError(
                f"{len(broken)} audit chain(s) broken; first: schema {broken[0].schema}, "
                f"event #{broken[0].broken_at}"
            )
        self.stdout.write(self.style.SUCCESS(f"{len(reports)} audit chains verified."))
