"""Forms for placements: they collect what was typed; the services decide."""

from __future__ import annotations

from decimal import Decimal

from crispy_forms_gds.layout import Field, Fieldset, Fixed, Layout, Size
from django import forms
from django.utils.html import format_html

from tenants.calloffs.staff_forms import ServiceErrorsMixin, _date, _money
from tenants.placements.models import Unit
from web.forms import GovukFormMixin


def _share(label: str) -> forms.DecimalField:
    message = "Enter a share as a percentage, like 62.5"
    return forms.DecimalField(label=label, required=False, min_value=Decimal("0"), max_value=100, max_digits=5,
                              decimal_places=2, widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                              error_messages={"invalid": message, "min_value": message, "max_value":
                                              "A share cannot be more than 100%%", "max_digits": message,
                                              "max_decimal_places": message, "max_whole_digits": message})


class FundersForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    """A share for each authority that may fund here; blank means none.
    The service checks they total 100%."""

    submit_label = "Save the funders"

    reason = forms.CharField(label="Reason for the change (optional)", required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    payer = forms.TypedChoiceField(label="Who pays the provider?", coerce=int, required=False,
                                   help_text="It pays the provider in full and recovers each other funder's share: "
                                             "the authority that called off, or one of the funders",
                                   error_messages={"invalid_choice": "Choose one of the authorities listed"})

    def __init__(self, *args, authorities=(), current=None, payer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.authorities = list(authorities)
        current = current or {}
        names = []
        for authority in self.authorities:
            name = f"share_{authority.pk}"
            names.append(name)
            # crispy-forms-gds prints labels unescaped
            self.fields[name] = _share(format_html("{}’s share, per cent", authority.name))
            self.fields[name].initial = current.get(authority.pk)
        self.fields["payer"].choices = [(a.pk, a.name) for a in self.authorities]
        self.fields["payer"].initial = payer
        self.error_aliases = {"shares": names[0] if names else None}
        self.helper.layout = Layout(
            Fieldset(*[Field.text(n, field_width=Fixed.FIVE) for n in names],
                     legend="Who pays, and what share (the shares total 100%)", legend_size=Size.MEDIUM),
            Field.select("payer"), "reason")

    def payer_chosen(self):
        return next((a for a in self.authorities if a.pk == self.cleaned_data.get("payer")), None)

    def shares(self) -> list[tuple]:
        return [(authority, self.cleaned_data[f"share_{authority.pk}"]) for authority in self.authorities
                if self.cleaned_data.get(f"share_{authority.pk}") is not None]


class GoLiveForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Continue"

    start_on = _date("Start date (optional)", "Leave it blank to keep the planned start date. For example, 4 5 2026",
                     required=False)


class VaryForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    """A new weekly cost, or a unit rate and units a week; the service
    refuses both or neither."""

    submit_label = "Record the variation"

    effective_on = _date("Effective from", "A past date is allowed: the cost changes from that day, and the "
                                           "earlier cost stays on record. For example, 4 5 2026")
    weekly_cost = _money("New weekly cost, in pounds", required=False)
    unit = forms.ChoiceField(label="Or a rate per", required=False, choices=[("", "Not a unit rate"),
                                                                             *Unit.choices[1:]])
    rate = _money("Rate, in pounds", required=False)
    quantity = forms.DecimalField(label="Units a week", required=False, max_digits=7, decimal_places=2,
                                  min_value=Decimal("0.01"), widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                                  error_messages={"invalid": "Enter how many units a week, like 20 or 7.5",
                                                  "min_value": "Enter how many units a week, like 20 or 7.5"})
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
                             error_messages={"required": "Say why the placement changes"})

    def __init__(self, *args, authorities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.authorities = list(authorities)
        names = []
        for authority in self.authorities:
            name = f"share_{authority.pk}"
            names.append(name)
            self.fields[name] = _share(format_html("{}’s share, per cent", authority.name))
        self.error_aliases = {"shares": names[0] if names else None}
        self.helper.layout = Layout(
            "effective_on", "weekly_cost", "unit", "rate", "quantity",
            *([Fieldset(*[Field.text(n, field_width=Fixed.FIVE) for n in names],
                        legend="This line's own funder shares (optional)", legend_size=Size.SMALL)]
              if names else []),
            "reason")

    def shares(self) -> list[tuple]:
        return [(authority, self.cleaned_data[f"share_{authority.pk}"]) for authority in self.authorities
                if self.cleaned_data.get(f"share_{authority.pk}") is not None]

    def changes(self) -> dict:
        fields = {name: value for name, value in self.cleaned_data.items() if not name.startswith("share_")}
        return {**fields, "unit": self.cleaned_data["unit"] or None, "shares": self.shares() or None}


class EndForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "End the placement"

    ended_on = _date("Last day of the placement")
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
                             error_messages={"required": "Say why the placement ends"})


class RateScheduleForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    """A whole agreement ("a<id>") or one of its lots ("l<id>")."""

    submit_label = "Add the rate schedule"
    error_aliases = {"lot": "scope", "agreement": "scope"}

    scope = forms.ChoiceField(label="Which agreement or lot?",
                              error_messages={"required": "Choose the agreement or lot",
                                              "invalid_choice": "Choose one of the agreements or lots listed"})
    effective_from = _date("Effective from")
    uplift_percent = forms.DecimalField(label="Uplift, per cent", max_digits=5, decimal_places=2, required=False,
                                        min_value=Decimal("-50"), max_value=Decimal("50"),
                                        help_text="For example 4.5; a negative number lowers rates. Or give a "
                                                  "new rate below instead",
                                        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                                        error_messages={"invalid": "Enter the uplift as a percentage, like 4.5",
                                                        "required": "Enter the uplift as a percentage, like 4.5",
                                                        # validator messages are %-formatted
                                                        "min_value": "Enter an uplift between -50%% and 50%%",
                                                        "max_value": "Enter an uplift between -50%% and 50%%"})
    new_rate = forms.DecimalField(label="Or a new rate, in pounds", required=False, max_digits=10,
                                  decimal_places=2, min_value=Decimal("0.01"),
                                  help_text="Placements paid less than this per unit rise to it",
                                  widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                                  error_messages={"invalid": "Enter the new rate in pounds and pence",
                                                  "min_value": "Enter the new rate in pounds and pence"})
    new_rate_unit = forms.ChoiceField(label="The new rate is", required=False, choices=Unit.choices)
    note = forms.CharField(label="Note (optional)", required=False, max_length=200)

    def __init__(self, *args, agreements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {}
        choices = [("", "Choose an agreement or lot")]
        for agreement in agreements:
            self.targets[f"a{agreement.pk}"] = (agreement, None)
            choices.append((f"a{agreement.pk}", f"{agreement.title} ({agreement.reference}): every lot"))
            for lot in agreement.lots.all():
                self.targets[f"l{lot.pk}"] = (agreement, lot)
                choices.append((f"l{lot.pk}", f"{agreement.title} ({agreement.reference}): Lot {lot.number}, "
                                              f"{lot.title}"))
        self.fields["scope"].choices = choices
        self.helper.layout = Layout(Field.select("scope"), "effective_from",
                                    Field.text("uplift_percent", field_width=Fixed.FIVE),
                                    Field.text("new_rate", field_width=Fixed.FIVE), Field.select("new_rate_unit"),
                                    "note")

    def target(self) -> tuple:
        return self.targets[self.cleaned_data["scope"]]


class CommitmentForm(forms.Form):
    year = forms.IntegerField(label="Financial year", min_value=2000, max_value=2100, required=False,
                              help_text="By the year its April falls in: 2026 is April 2026 to March 2027",
                              error_messages={"invalid": "Enter a year, like 2026",
                                              "min_value": "Enter a year, like 2026",
                                              "max_value": "Enter a year, like 2026"})

    def __init__(self, *args, this_year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = this_year
