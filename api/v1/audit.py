from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from accounts.policy import Audience
from api.base import TenantAPIMixin
from audit.policy import can_read_audit
from audit.selectors import audit_events_for


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


class AuditEventListView(TenantAPIMixin, GenericAPIView):
    audience = Audience.STAFF
    serializer_class = AuditEventOut

    @extend_schema(responses=AuditEventOut(many=True), summary="This authority's audit trail, newest first")
    def get(self, request):
        if not can_read_audit(self.access):
            self.permission_denied(request, "Only authority admins can read the audit trail.")
        page = self.paginate_queryset(audit_events_for())
        return self.get_paginated_response(AuditEventOut(page, many=True).data)
