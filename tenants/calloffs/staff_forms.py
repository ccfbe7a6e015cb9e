"""Forms for the staff side of call-offs. They only collect what a person
typed, in the shapes people type it (UK dates and times, pounds and pence);
the services decide whether it is acceptable, and their refusals are shown
against these fields (identifier-guard messages included).

crispy-forms-gds prints labels and hints unescaped: every label and hint here
is fixed text."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.layout import Button, Field, Fieldset, Fixed, Layout, Size
from django import forms
from django.utils import timezone

from shared_catalogue.models import ClientGroup
from tenants.calloffs.models import NoAward, Package, Withdrawal
from web.forms import GovukFormMixin

TIME_FORMATS = ["%H:%M", "%H.%M", "%H:%M:%S"]


def _date(label: str, help_text: str = "For example, 27 3 2026", required: bool = True) -> DateInputField:
    return DateInputField(label=label, help_text=help_text, required=required, require_all_fields=False)


def _time(label: str = "Time") -> forms.TimeField:
    return forms.TimeField(label=label, input_formats=TIME_FORMATS,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                           help_text="UK time, 24-hour clock, for example 17:00",
                           error_messages={"required": "Enter the time, for example 17:00",
                                           "invalid": "Enter a time like 17:00 (24-hour clock, UK time)"})


def _money(label: str, help_text: str = "", **kwargs) -> forms.DecimalField:
    message = "Enter an amount in pounds and pence, like 450.00"
    return forms.DecimalField(label=label, help_text=help_text, max_digits=10, decimal_places=2,
                              min_value=Decimal("0.01"), widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                              error_messages={"invalid": message, "required": message, "max_digits": message,
                                              "max_decimal_places": message, "max_whole_digits": message,
                                              "min_value": "Enter an amount above zero"}, **kwargs)


def _score(label: str) -> forms.DecimalField:
    message = "Score from 0 to 100"
    return forms.DecimalField(label=label, min_value=0, max_value=100, max_digits=5, decimal_places=2,
                              widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                              error_messages={"invalid": message, "required": message, "min_value": message,
                                              "max_value": message, "max_digits": message,
                                              "max_decimal_places": message, "max_whole_digits": message})


def uk_time(day, at: time) -> datetime | None:
    """A UK wall-clock date and time as an aware datetime, or None when that
    time does not exist (the hour skipped when the clocks go forward). In the
    hour repeated when they go back, the first (BST) is meant."""
    zone = timezone.get_default_timezone()
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return aware if round_trip == naive else None


def uk_parts(value: datetime | None) -> tuple:
    if value is None:
        return None, ""
    local = timezone.localtime(value)
    return local.date(), local.strftime("%H:%M")


class DeadlinesMixin:
    """Date and time pairs (`name` and `name_time`) combined, in clean(),
    into one aware datetime under `name`, which is what the services call
    the field, so their errors land on the date."""

    deadline_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        for name in self.deadline_fields:
            day, at = cleaned.get(name), cleaned.get(f"{name}_time")
            if day is None or at is None:
                continue
            when = uk_time(day, at)
            if when is None:
                self.add_error(f"{name}_time", f"There is no {at:%H:%M} on {day:%-d %B %Y} in the UK: the clocks "
                                               "go forward. Choose another time.")
            else:
                cleaned[name] = when
        return cleaned


class ServiceErrorsMixin:
    """Service errors keyed by names the form spells differently."""

    error_aliases: dict[str, str] = {}

    def add_service_errors(self, error) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                target = self.error_aliases.get(field, field)
                self.add_error(target if target in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


# --- Who it is for ---------------------------------------------------------------

class PersonForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    """The person, recorded apart from the package: never shown to providers
    before award, and every later look at it is recorded."""

    submit_label = "Save and continue"

    first_name = forms.CharField(label="First name", max_length=100,
                                 error_messages={"required": "Enter their first name"})
    last_name = forms.CharField(label="Last name", max_length=100,
                                error_messages={"required": "Enter their last name"})
    preferred_name = forms.CharField(label="Preferred name (optional)", max_length=100, required=False)
    nhs_number = forms.CharField(label="NHS number (optional)", max_length=20, required=False,
                                 help_text="10 digits, for example 943 476 5919")
    date_of_birth = _date("Date of birth (optional)", "For example, 3 3 1961", required=False)
    address = forms.CharField(label="Address (optional)", required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    postcode = forms.CharField(label="Postcode (optional)", max_length=10, required=False)
    social_worker = forms.CharField(label="Social worker or assessor (optional)", max_length=150, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.add_input(Button.secondary("another", "Save and add another person"))


# --- The package -----------------------------------------------------------------

class PackageForm(DeadlinesMixin, ServiceErrorsMixin, GovukFormMixin, forms.Form):
    """A sourcing request. Everything in it except the people is what
    providers will read, so the identifier guard checks it on saving."""

    submit_label = "Save draft"
    deadline_fields = ("clarification_deadline", "bid_deadline")
    error_aliases = {"agreement": "lot", "people": "lot"}

    lot = forms.TypedChoiceField(label="Agreement and lot", coerce=int,
                                 help_text="Live agreements only: call-offs are made from a live agreement.",
                                 error_messages={"required": "Choose the agreement and lot",
                                                 "invalid_choice": "Choose one of the lots listed"})
    called_off_by = forms.TypedChoiceField(label="Which authority is calling off?", coerce=int, required=False,
                                           widget=forms.RadioSelect,
                                           help_text="Only the authorities named when the agreement was set up "
                                                     "may call off from it.")
    title = forms.CharField(label="Title", max_length=200, help_text="Providers see this first. Describe the "
                            "support, never the person.", error_messages={"required": "Enter a title"})
    client_group = forms.ModelChoiceField(label="Client group", queryset=ClientGroup.objects.all(),
                                          to_field_name="code", required=False, empty_label="Choose a client group",
                                          help_text="Who the support is for, as the regional catalogue groups "
                                                    "providers. Providers see it; it does not identify anyone.",
                                          error_messages={"invalid_choice": "Choose one of the client groups "
                                                                            "listed"})
    primary_need = forms.ChoiceField(label="Primary need", required=False,
                                     choices=[("", "Choose the primary need"), *Package.PrimaryNeed.choices],
                                     help_text="The main need the support is for: reports count packages by it.",
                                     error_messages={"invalid_choice": "Choose one of the needs listed"})
    outcomes = forms.CharField(label="Outcomes", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
                               help_text="What the support should achieve.",
                               error_messages={"required": "Enter the outcomes the support should achieve"})
    support_needed = forms.CharField(label="Support needed", widget=forms.Textarea(attrs={"rows": 4}),
                                     max_length=5000, error_messages={"required": "Describe the support needed"})
    hours_per_week = forms.DecimalField(label="Hours a week (optional)", required=False, min_value=0, max_digits=6,
                                        decimal_places=2, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    sessions_per_week = forms.IntegerField(label="Sessions a week (optional)", required=False, min_value=0,
                                           max_value=100, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    pattern = forms.CharField(label="Pattern (optional)", max_length=300, required=False,
                              help_text="For example: weekday mornings")
    start_on = _date("Start date")
    duration_weeks = forms.IntegerField(label="Duration in weeks (optional)", required=False, min_value=1,
                                        max_value=520, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    locality = forms.CharField(label="Locality", max_length=120, help_text="An area, never an address.",
                               error_messages={"required": "Enter the locality, for example Crewe"})
    postcode_district = forms.CharField(label="Postcode district (optional)", max_length=10, required=False,
                                        help_text="The first half of a postcode only, for example CW1")
    skills = forms.CharField(label="Skills (optional)", required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    language = forms.CharField(label="Language (optional)", max_length=120, required=False)
    staff_gender = forms.ChoiceField(label="Staff gender", choices=Package.StaffGender.choices,
                                     initial=Package.StaffGender.ANY, widget=forms.RadioSelect)
    transport = forms.CharField(label="Transport (optional)", max_length=200, required=False)
    other_requirements = forms.CharField(label="Other requirements (optional)", required=False, max_length=5000,
                                         widget=forms.Textarea(attrs={"rows": 3}))
    budget_weekly = _money("Weekly budget, in pounds",
                           "The personal budget: the most a bid may cost a week. Bids above it are not candidates.")
    weight_quality = forms.DecimalField(label="Quality", initial=Decimal("40"), min_value=0, max_value=100,
                                        max_digits=5, decimal_places=2)
    weight_price = forms.DecimalField(label="Price", initial=Decimal("20"), min_value=0, max_value=100,
                                      max_digits=5, decimal_places=2)
    weight_outcomes = forms.DecimalField(label="Outcomes", initial=Decimal("30"), min_value=0, max_value=100,
                                         max_digits=5, decimal_places=2)
    weight_social_value = forms.DecimalField(label="Social value", initial=Decimal("10"), min_value=0,
                                             max_value=100, max_digits=5, decimal_places=2)
    clarification_deadline = _date("Date clarification questions close")
    clarification_deadline_time = _time()
    bid_deadline = _date("Bid deadline")
    bid_deadline_time = _time()
    urgent_reason = forms.CharField(label="Reason for a shorter window (optional)", required=False, max_length=5000,
                                    widget=forms.Textarea(attrs={"rows": 3}),
                                    help_text="Needed when bids are due in fewer days than the agreement's usual "
                                              "minimum. Every invitee gets the same period.")

    PACKAGE_ONLY = ("lot", "called_off_by")

    def __init__(self, *args, lots=(), callers=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.lots = {lot.pk: lot for lot in lots}
        if editing:
            for name in self.PACKAGE_ONLY:
                del self.fields[name]
        else:
            self.fields["lot"].choices = [("", "Choose a lot")] + [
                (lot.pk, f"{lot.agreement.title} ({lot.agreement.reference}): Lot {lot.number}, {lot.title}")
                for lot in lots]
            if callers:
                self.fields["called_off_by"].choices = [(a.pk, a.name) for a in callers]
            else:
                del self.fields["called_off_by"]
        for name in ("weight_quality", "weight_price", "weight_outcomes", "weight_social_value"):
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal"})
            self.fields[name].error_messages.update({
                "invalid": "Enter a weight from 0 to 100", "required": "Enter a weight from 0 to 100",
                "min_value": "Enter a weight from 0 to 100", "max_value": "Enter a weight from 0 to 100"})
        self.submit_label = "Save changes" if editing else "Save draft"
        self.helper.inputs[0].value = self.submit_label
        first = [name for name in self.PACKAGE_ONLY if name in self.fields]
        self.helper.layout = Layout(
            *[Field.select(n) if n == "lot" else Field.radios(n, legend_size=Size.SMALL) for n in first],
            Fieldset("title", Field.select("client_group"), Field.select("primary_need"), "outcomes",
                     "support_needed", legend="What is needed", legend_size=Size.MEDIUM),
            Fieldset(Field.text("hours_per_week", field_width=Fixed.FIVE),
                     Field.text("sessions_per_week", field_width=Fixed.FIVE), "pattern", "start_on",
                     Field.text("duration_weeks", field_width=Fixed.FIVE), legend="Support",
                     legend_size=Size.MEDIUM),
            Fieldset("locality", Field.text("postcode_district", field_width=Fixed.FIVE), legend="Where",
                     legend_size=Size.MEDIUM),
            Fieldset("skills", "language", Field.radios("staff_gender", legend_size=Size.SMALL), "transport",
                     "other_requirements", legend="Requirements", legend_size=Size.MEDIUM),
            Fieldset(Field.text("budget_weekly", field_width=Fixed.TEN),
                     Field.text("weight_quality", field_width=Fixed.FIVE),
                     Field.text("weight_price", field_width=Fixed.FIVE),
                     Field.text("weight_outcomes", field_width=Fixed.FIVE),
                     Field.text("weight_social_value", field_width=Fixed.FIVE),
                     legend="Budget and award criteria (weights add up to 100)", legend_size=Size.MEDIUM),
            Fieldset("clarification_deadline", Field.text("clarification_deadline_time", field_width=Fixed.FIVE),
                     "bid_deadline", Field.text("bid_deadline_time", field_width=Fixed.FIVE), "urgent_reason",
                     legend="Deadlines", legend_size=Size.MEDIUM),
        )

    @classmethod
    def initial_from(cls, package: Package) -> dict:
        from tenants.calloffs.services import PACKAGE_FIELDS

        initial = {name: getattr(package, name) for name in PACKAGE_FIELDS}
        for name in cls.deadline_fields:
            initial[name], initial[f"{name}_time"] = uk_parts(getattr(package, name))
        return initial

    def chosen_lot(self):
        return self.lots.get(self.cleaned_data["lot"])

    def package_fields(self) -> dict:
        """The keyword arguments of package_create / package_update."""
        from tenants.calloffs.services import PACKAGE_FIELDS

        fields = {name: self.cleaned_data[name] for name in PACKAGE_FIELDS}
        for name in ("pattern", "postcode_district", "skills", "language", "transport", "other_requirements",
                     "urgent_reason"):
            fields[name] = fields[name] or ""
        fields["primary_need"] = fields["primary_need"] or None
        return fields


class PublishForm(GovukFormMixin, forms.Form):
    submit_label = "Publish and invite"


class IdentityForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Show who this is"

    purpose = forms.CharField(label="Why do you need to see who this is?", max_length=200,
                              help_text="Recorded with your name and the time, for example: arranging the first "
                                        "visit with the awarded provider.",
                              error_messages={"required": "Say why you need to see who this is"})


class ClarificationAnswerForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Publish the answer to every invitee"

    question = forms.CharField(label="Question as published", widget=forms.Textarea(attrs={"rows": 4}),
                               max_length=5000,
                               help_text="Reword it if anything in it points at the provider who asked or at the "
                                         "person. Invitees never see who asked.",
                               error_messages={"required": "Enter the question as it will be published"})
    answer = forms.CharField(label="Answer", widget=forms.Textarea(attrs={"rows": 6}), max_length=10000,
                             error_messages={"required": "Write the answer"})


class DeadlineForm(DeadlinesMixin, ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Move the deadline"
    deadline_fields = ("bid_deadline",)

    bid_deadline = _date("New bid deadline")
    bid_deadline_time = _time()
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             help_text="Every invitee is told the new deadline and this reason.",
                             error_messages={"required": "Say why the deadline moves"})


class ClarificationDeadlineForm(DeadlinesMixin, ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Move the clarification deadline"
    deadline_fields = ("clarification_deadline",)

    clarification_deadline = _date("New date clarification questions close")
    clarification_deadline_time = _time()
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             help_text="Every invitee is told the new date and this reason.",
                             error_messages={"required": "Say why the clarification deadline moves"})


class EvaluationForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Save the evaluation"

    compliant = forms.TypedChoiceField(label="Does the bid meet the requirements?", widget=forms.RadioSelect,
                                       choices=[("yes", "Yes"), ("no", "No")], coerce=lambda v: v == "yes",
                                       error_messages={"required": "Say whether the bid meets the requirements"})
    compliance_notes = forms.CharField(label="Notes on compliance", required=False, max_length=5000,
                                       widget=forms.Textarea(attrs={"rows": 3}),
                                       help_text="Needed when it does not: say which requirement it misses.")
    quality = _score("Quality (0 to 100)")
    outcomes = _score("Outcomes (0 to 100)")
    social_value = _score("Social value (0 to 100)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(Field.radios("compliant", legend_size=Size.SMALL, inline=True),
                                    "compliance_notes", Field.text("quality", field_width=Fixed.FIVE),
                                    Field.text("outcomes", field_width=Fixed.FIVE),
                                    Field.text("social_value", field_width=Fixed.FIVE))

    @classmethod
    def initial_from(cls, evaluation) -> dict:
        if evaluation is None:
            return {}
        return {"compliant": "yes" if evaluation.compliant else "no",
                "compliance_notes": evaluation.compliance_notes, "quality": evaluation.quality,
                "outcomes": evaluation.outcomes, "social_value": evaluation.social_value}


class NegotiationForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Record the negotiation"

    note = forms.CharField(label="What was discussed and agreed", widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=5000, error_messages={"required": "Record what was discussed"})
    price_after = _money("Agreed weekly price, in pounds")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout("note", Field.text("price_after", field_width=Fixed.TEN))


class AwardForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Continue"

    bid = forms.TypedChoiceField(label="Which bid is awarded?", coerce=int, widget=forms.RadioSelect,
                                 error_messages={"required": "Choose the bid to award",
                                                 "invalid_choice": "Choose one of the bids listed"})
    expressed_by = forms.CharField(label="Whose preference chose it?", required=False, max_length=150,
                                   help_text="Needed when more than one compliant bid fits the budget: the "
                                             "person, or who in their family, for example: her mother.")
    preference_notes = forms.CharField(label="Notes on the preference (optional)", required=False,
                                       max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    exception_reason = forms.CharField(label="Reason for an exception", required=False, max_length=5000,
                                       widget=forms.Textarea(attrs={"rows": 3}),
                                       help_text="Only to award a bid that is not a compliant bid within the "
                                                 "budget.")

    def __init__(self, *args, bids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bid"].choices = [
            (bid.pk, f"{bid.provider.name}: £{bid.weekly_price} a week") for bid in bids]


class NoAwardForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Record the outcome"

    next_step = forms.ChoiceField(label="What happens next?", choices=NoAward.Next.choices, widget=forms.RadioSelect,
                                  error_messages={"required": "Choose what happens next"})
    reason = forms.CharField(label="Why was nothing awarded?", widget=forms.Textarea(attrs={"rows": 4}),
                             max_length=5000, error_messages={"required": "Say why nothing was awarded"})


class WithdrawForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    """Why a sourcing request ends without award: a draft cancelled or a
    published package withdrawn. Continue shows the answers to check."""

    submit_label = "Continue"

    reason = forms.ChoiceField(label="Why is it ending?", choices=Withdrawal.Reason.choices,
                               widget=forms.RadioSelect, error_messages={"required": "Choose why it is ending"})
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Needed for another reason. Once published, every invited provider is told "
                                     "the reason and this note: never write anything that could identify the "
                                     "person.")


class RepublishForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Make the new draft"

    lot = forms.TypedChoiceField(label="Which lot?", coerce=int, widget=forms.RadioSelect,
                                 help_text="The same lot, or another of the agreement to reach more providers.",
                                 error_messages={"required": "Choose the lot",
                                                 "invalid_choice": "Choose one of the lots listed"})

    def __init__(self, *args, lots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lots = {lot.pk: lot for lot in lots}
        self.fields["lot"].choices = [(lot.pk, f"Lot {lot.number}: {lot.title}") for lot in lots]


class PackageFilterForm(forms.Form):
    """The staff list's filters, from the query string."""

    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any"), *Package.Status.choices])
    client_group = forms.ChoiceField(label="Client group", required=False)
    primary_need = forms.ChoiceField(label="Primary need", required=False,
                                     choices=[("", "Any"), *Package.PrimaryNeed.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_group"].choices = [("", "Any"), *ClientGroup.objects.values_list("code", "name")]


class UtilisationFilterForm(forms.Form):
    """The report's date range, from the query string (the page's form, the
    CSV link and the API take the same parameters)."""

    start = forms.DateField(label="From", required=False, input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                            help_text="For example, 2026-04-01",
                            error_messages={"invalid": "Enter a date like 2026-04-01"})
    end = forms.DateField(label="To", required=False, input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                          help_text="For example, 2027-03-31",
                          error_messages={"invalid": "Enter a date like 2027-03-31"})

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", "The end of the range must be on or after its start")
        return cleaned
