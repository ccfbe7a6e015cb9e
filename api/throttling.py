"""Throttles (DRF's), answering 429 with Retry-After and a problem document.

- `token`: every request authenticated by an API token, per person (a script
  with a stolen or runaway token slows down; the person's own session does not).
- `bid_submit`: bid submission, per person (api/v1/provider_calloffs.py).
- `directory`: the public directory API, per client address.

Rates come from settings.API_THROTTLE_RATES (read at each request, so they can
be set from the environment and lowered in tests). The client's address is the
real one behind the proxy, worked out as the sign-in limits do (allauth's
ALLAUTH_TRUSTED_PROXY_COUNT / ALLAUTH_TRUSTED_CLIENT_IP_HEADER). Counts live in
the cache (Redis); if it is down, requests are let through and a warning
logged: throttling is a guard against abuse, not a rule the service depends on.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import caches
from redis.exceptions import RedisError
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

log = logging.getLogger("jointly.security")


class CacheFailsOpen(SimpleRateThrottle):
    cache = caches["throttle"]  # one count across every schema (config.settings)

    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        from allauth.core.internal.ratelimit import get_ip
        from django.core.exceptions import ImproperlyConfigured, PermissionDenied

        django_request = getattr(request, "_request", request)
        try:
            return get_ip(django_request)
        except (ImproperlyConfigured, PermissionDenied):  # a header the proxy settings do not expect
            return django_request.META.get("REMOTE_ADDR", "")

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as error:
            log.warning("Throttle %s not applied: the cache is unavailable (%s)", self.scope, error)
            return True


class TokenRateThrottle(CacheFailsOpen):
    """Every token-authenticated request, per person."""

    scope = "token"

    def get_cache_key(self, request, view):
        from knox.auth import TokenAuthentication

        if not isinstance(getattr(request, "successful_authenticator", None), TokenAuthentication):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ViewScopeThrottle(CacheFailsOpen, ScopedRateThrottle):
    """The rate named by the view's `throttle_scope`, per person when signed
    in, else per client address. Views without a scope are not throttled."""

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return CacheFailsOpen.allow_request(self, request, view)
