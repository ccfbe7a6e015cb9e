import base64
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return settings.ACCOUNT_ALLOW_REGISTRATION

    def get_login_redirect_url(self, request):
        """Back to where the person was going, else to their account page."""
        return super().get_login_redirect_url(request)


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator secrets are stored encrypted (Fernet), not in the clear."""

    def _fernet(self):
        key = settings.MFA_ENCRYPTION_KEY.encode()
        digest = hashlib.sha256(key).digest()
        return Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, text: str) -> str:
        return self._fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return self._fernet().decrypt(encrypted_text.encode()).decode()
