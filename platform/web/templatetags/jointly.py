from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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


class _LandmarkNode(template.Node):
    def __init__(self, nodelist, label):
        self.nodelist, self.label = nodelist, label

    def render(self, context):
        inner = self.nodelist.render(context)
        if not inner.strip():
            return ""
        return format_html('<nav class="jointly-before-content" aria-label="{}">{}</nav>', self.label,
                           mark_safe(inner))  # noqa: S308 - the nodelist is rendered, escaped template output


@register.tag
def navigation_landmark(parser, token):
    """`{% navigation_landmark "Back" %}…{% end_navigation_landmark %}`: what is
    inside, when there is anything, in a <nav> landmark with that label, so
    that a back link above <main> is inside a landmark (axe's region rule),
    and nothing at all when there is nothing."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("navigation_landmark takes one label")
    nodelist = parser.parse(("end_navigation_landmark",))
    parser.delete_first_token()
    return _LandmarkNode(nodelist, template.Variable(bits[1]).resolve({}))
