from dataclasses import asdict

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from accounts.policy import Audience
from api.base import TenantAPIMixin
from audit.models import ChainCheck
from audit.policy import can_read_audit
from audit.selectors import audit_chain_verify, audit_events_for
from common.filters import StrictFilterSet, after, before


class AuditEventOut(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    object_label = serializers.CharField()
    reason = serializers.CharField()
    before = serializers.JSONField()
    after = serializers.JSONField()
    hash = serializers.CharField()
    prev_hash = serializers.CharField()
    key_id = serializers.CharField(help_text="Which chain key sealed the event.")


class AuditEventFilters(StrictFilterSet):
    action = django_filters.CharFilter(lookup_expr="startswith",
                                       help_text="Only events whose action starts so (for example admission.).")
    occurred_after = after("occurred_at", "that happened")
    occurred_before = before("occurred_at", "that happened")


class AuditEventListView(TenantAPIMixin, GenericAPIView):
    audience = Audience.STAFF
    serializer_class = AuditEventOut
    filterset_class = AuditEventFilters

    @extend_schema(responses=AuditEventOut(many=True), summary="This authority's audit trail, newest first")
    def get(self, request):
        if not can_read_audit(self.access):
            self.permission_denied(request, "Only authority admins can read the audit trail.")
        page = self.paginate_queryset(self.filter_queryset(audit_events_for()))
        return self.get_paginated_response(AuditEventOut(page, many=True).data)


class ChainCheckOut(serializers.Serializer):
    checked_at = serializers.DateTimeField()
    events = serializers.IntegerField()
    intact = serializers.BooleanField()
    broken_at = serializers.IntegerField(allow_null=True)
    problem = serializers.CharField()


class AuditChainOut(serializers.Serializer):
    schema = serializers.CharField()
    events = serializers.IntegerField()
    intact = serializers.BooleanField(source="ok")
    broken_at = serializers.IntegerField(allow_null=True, help_text="The first event that does not hold.")
    problem = serializers.CharField(help_text="What is wrong: an altered, re-sealed, removed or cut-off event.")
    anchors_checked = serializers.IntegerField(help_text="Recorded heads of the chain it was checked against.")
    last_check = ChainCheckOut(allow_null=True, help_text="The last scheduled check.")


class AuditChainView(TenantAPIMixin, GenericAPIView):
    audience = Audience.STAFF
    serializer_class = AuditChainOut

    @extend_schema(responses=AuditChainOut, summary="Check this authority's audit trail now: its seals "
                   "and every anchor of its head")
    def get(self, request):
        if not can_read_audit(self.access):
            self.permission_denied(request, "Only authority admins can read the audit trail.")
        report = audit_chain_verify(schema=self.authority.schema_name)
        result = asdict(report) | {"ok": report.ok, "last_check": ChainCheck.objects.first()}
        return Response(AuditChainOut(result).data)
