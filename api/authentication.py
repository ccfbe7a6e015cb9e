from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication

from accounts.models import ApiToken

LAST_USED_GRANULARITY = timedelta(minutes=5)


class HashedTokenAuthentication(TokenAuthentication):
    """Personal API tokens, stored only as hashes (django-rest-knox).

    Revoked tokens no longer exist and expired ones are refused; a use is
    recorded at most every few minutes so a busy script does not write on
    every request.
    """

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token


class HashedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A personal token from "Your account > API tokens", sent as `Token <token>`.',
        }
