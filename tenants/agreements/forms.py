"""Forms for setting up and running agreements. They check the shape of the
input only; the services decide what is allowed, and their refusals are
shown against these fields (GovukFormMixin.add_service_errors)."""

from __future__ import annotations

from crispy_forms_gds.fields import DateInputField
from django import forms

from shared_catalogue.models import EvidenceType, ServiceType
from tenants.agreements.models import Agreement, Lot, Question, default_onboarding
from web.forms import GovukFormMixin


def date_field(label: str, help_text: str = "For example, 1 4 2026", required: bool = False):
    return DateInputField(label=label, help_text=help_text, required=required, require_all_fields=False)


class ListField(forms.CharField):
    """Several values in one box, one a line (or, with `commas`, separated by commas)."""

    def __init__(self, *, commas: bool = False, **kwargs):
        self.commas = commas
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        value = super().to_python(value)
        if self.commas:
            value = value.replace(",", "\n")
        return [item.strip() for item in value.splitlines() if item.strip()]


def relayout(form) -> None:
    """Fields added after the form was made: the helper's layout must list them too."""
    form.helper.layout = form.helper.build_default_layout(form)


def reason_field(label: str = "Reason", help_text: str = "", required: bool = False):
    return forms.CharField(label=label, help_text=help_text, required=required, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class AgreementForm(GovukFormMixin, forms.Form):
    submit_label = "Create agreement"

    kind = forms.ChoiceField(label="Kind of agreement", choices=Agreement.Kind.choices, widget=forms.RadioSelect)
    title = forms.CharField(label="Title", max_length=200)
    reference = forms.CharField(label="Reference", max_length=60,
                                help_text="Your own reference, for example CEC-DAYOPS-FPS-2022.")
    service_area = forms.CharField(label="Service area", max_length=200,
                                   help_text="For example: day opportunities for adults.")
    description = forms.CharField(label="Description (optional)", required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    starts_on = date_field("Start date", required=True)
    ends_on = date_field("End date", "Without extensions, for example 31 7 2027", required=True)
    extension_options = forms.CharField(label="Extension options (optional)", max_length=200, required=False,
                                        help_text="For example: two further periods of 12 months.")
    estimated_value = forms.DecimalField(label="Estimated value in pounds (optional)", required=False,
                                         max_digits=14, decimal_places=2, min_value=0,
                                         help_text="Over the whole term including extensions.")
    notice_references = ListField(label="Notice references (optional)", required=False, commas=True,
                                  help_text="Find a Tender and Contracts Finder references, one a line.")
    decision_working_days = forms.IntegerField(label="Working days to decide an application", initial=10,
                                               min_value=1, max_value=120)
    decision_extended_working_days = forms.IntegerField(
        label="The most it may be extended to, in working days", initial=15, min_value=1, max_value=120)
    membership_cap = forms.IntegerField(label="Most providers per lot (optional, FPS only)", required=False,
                                        min_value=1)
    onboarding_checklist = ListField(label="Onboarding checklist", required=False,
                                     help_text="What an admitted provider must complete before call-offs, "
                                               "one item a line.")
    call_off_authorities = forms.ModelMultipleChoiceField(
        label="Who may call off", queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Left empty: the authority itself, or for a partnership every member.")

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["onboarding_checklist"].initial = default_onboarding()
        self.fields["call_off_authorities"].queryset = candidates


class LotForm(GovukFormMixin, forms.Form):
    submit_label = "Add lot"

    number = forms.CharField(label="Lot number", max_length=20, help_text="1, 2, 3a ...",
                             widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}))
    title = forms.CharField(label="Title", max_length=200)
    description = forms.CharField(label="Description (optional)", required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    service_type = forms.ModelChoiceField(label="Service type (optional)", queryset=ServiceType.objects.all(),
                                          required=False, empty_label="Not one of the catalogue's types")
    tier = forms.CharField(label="Tier (optional)", max_length=60, required=False,
                           help_text="For example: Tier 1, Tier 2, Specialist.")
    zone = forms.CharField(label="Zone (optional)", max_length=60, required=False,
                           help_text="For example: Zone 3 (Rotherham South).")

    def __init__(self, *args, live: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if live:
            self.fields["reason"] = reason_field(
                "Why is the lot being added?", "The agreement is live: the change is kept as a modification.")
            relayout(self)


class RoundForm(GovukFormMixin, forms.Form):
    submit_label = "Add round"

    opens_on = date_field("Opens on", required=True)
    closes_on = date_field("Closes on", required=True)


class QuestionnaireSettingsForm(GovukFormMixin, forms.Form):
    submit_label = "Save settings"

    pass_threshold = forms.DecimalField(label="Pass mark, in per cent", max_digits=5, decimal_places=2,
                                        min_value=0, max_value=100,
                                        help_text="The weighted quality score needed to pass, for example 60.")
    scale_max = forms.IntegerField(label="Highest score", min_value=1, max_value=10,
                                   help_text="Quality answers are scored from 0 to this, for example 5.")
    scale_guidance = forms.CharField(label="What each score means (optional)", required=False,
                                     widget=forms.Textarea(attrs={"rows": 5}))


class QuestionForm(GovukFormMixin, forms.Form):
    submit_label = "Add question"

    kind = forms.ChoiceField(label="Kind of question", choices=Question.Kind.choices, widget=forms.RadioSelect)
    text = forms.CharField(label="Question", widget=forms.Textarea(attrs={"rows": 3}))
    guidance = forms.CharField(label="Guidance for applicants (optional)", required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))
    weight = forms.DecimalField(label="Weight (quality questions)", required=False, max_digits=5,
                                decimal_places=2, min_value=0, help_text="For example 40. Leave empty for "
                                                                         "compliance questions.")
    evidence_types = forms.MultipleChoiceField(
        label="Catalogue evidence that meets it (compliance questions)", choices=EvidenceType.choices,
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text="A verified, in-date document of one of these kinds is reused; the provider is not asked again.")
    lot = forms.ModelChoiceField(label="Only for one lot (optional)", queryset=None, required=False,
                                 empty_label="Every lot")

    def __init__(self, *args, lots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = lots


class ConfirmForm(GovukFormMixin, forms.Form):
    """Nothing to fill in: the button is the decision."""

    def __init__(self, *args, submit_label: str = "Confirm", **kwargs):
        self.submit_label = submit_label
        super().__init__(*args, **kwargs)


class OpenForm(ConfirmForm):
    def __init__(self, *args, needs_initial_period: bool, initial=None, **kwargs):
        super().__init__(*args, submit_label="Open for applications", initial=initial, **kwargs)
        if needs_initial_period:
            self.fields["initial_period_ends_on"] = date_field(
                "The initial period for requests to participate ends on",
                "No call-off is made before then.")
            relayout(self)


class ReasonForm(ConfirmForm):
    def __init__(self, *args, reason_label: str = "Reason", reason_help: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"] = reason_field(reason_label, reason_help)
        relayout(self)


class CallOffForm(GovukFormMixin, forms.Form):
    submit_label = "Save who may call off"

    authorities = forms.ModelMultipleChoiceField(label="Who may call off", queryset=None, required=False,
                                                 widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, candidates, live: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authorities"].queryset = candidates
        if live:
            self.fields["reason"] = reason_field(
                "Why is this changing?", "The agreement is live: the change is kept as a modification.")
            relayout(self)


class GrantForm(GovukFormMixin, forms.Form):
    """A grant on this agreement to another authority; the service decides."""

    submit_label = "Grant"

    grantee = forms.ModelChoiceField(label="Which authority?", queryset=None, empty_label="Choose an authority",
                                     help_text="An NHS body (an ICB, say) or another council.")
    may_call_off = forms.BooleanField(label="May call off under this agreement, in its own name", required=False)
    may_co_fund = forms.BooleanField(label="May co-fund placements under this agreement", required=False)
    lots = forms.ModelMultipleChoiceField(label="Which lots may it call off from?", queryset=None, required=False,
                                          widget=forms.CheckboxSelectMultiple,
                                          help_text="Choose none for every lot.")
    starts_on = date_field("From", required=True)
    ends_on = date_field("Until (optional)", "Leave it blank for the agreement's life. For example, 31 3 2027")
    purchasing_agreement = forms.CharField(label="Its own purchasing agreement reference", max_length=120,
                                           help_text="Each funder stays accountable for its own individual "
                                                     "purchasing agreement.")
    reason = forms.CharField(label="Why, and on whose decision?", max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, candidates, lots=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grantee"].queryset = candidates
        self.fields["lots"].queryset = lots if lots is not None else Lot.objects.none()
        self.fields["lots"].label_from_instance = lambda lot: f"Lot {lot.number}: {lot.title}"


class RevokeGrantForm(GovukFormMixin, forms.Form):
    submit_label = "Revoke the grant"

    reason = forms.CharField(label="Why is the grant revoked?", max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 3}))
