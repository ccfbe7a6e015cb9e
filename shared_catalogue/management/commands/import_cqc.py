import contextlib
import sys
from functools import partial
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from shared_catalogue.cqc_import import cqc_ratings_import, cqc_unmatched_report_write


class Command(BaseCommand):
    help = ("Import the CQC's latest ratings (the Locations sheet of its care directory with ratings, "
            "saved as CSV) into the regional catalogue. See docs/cqc-import.md.")

    def add_arguments(self, parser):
        parser.add_argument("csv", type=Path, help="The Locations sheet saved as CSV.")
        parser.add_argument("--dry-run", action="store_true", help="Do everything, then roll it back.")
        parser.add_argument("--unmatched-report", type=Path, metavar="PATH",
                            help="Write the locations that match no catalogue provider to this CSV file.")
        parser.add_argument("--no-progress", action="store_true",
                            help="No progress bar (there is none anyway when stderr is not a terminal).")

    def handle(self, *args, csv: Path, dry_run: bool, unmatched_report: Path | None, no_progress: bool,
               **options):
        show_progress = not no_progress and sys.stderr.isatty()
        progress = partial(tqdm, desc="Reading", unit=" rows", file=sys.stderr) if show_progress else None
        with self._report_file(unmatched_report) as out:
            try:
                report = cqc_ratings_import(path=csv, dry_run=dry_run, progress=progress)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            self.stdout.write(f"CQC ratings from {csv.name}" + (" (dry run)" if dry_run else ""))
            for line in report.summary():
                self.stdout.write(line)
            if out is not None:
                written = cqc_unmatched_report_write(report=report, out=out)
                self.stdout.write(f"{written} unmatched location(s) written to {unmatched_report}")

    def _report_file(self, path: Path | None):
        """Opened before the import, so a path that cannot be written stops it before it starts."""
        if path is None:
            return contextlib.nullcontext()
        try:
            return open(path, "w", encoding="utf-8", newline="")
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror or error}.") from error
