"""The staff notification preferences form: one question per kind of task
that may go in the digest; the kinds always e-mailed straight away are said,
not asked."""

from django import forms

from tenants.workspace.models import ALWAYS_IMMEDIATE, Delivery, TaskKind
from web.forms import GovukFormMixin

CHOICES = [(Delivery.IMMEDIATE.value, "An e-mail straight away for each new task"),
           (Delivery.DIGEST.value, "In the daily digest")]


class NotificationPreferencesForm(GovukFormMixin, forms.Form):
    submit_label = "Save your choices"

    def __init__(self, *args, initial_choices: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in TaskKind:
            if kind in ALWAYS_IMMEDIATE:
                continue
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label, choices=CHOICES, widget=forms.RadioSelect,
                initial=(initial_choices or {}).get(kind.value, Delivery.DIGEST.value),
                error_messages={"required": f"Choose how you hear about {kind.label.lower()}."})
