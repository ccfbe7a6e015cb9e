from urllib.parse import urlencode

from django.contrib import admin
from django.shortcuts import redirect

from tenancy.routing import public_reverse


class JointlyAdminSite(admin.AdminSite):
    """The platform operators' admin. Sign-in goes through allauth, so the
    two-factor step cannot be skipped, and an operator without an
    authenticator app is not let in."""

    site_header = "Jointly platform administration"
    site_title = "Jointly admin"
    index_title = "Authorities, people and providers"

    def has_permission(self, request):
        from accounts.policy import mfa_enabled

        user = request.user
        return bool(user.is_active and user.is_staff and mfa_enabled(user))

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next") or public_reverse("admin:index")
        if request.user.is_authenticated and request.user.is_staff:
            from django.contrib import messages

            messages.warning(request, "Set up two-factor authentication before you use the admin.")
            return redirect(public_reverse("mfa_activate_totp"))
        return redirect(f"{public_reverse('account_login')}?{urlencode({'next': next_url})}")
