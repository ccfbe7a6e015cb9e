"""Template helpers for call-off and placement pages."""

from django import template

from accounts.policy import access_for
from tenants.calloffs import policy
from tenants.payments import policy as payments_policy
from tenants.reports import policy as reports_policy

register = template.Library()

CAPABILITIES = {
    "source": policy.can_source,
    "view_placements": policy.can_view_placements,
    "view_utilisation": policy.can_view_utilisation,
    "view_reports": reports_policy.can_view_reports,
    "view_payments": payments_policy.can_view_payments,
}


@register.simple_tag(takes_context=True)
def staff_can(context, capability: str) -> bool:
    """Whether the person asking may do this here (the same policy the views
    check), for links in shared layouts such as the staff navigation."""
    request = context.get("request")
    return request is not None and CAPABILITIES[capability](access_for(request))


@register.filter
def pounds(value) -> str:
    return "" if value is None else f"£{value:,.2f}"
