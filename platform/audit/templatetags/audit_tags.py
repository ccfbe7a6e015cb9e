from django import template

from audit.labels import action_label

register = template.Library()

register.filter("action_label", action_label)


@register.filter
def actor_name(event) -> str:
    return event.actor_label if event.actor_label != "system" else "The system"
