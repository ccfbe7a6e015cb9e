"""The one base every API view inside an authority extends.

It puts TenantAudience first in the permission checks, so a view's declared
audience is enforced after DRF has authenticated the request (by session or
token) and before the view runs. Subclasses cannot remove it: overriding the
methods that would skip it is refused when the class is defined, and
TenantAccessMiddleware refuses any API view inside an authority that does
not extend this base.
"""

from rest_framework import exceptions, permissions

from accounts.policy import Audience, Outcome, TenantAccess, access_for, decide
from api.problems import MfaRequired

_SEALED = ("get_permissions", "check_permissions", "initial", "permission_denied")


class TenantAudience(permissions.BasePermission):
    def has_permission(self, request, view):
        audience = getattr(view, "audience", None)
        if not isinstance(audience, Audience):
            raise exceptions.PermissionDenied("This endpoint declares no audience.")
        decision = decide(access_for(request), audience)
        if decision.outcome is Outcome.ALLOW:
            return True
        if decision.outcome is Outcome.SIGN_IN:
            raise exceptions.NotAuthenticated()
        if decision.outcome is Outcome.SET_UP_MFA:
            raise MfaRequired(decision.reason)
        raise exceptions.PermissionDenied(decision.reason)


class TenantAPIMixin:
    audience: Audience

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        overridden = [name for name in _SEALED if name in cls.__dict__]
        if overridden and not getattr(cls, "dangerously_overrides_access", False):
            raise TypeError(f"{cls.__name__} may not override {', '.join(overridden)}: "
                            "tenant access is decided by TenantAPIMixin.")

    def get_permissions(self):
        return [TenantAudience(), *super().get_permissions()]

    @property
    def access(self) -> TenantAccess:
        return access_for(self.request)

    @property
    def authority(self):
        return self.request._request.tenant
