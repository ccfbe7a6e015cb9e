"""An authority's front doors: one for its staff, one for providers."""

from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import MemberPageMixin, ProviderPageMixin, StaffPageMixin
from accounts.policy import can_manage_team
from audit.policy import can_read_audit
from audit.selectors import audit_events_for
from tenants.workspace import forms, provider_tasks, queue, selectors, services
from tenants.workspace.models import ALWAYS_IMMEDIATE, TaskKind
from web.pages import FormPageMixin


class LandingView(MemberPageMixin, View):
    """/a/<slug>/: staff go to their workspace, provider people to theirs."""

    def get(self, request):
        if self.access.is_staff:
            return redirect("workspace:staff-home")
        return redirect("workspace:provider-home")


class StaffHomeView(StaffPageMixin, TemplateView):
    """What needs doing, for this person's roles, soonest due first."""

    template_name = "workspace/staff_home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.authority_overview(authority=self.authority))
        context["roles"] = selectors.role_labels(self.access.staff_roles)
        context["can_manage_team"] = can_manage_team(self.access)
        tasks = queue.queue_for(access=self.access, authority=self.authority)
        self.request._jointly_queue_count = len(tasks)  # the navigation's count, without asking twice
        context["tasks"] = tasks
        context["groups"] = queue.grouped(tasks)
        context["overdue"] = sum(1 for t in tasks if t.clock.state == "overdue")
        if can_read_audit(self.access):
            context["recent_events"] = audit_events_for()[:5]
        return context


class NotificationPreferencesView(FormPageMixin, StaffPageMixin, View):
    """How this person hears about each kind of task here."""

    template_name = "workspace/notification_preferences.html"
    form_class = forms.NotificationPreferencesForm
    title = "How you hear about tasks"

    def get_form_kwargs(self) -> dict:
        return {"initial_choices": services.preferences_for(self.request.user)}

    def page_context(self) -> dict:
        return {"always": [TaskKind(k).label for k in TaskKind if k in ALWAYS_IMMEDIATE]}

    def perform(self, form):
        services.preferences_set(actor=self.request.user, choices=form.cleaned_data)
        self.success("Your choices are saved.")
        return redirect("workspace:notifications")


class ProviderHomeView(ProviderPageMixin, TemplateView):
    """What this authority is waiting for from the person's organisations,
    soonest due first, and the ways in."""

    template_name = "workspace/provider_home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.authority_overview(authority=self.authority))
        context["organisations"] = selectors.providers_named(self.access.provider_roles)
        tasks = provider_tasks.provider_tasks_for(access=self.access, authority=self.authority)
        context["tasks"] = tasks
        context["groups"] = provider_tasks.grouped(tasks)
        context["overdue"] = sum(1 for t in tasks if t.clock.state == "overdue")
        context["several"] = len(context["organisations"]) > 1
        return context
