"""An authority's front doors: one for its staff, one for providers."""

from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import MemberPageMixin, ProviderPageMixin, StaffPageMixin
from accounts.policy import can_manage_team
from audit.policy import can_read_audit
from audit.selectors import audit_events_for
from tenants.workspace import selectors


class LandingView(MemberPageMixin, View):
    """/a/<slug>/: staff go to their workspace, provider people to theirs."""

    def get(self, request):
        if self.access.is_staff:
            return redirect("workspace:staff-home")
        return redirect("workspace:provider-home")


class StaffHomeView(StaffPageMixin, TemplateView):
    template_name = "workspace/staff_home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.authority_overview(authority=self.authority))
        context["roles"] = selectors.role_labels(self.access.staff_roles)
        context["can_manage_team"] = can_manage_team(self.access)
        if can_read_audit(self.access):
            context["recent_events"] = audit_events_for()[:5]
        return context


class ProviderHomeView(ProviderPageMixin, TemplateView):
    template_name = "workspace/provider_home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.authority_overview(authority=self.authority))
        context["organisations"] = selectors.providers_named(self.access.provider_roles)
        return context
