import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from accounts.policy import Audience, Outcome, access_for, decide
from tenancy.routing import public_reverse

security_log = logging.getLogger("jointly.security")


def view_audience(view_func):
    """The audience a view declares: on its class, or on the function itself."""
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    return getattr(view_class or view_func, "audience", None), view_class


class TenantAccessMiddleware:
    """Refuses every request inside an authority that its audience does not allow.

    Pages are decided here. API views are decided by DRF after it has
    authenticated the request (api.permissions.TenantAudience), so here we only
    make sure an API view is one of ours, which cannot skip that check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.is_platform:
            return None
        audience, view_class = view_audience(view_func)
        from rest_framework.views import APIView

        if view_class is not None and issubclass(view_class, APIView):
            from api.base import TenantAPIMixin

            if issubclass(view_class, TenantAPIMixin):
                return None
            security_log.error("API view %s in a tenant is not a TenantAPIMixin", view_class)
            raise PermissionDenied("This endpoint is not available here.")
        if not isinstance(audience, Audience):
            security_log.error("view %r in a tenant declares no audience", view_func)
            raise PermissionDenied("This page is not available here.")
        decision = decide(access_for(request), audience)
        if decision.outcome is Outcome.ALLOW:
            return None
        if decision.outcome is Outcome.SIGN_IN:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{public_reverse('account_login')}?{query}")
        if decision.outcome is Outcome.SET_UP_MFA:
            messages.warning(request, decision.reason)
            request.session["jointly_after_mfa"] = request.get_full_path()
            return redirect(public_reverse("mfa_activate_totp"))
        security_log.warning(
            "refused user=%s authority=%s path=%s: %s",
            getattr(request.user, "pk", None), tenant.schema_name, request.path, decision.reason,
        )
        raise PermissionDenied(decision.reason)
