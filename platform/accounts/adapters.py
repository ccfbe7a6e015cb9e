import base64
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return settings.ACCOUNT_ALLOW_REGISTRATION

    def _get_login_attempts_cache_key(self, request, **credentials):
        """Failed sign-ins are counted per account *and client*: a stranger's
        wrong passwords hold the stranger back, not the account's owner signing
        in from elsewhere. The client is the real one behind the proxy
        (ALLAUTH_TRUSTED_PROXY_COUNT / ALLAUTH_TRUSTED_CLIENT_IP_HEADER).
        Guarded by tests/accounts/test_signup_and_sign_in.py."""
        from allauth.core.internal.ratelimit import get_ip

        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{get_ip(request)}"

    def get_login_redirect_url(self, request):
        """Back to where the person was going, else to their account page."""
        return super().get_login_redirect_url(request)


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator secrets are stored encrypted (Fernet), not in the clear.

    New secrets are encrypted with MFA_ENCRYPTION_KEY; those encrypted under a
    key listed in MFA_ENCRYPTION_KEY_FALLBACKS still decrypt, until
    `manage.py mfa_rotate_key` has re-encrypted them all under the new key."""

    def _fernet(self) -> MultiFernet:
        keys = [settings.MFA_ENCRYPTION_KEY, *getattr(settings, "MFA_ENCRYPTION_KEY_FALLBACKS", [])]
        return MultiFernet([Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))
                            for key in keys])

    def encrypt(self, text: str) -> str:
        return self._fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return self._fernet().decrypt(encrypted_text.encode()).decode()

    def rotate(self, encrypted_text: str) -> str:
        """The same secret, encrypted under the current key."""
        return self._fernet().rotate(encrypted_text.encode()).decode()
