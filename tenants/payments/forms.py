"""Forms for payments: they collect what was typed; the services decide."""

from __future__ import annotations

from django import forms

from tenants.calloffs.staff_forms import ServiceErrorsMixin, _date, _money
from tenants.payments.models import Cadence
from web.forms import GovukFormMixin


def _reason(label: str, message: str, rows: int = 3) -> forms.CharField:
    return forms.CharField(label=label, max_length=2000, widget=forms.Textarea(attrs={"rows": rows}),
                           error_messages={"required": message})


class SettingsForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Save how we pay"

    cadence = forms.ChoiceField(label="Pay providers", choices=Cadence.choices, widget=forms.RadioSelect,
                                error_messages={"required": "Choose four-weekly or monthly"})
    anchor_on = _date("Four-weekly: the first day of a period", required=False)


class PeriodForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Make the period"
    error_aliases = {"day": "day"}

    day = _date("A day in the period")


class ReasonForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Make the schedule again"

    reason = _reason("Why", "Say why the schedule is made again")


class AdjustForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Adjust the line"

    amount = forms.DecimalField(label="Pay this amount, in pounds", max_digits=12, decimal_places=2,
                                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                                error_messages={"required": "Enter an amount in pounds and pence, like 450.00",
                                                "invalid": "Enter an amount in pounds and pence, like 450.00"})
    reason = _reason("Why", "Say why the amount differs from what the cost lines give")


class AnswerForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Send the answer"

    answer = _reason("Answer", "Give the answer the provider will read", rows=4)


class QueryForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Send the query"

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = {str(line.pk): line for line in lines}
        self.fields = {"line": forms.ChoiceField(
            label="Which line (optional)", required=False,
            choices=[("", "The whole schedule")] + [(k, f"{line.placement.package.reference}: £{line.amount:,.2f}")
                                                    for k, line in self.lines.items()]),
            **self.fields}
        self.helper.layout = self.helper.build_default_layout(self)  # made before the line was added

    reason = _reason("What is wrong", "Say what is wrong with the schedule")

    def line(self):
        return self.lines.get(self.cleaned_data.get("line") or "")


class InvoiceForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Send the invoice"

    number = forms.CharField(label="Invoice number", max_length=60,
                             error_messages={"required": "Enter the invoice number"})
    invoice_date = _date("Invoice date")
    amount = _money("Invoice total, in pounds")
    file = forms.FileField(label="The invoice as a PDF (optional)", required=False)
