from django import template

from tenancy.routing import public_reverse, tenant_reverse

register = template.Library()


@register.simple_tag
def public_url(viewname, *args, **kwargs):
    """A URL of the regional site, usable on any page (tenant pages included)."""
    return public_reverse(viewname, args=args or None, kwargs=kwargs or None)


@register.simple_tag
def authority_url(authority, viewname, *args, **kwargs):
    """A URL inside `authority`, usable on any page."""
    return tenant_reverse(authority, viewname, args=args or None, kwargs=kwargs or None)


@register.filter
def message_banner_type(message):
    return "success" if "success" in message.tags else ""
