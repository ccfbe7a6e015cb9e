"""Forms for pricing schedules: they collect what was typed; the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from tenants.calloffs.staff_forms import ServiceErrorsMixin, _date, _money
from tenants.pricing.models import Rate
from web.forms import GovukFormMixin


def _percent(label: str, help_text: str) -> forms.DecimalField:
    message = "Enter a percentage, like 85"
    return forms.DecimalField(label=label, help_text=help_text, max_digits=6, decimal_places=2,
                              min_value=Decimal("0.01"), widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                              error_messages={"invalid": message, "required": message, "min_value": message,
                                              "max_digits": message, "max_decimal_places": message,
                                              "max_whole_digits": message})


class ScheduleForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Save the schedule"

    year = forms.IntegerField(label="Year the fees are set for", min_value=2000, max_value=2100,
                              help_text="For example, 2026 for the fees of 2026 to 2027",
                              error_messages={"required": "Enter the year, like 2026",
                                              "invalid": "Enter the year, like 2026",
                                              "min_value": "Enter the year, like 2026",
                                              "max_value": "Enter the year, like 2026"})
    effective_from = _date("The fees take effect on")
    effective_to = _date("The last day they apply")
    low_band_percent = _percent("Abnormally low below, per cent of the rate",
                                "A bid below this is flagged and its provider asked to explain the price")
    high_band_percent = _percent("High above, per cent of the rate", "A bid above this is flagged as high")
    note = forms.CharField(label="Note for providers (optional)", required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class NewScheduleForm(ScheduleForm):
    submit_label = "Start the schedule"

    def __init__(self, *args, agreements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.agreements = {str(a.pk): a for a in agreements}
        self.fields = {"agreement": forms.ChoiceField(
            label="Agreement", choices=[(k, f"{a.title} ({a.reference})") for k, a in self.agreements.items()],
            error_messages={"required": "Choose the agreement", "invalid_choice": "Choose the agreement"}),
            **self.fields}
        self.initial.setdefault("low_band_percent", Decimal("85"))
        self.initial.setdefault("high_band_percent", Decimal("130"))

    def agreement(self):
        return self.agreements[self.cleaned_data["agreement"]]


class RateForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Add the rate"

    lot = forms.ChoiceField(label="Lot", error_messages={"required": "Choose the lot",
                                                         "invalid_choice": "Choose the lot"})
    unit = forms.ChoiceField(label="Unit", choices=Rate.Unit.choices,
                             error_messages={"required": "Choose the unit", "invalid_choice": "Choose the unit"})
    amount = _money("Rate, in pounds", "For each unit")
    tier = forms.CharField(label="Tier (optional)", required=False, max_length=60,
                           help_text="As the lot names it; blank for any tier")
    zone = forms.CharField(label="Zone (optional)", required=False, max_length=60,
                           help_text="As the lot names it; blank for any zone")
    need_level = forms.CharField(label="Level of need (optional)", required=False, max_length=30,
                                 help_text="A primary need, like dementia; blank for any need")
    fair_cost = _money("Fair cost of care for the same unit, in pounds (optional)", required=False)
    fair_cost_note = forms.CharField(label="Where the fair cost comes from (optional)", required=False,
                                     max_length=300)

    def __init__(self, *args, lots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lots = {str(lot.pk): lot for lot in lots}
        self.fields["lot"].choices = [(k, str(lot)) for k, lot in self.lots.items()]

    def values(self) -> dict:
        return dict(self.cleaned_data) | {"lot": self.lots[self.cleaned_data["lot"]]}


class PricedByScheduleForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Save"

    priced_by_schedule = forms.TypedChoiceField(
        label="How are this agreement's call-offs priced?", coerce=lambda v: v == "yes",
        choices=[("yes", "By the schedule: award at its rate by the person's preference"),
                 ("no", "By competition between bids")], widget=forms.RadioSelect,
        error_messages={"required": "Choose how call-offs are priced"})
    reason = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "Say why"})


class ExplanationRequestForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Ask the provider"

    request = forms.CharField(label="What should the provider explain?", max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="For example: how the price pays at least the National Minimum Wage, "
                                        "travel time included",
                              error_messages={"required": "Say what the provider should explain"})


class ExplanationDecideForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Record the decision"

    accepted = forms.TypedChoiceField(
        label="Is the explanation accepted?", coerce=lambda v: v == "yes", widget=forms.RadioSelect,
        choices=[("yes", "Accepted: the bid may be awarded"), ("no", "Rejected: the bid may not be awarded")],
        error_messages={"required": "Choose whether the explanation is accepted"})
    reason = forms.CharField(label="Reason", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "Give the reason for the decision"})


class ExplanationForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Send the explanation"

    explanation = forms.CharField(label="Your explanation of the price", max_length=10000,
                                  widget=forms.Textarea(attrs={"rows": 6}),
                                  error_messages={"required": "Explain how the price covers the care"})


class AwardAtRateForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Award at the schedule's rate"

    bid = forms.ChoiceField(label="The provider the person prefers", widget=forms.RadioSelect,
                            error_messages={"required": "Choose the provider",
                                            "invalid_choice": "Choose the provider"})
    expressed_by = forms.CharField(label="Whose preference", max_length=150,
                                   help_text="The person, or who in their family",
                                   error_messages={"required": "Record whose preference chose this provider"})
    reason = forms.CharField(label="Why this provider", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Quoted in the letters to every bidder: never identifying",
                             error_messages={"required": "Say why this provider was preferred"})

    def __init__(self, *args, bids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.bids = {str(b.pk): b for b in bids}
        self.fields["bid"].choices = [(k, b.provider.name) for k, b in self.bids.items()]

    def values(self) -> dict:
        return dict(self.cleaned_data) | {"bid": self.bids[self.cleaned_data["bid"]]}
