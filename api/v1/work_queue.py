"""The staff work queue and how each person hears about it:
/a/<slug>/api/v1/work-queue/ and /a/<slug>/api/v1/notification-preferences/;
and what the authority is waiting for from a provider's people:
/a/<slug>/api/v1/provider/tasks/."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience
from api.base import TenantAPIMixin
from api.filters import FilteredList
from tenants.workspace import provider_tasks, queue, services
from tenants.workspace.models import ALWAYS_IMMEDIATE, Delivery, TaskKind

CLOCK_STATES = [("none", "No deadline"), ("on_track", "On track"), ("due_soon", "Due soon"),
                ("due_today", "Due today"), ("overdue", "Overdue")]
IMMEDIATE_ONLY = [(Delivery.IMMEDIATE.value, Delivery.IMMEDIATE.label)]


class ClockOut(serializers.Serializer):
    """When a task or item is due, and its clock, as the home pages show it."""

    due_on = serializers.DateField(allow_null=True)
    working_days_left = serializers.IntegerField(
        source="clock.working_days_left", allow_null=True,
        help_text="Working days (England and Wales) until it is due; negative when overdue.")
    state = serializers.ChoiceField(source="clock.state", choices=CLOCK_STATES)
    clock = serializers.CharField(source="clock.label", help_text="The clock in words, as the home page shows it.")
    since = serializers.DateTimeField(allow_null=True, help_text="When it began, where that is known.")


class TaskOut(ClockOut):
    kind = serializers.ChoiceField(choices=TaskKind.choices)
    kind_label = serializers.CharField()
    key = serializers.CharField(help_text="The task: the same task keeps the same key.")
    title = serializers.CharField()
    detail = serializers.CharField()
    path = serializers.CharField(help_text="The page where it is done, on this site.")


class WorkQueueOut(serializers.Serializer):
    count = serializers.IntegerField()
    overdue = serializers.IntegerField()
    tasks = TaskOut(many=True)


class WorkQueueView(TenantAPIMixin, APIView):
    audience = Audience.STAFF

    @extend_schema(responses=WorkQueueOut, summary="Your tasks here, soonest due first",
                   description="What needs doing for your roles in this authority, each task with its clock. "
                               "Not paged: it is what is open now.")
    def get(self, request):
        tasks = queue.queue_for(access=self.access, authority=self.authority)
        return Response(WorkQueueOut({"count": len(tasks), "tasks": tasks,
                                      "overdue": sum(1 for t in tasks if t.clock.state == "overdue")}).data)


class PreferenceOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TaskKind.choices)
    label = serializers.CharField()
    delivery = serializers.ChoiceField(choices=Delivery.choices)
    always_immediate = serializers.BooleanField(help_text="Always e-mailed straight away; cannot be changed.")


class PreferencesIn(serializers.Serializer):
    """One optional field per kind of task; kinds left out stay as they are."""

    def get_fields(self):
        return {kind.value: serializers.ChoiceField(
            choices=IMMEDIATE_ONLY if kind in ALWAYS_IMMEDIATE else Delivery.choices, required=False,
            help_text=kind.label + (" (always e-mailed straight away)" if kind in ALWAYS_IMMEDIATE else ""))
            for kind in TaskKind}


def _preferences_out(choices: dict[str, str]) -> list:
    return PreferenceOut([{"kind": k, "label": TaskKind(k).label, "delivery": d,
                           "always_immediate": k in ALWAYS_IMMEDIATE} for k, d in choices.items()], many=True).data


class NotificationPreferencesView(FilteredList, TenantAPIMixin, APIView):
    audience = Audience.STAFF

    @extend_schema(responses=PreferenceOut(many=True), summary="How you hear about each kind of task here")
    def get(self, request):
        self.list_filters()
        return Response(_preferences_out(services.preferences_for(request.user)))

    @extend_schema(request=PreferencesIn, responses=PreferenceOut(many=True),
                   summary="Choose, per kind of task, an e-mail straight away or the daily digest")
    def put(self, request):
        data = PreferencesIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_preferences_out(services.preferences_set(actor=request.user, choices=data.validated_data)))


# --- What the authority is waiting for from a provider's people -------------------------------

class ProviderTaskOut(ClockOut):
    kind = serializers.ChoiceField(choices=provider_tasks.ProviderTaskKind.choices)
    kind_label = serializers.CharField()
    key = serializers.CharField(help_text="The item: the same item keeps the same key.")
    title = serializers.CharField()
    detail = serializers.CharField()
    path = serializers.CharField(help_text="The page where it is done on this site (or, when your role there does "
                                           "not let you do it, where you can read it).")
    provider = serializers.IntegerField(source="provider_id", help_text="Your organisation it is waited for from.")
    provider_name = serializers.CharField()
    you_may = serializers.BooleanField(help_text="Your role in that organisation lets you do it.")


class ProviderTasksOut(serializers.Serializer):
    count = serializers.IntegerField()
    overdue = serializers.IntegerField()
    tasks = ProviderTaskOut(many=True)


class ProviderTasksView(FilteredList, TenantAPIMixin, APIView):
    audience = Audience.PROVIDER

    @extend_schema(responses=ProviderTasksOut, summary="What this authority is waiting for from you",
                   description="Performance returns due or queried, self-assessments and draft assessment "
                               "reports to answer, improvement and contract actions, payment schedules to confirm "
                               "or query, invitations to bid still open and awards waiting to start, for your "
                               "organisations only, soonest due first, each with its clock. Not paged: it is what "
                               "is open now. Takes no query parameters.")
    def get(self, request):
        self.list_filters()
        tasks = provider_tasks.provider_tasks_for(access=self.access, authority=self.authority)
        return Response(ProviderTasksOut({"count": len(tasks), "tasks": tasks,
                                          "overdue": sum(1 for t in tasks if t.clock.state == "overdue")}).data)
