from django.core.management.base import BaseCommand, CommandError

from tenancy.backup import BackupError, authority_restore


class Command(BaseCommand):
    help = ("Restore an authority from a directory written by authority_backup, under its own schema name and "
            "slug or new ones (re-homing). Checks every checksum first; refuses to overwrite anything.")

    def add_arguments(self, parser):
        parser.add_argument("directory", help="The backup's directory.")
        parser.add_argument("--schema", help="Restore into this schema name instead of the original.")
        parser.add_argument("--slug", help="Serve it under this slug instead of the original.")
        parser.add_argument("--name", help="Give it this name (names are unique).")
        parser.add_argument("--official-code", help="Give it this official code ('' for none).")

    def handle(self, *args, directory, schema=None, slug=None, name=None, official_code=None, **options):
        try:
            result = authority_restore(directory=directory, schema=schema, slug=slug, name=name,
                                       official_code=official_code)
        except BackupError as error:
            raise CommandError(str(error))
        for line in result.skipped:
            self.stdout.write(self.style.WARNING(f"Not restored: {line}"))
        self.stdout.write(f"Evidence files put back: {len(result.evidence_restored)}; "
                          f"already in the store: {len(result.evidence_present)}.")
        self.stdout.write(self.style.SUCCESS(
            f"Restored as /a/{result.slug}/ in schema {result.schema}. "
            f"Now run: manage.py audit_verify --schema {result.schema}"))
