from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The regional site's own chain, read-only."""

    list_display = ("id", "occurred_at", "actor_label", "action", "object_type", "object_label")
    list_filter = ("action",)
    search_fields = ("actor_label", "object_label", "object_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
