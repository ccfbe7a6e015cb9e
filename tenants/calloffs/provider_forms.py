"""Forms for the provider's side of stage 2. They collect what a person typed;
the services decide whether it is acceptable (the same checks and messages as
the API), and their refusals are shown against these fields."""

from __future__ import annotations

import secrets
from datetime import date

from crispy_forms_gds.fields import DateInputField
from django import forms

from web.forms import GovukFormMixin

TEXT_LIMIT = 20_000
MONEY_ATTRS = {"class": "govuk-input--width-10", "inputmode": "decimal", "spellcheck": "false"}
CONTENT_FIELDS = ("weekly_price", "hourly_rate", "hours_per_week", "breakdown", "outcomes_response",
                  "start_available_on", "social_value")


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


class BidForm(GovukFormMixin, forms.Form):
    """A bid, as sealed. The hidden key is made when the form is shown, so a
    double click or a resent form is the same submission, not a second one."""

    submit_label = "Submit the bid"

    weekly_price = forms.CharField(label="Weekly price, in pounds", max_length=20, required=False,
                                   widget=forms.TextInput(attrs=MONEY_ATTRS))
    hourly_rate = forms.CharField(label="Hourly rate, in pounds (optional)", max_length=20, required=False,
                                  widget=forms.TextInput(attrs=MONEY_ATTRS))
    hours_per_week = forms.CharField(label="Hours a week (optional)", max_length=20, required=False,
                                     widget=forms.TextInput(attrs=MONEY_ATTRS))
    breakdown = forms.CharField(label="How the price is made up (optional)", max_length=TEXT_LIMIT, required=False,
                                widget=forms.Textarea(attrs={"rows": 4}),
                                help_text="For example: staff hours and rates, transport, activities.")
    outcomes_response = forms.CharField(label="How you will achieve the outcomes", max_length=TEXT_LIMIT,
                                        required=False, widget=forms.Textarea(attrs={"rows": 8}))
    start_available_on = DateInputField(label="When could you start?", help_text="For example, 1 4 2026",
                                        required=False, require_all_fields=False)
    social_value = forms.CharField(label="Social value (optional)", max_length=TEXT_LIMIT, required=False,
                                   widget=forms.Textarea(attrs={"rows": 4}),
                                   help_text="What the support adds locally: staff, volunteers, suppliers.")
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)

    def __init__(self, *args, budget=None, can_save_draft: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_required_attribute = False
        if budget is not None:
            self.fields["weekly_price"].help_text = (f"The whole cost a week, like 425.50. The personal budget is "
                                                     f"£{budget:,.2f} a week: bids are judged within it.")
        self.can_save_draft = can_save_draft
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    @classmethod
    def initial_from(cls, content: dict | None) -> dict:
        """What a bid says (as sealing.read_bid gives it), as the form's initial values."""
        if not content:
            return {}
        initial = {name: "" if content.get(name) is None else str(content[name]) for name in CONTENT_FIELDS}
        try:
            initial["start_available_on"] = date.fromisoformat(str(content.get("start_available_on") or ""))
        except ValueError:
            initial["start_available_on"] = None
        return initial

    def content(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in CONTENT_FIELDS}

    @property
    def key(self) -> str:
        return (self.cleaned_data.get("idempotency_key") or "") if self.is_bound else self.initial["idempotency_key"]

    def add_service_errors(self, error) -> None:
        # the key is hidden: a refusal of it is shown above the form
        if hasattr(error, "error_dict") and "idempotency_key" in error.error_dict:
            self.add_error(None, error.error_dict.pop("idempotency_key"))
            if not error.error_dict:
                return
        super().add_service_errors(error)


class ClarificationForm(GovukFormMixin, forms.Form):
    submit_label = "Send the question"

    question = forms.CharField(label="Your question", max_length=5000, required=False,
                               widget=forms.Textarea(attrs={"rows": 4}),
                               help_text="The authority publishes its answer to every invited provider, without "
                                         "saying who asked.")


class BidWithdrawForm(GovukFormMixin, forms.Form):
    submit_label = "Withdraw the bid"
