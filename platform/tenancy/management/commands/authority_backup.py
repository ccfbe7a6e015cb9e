from django.core.management.base import BaseCommand, CommandError

from tenancy.backup import BackupError, authority_backup


class Command(BaseCommand):
    help = ("Back up one authority into a new directory: its schema (pg_dump, as the owner role), the public "
            "rows that describe it, its audit anchors and its evidence files, with a manifest of checksums. "
            "Keys are not included.")

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The authority's slug.")
        parser.add_argument("directory", help="A new (or empty) directory to write the backup into.")

    def handle(self, *args, slug, directory, **options):
        try:
            manifest = authority_backup(slug=slug, directory=directory)
        except BackupError as error:
            raise CommandError(str(error))
        for name in manifest["evidence_missing_from_store"]:
            self.stdout.write(self.style.WARNING(f"Evidence file {name} is missing from the store: not backed up."))
        self.stdout.write(self.style.SUCCESS(
            f"Backed up {manifest['authority']['name']} (schema {manifest['authority']['schema']}, "
            f"{len(manifest['files'])} files) to {directory}, as at {manifest['snapshot_at']}."))
