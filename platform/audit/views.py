from django.core.paginator import Paginator
from django.db import connection
from django.views.generic import TemplateView

from accounts.mixins import StaffPageMixin
from audit.models import ChainCheck
from audit.policy import can_read_audit
from audit.selectors import audit_chain_verify, audit_events_for


class AuditTrailView(StaffPageMixin, TemplateView):
    template_name = "audit/list.html"

    def get(self, request, *args, **kwargs):
        self.require(can_read_audit(self.access), "Only authority admins can read the audit trail.")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(audit_events_for(), 50).get_page(self.request.GET.get("page"))
        context["page"] = page
        context["last_check"] = ChainCheck.objects.first()
        if self.request.GET.get("verify"):
            context["chain"] = audit_chain_verify(schema=connection.schema_name)
        return context
