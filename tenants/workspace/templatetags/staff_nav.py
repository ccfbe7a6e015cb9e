"""What the staff navigation offers, from each app's policy."""

from django import template

from tenants.admissions import policy as admissions_policy
from tenants.history import policy as history_policy

register = template.Library()


@register.filter
def sees_applications(access) -> bool:
    return bool(access) and admissions_policy.can_view_applications(access)


@register.filter
def imports_history(access) -> bool:
    return bool(access) and history_policy.can_import_history(access)


@register.simple_tag(takes_context=True)
def work_queue_count(context) -> int:
    """How many tasks wait for the person on this page: staff only, worked out once per request."""
    from tenants.workspace.queue import queue_count

    request = context.get("request")
    return queue_count(request) if request is not None else 0
