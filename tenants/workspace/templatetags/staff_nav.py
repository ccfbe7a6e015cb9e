"""What the staff navigation offers, from each app's policy."""

from django import template

from tenants.admissions import policy as admissions_policy

register = template.Library()


@register.filter
def sees_applications(access) -> bool:
    return bool(access) and admissions_policy.can_view_applications(access)
