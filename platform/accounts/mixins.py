"""Base classes for pages inside an authority. Each declares its audience,
which TenantAccessMiddleware enforces before the view runs; the view then
narrows further with the policy's capability checks."""

from django.core.exceptions import PermissionDenied
from django.utils.functional import cached_property

from accounts.policy import Audience, TenantAccess, access_for


class TenantPageMixin:
    audience: Audience

    @cached_property
    def access(self) -> TenantAccess:
        return access_for(self.request)

    @property
    def authority(self):
        return self.request.tenant

    def require(self, allowed: bool, reason: str) -> None:
        if not allowed:
            raise PermissionDenied(reason)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["access"] = self.access
        return context


class StaffPageMixin(TenantPageMixin):
    audience = Audience.STAFF


class ProviderPageMixin(TenantPageMixin):
    audience = Audience.PROVIDER


class MemberPageMixin(TenantPageMixin):
    audience = Audience.MEMBER
