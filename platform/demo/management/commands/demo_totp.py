import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import BaseCommand

from demo.seed import TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo staff accounts."

    def handle(self, *args, **options):
        counter, remaining = divmod(int(time.time()), 30)
        code = format_hotp_value(hotp_value(TOTP_SECRET, counter))
        self.stdout.write(f"{code}   (valid for {30 - remaining} more seconds; each code works once per person)")
