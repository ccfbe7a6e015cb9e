"""Re-encrypt every authenticator secret under the current MFA_ENCRYPTION_KEY."""

from django.core.management.base import BaseCommand

from accounts.services import mfa_secrets_rotate


class Command(BaseCommand):
    help = ("Re-encrypt authenticator secrets under MFA_ENCRYPTION_KEY. Run after putting the old key in "
            "MFA_ENCRYPTION_KEY_FALLBACKS; then the old key can be removed.")

    def handle(self, *args, **options):
        count = mfa_secrets_rotate(actor=None)
        self.stdout.write(f"Re-encrypted {count} authenticator(s) under the current key.")
