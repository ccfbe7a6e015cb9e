from django.conf import settings
from django.core.management.base import BaseCommand

from demo.seed import seed_demo, sign_in_guide


class Command(BaseCommand):
    help = "Build the demo region (idempotent) and print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--print-only", action="store_true", help="Only print how to sign in.")
        parser.add_argument("--no-guide", action="store_true", help="Do not print how to sign in.")

    def handle(self, *args, print_only=False, no_guide=False, **options):
        if not print_only:
            report = seed_demo()
            self.stdout.write(self.style.SUCCESS(
                f"Demo region ready ({report.created} things created; 0 means it was already there)."
            ))
        if not no_guide:
            self.stdout.write(sign_in_guide(settings.SITE_URL))
