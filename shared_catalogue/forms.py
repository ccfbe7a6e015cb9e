from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from accounts.roles import ROLE_DESCRIPTIONS, ProviderRole
from shared_catalogue import selectors
from shared_catalogue.models import ClientGroup, EvidenceType, Provider, ServiceType
from tenancy.models import Authority
from web.forms import GovukFormMixin


class ListField(forms.CharField):
    """A comma-separated list in one text box: 'CW1, CW2, CH41'."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        value = super().to_python(value)
        return [item.strip() for item in value.replace("\n", ",").split(",") if item.strip()]


IDENTITY_FIELDS = ("legal_name", "name", "kind", "company_number", "charity_number", "cqc_provider_id")
CONTACT_FIELDS = ("address_line_1", "address_line_2", "town", "postcode", "website",
                  "contact_name", "contact_email", "contact_phone")


def _formfield(model_field, **kwargs):
    """A provider typing "meadowfarm.org.uk" means https, as Django 6 will assume."""
    if isinstance(model_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return model_field.formfield(**kwargs)


class ProviderRegisterForm(GovukFormMixin, forms.ModelForm):
    submit_label = "Register organisation"

    class Meta:
        formfield_callback = _formfield
        model = Provider
        fields = IDENTITY_FIELDS + CONTACT_FIELDS
        labels = {"name": "Trading name", "legal_name": "Legal name", "kind": "Type of organisation"}
        help_texts = {
            "legal_name": "As registered with Companies House or the Charity Commission.",
            "company_number": "8 digits, or 2 letters and 6 digits. Needed for companies and CICs.",
            "charity_number": "For a charity, for example 1234567 or SC012345.",
            "cqc_provider_id": "If you are registered with the CQC, for example 1-101641521.",
        }
        widgets = {"kind": forms.RadioSelect}

    def _post_clean(self):
        """Leave validation to the service, so forms and the API give the same messages."""


class ProviderProfileForm(GovukFormMixin, forms.ModelForm):
    submit_label = "Save profile"

    postcode_districts = ListField(label="Postcode districts you cover", required=False,
                                   help_text="Separate them with commas, for example CW1, CW2, CH41.")
    specialisms = ListField(label="Specialisms", required=False,
                            help_text="For example: positive behaviour support, sensory impairment.")
    languages = ListField(label="Languages your staff speak", required=False,
                          help_text="Besides English, for example: Welsh, Polish, British Sign Language.")
    cqc_locations = ListField(label="CQC location IDs", required=False,
                              help_text="Each place or service the CQC registers you for, for example "
                                        "1-101641521, 1-102233445. Ratings come from the CQC's data.")
    field_order = [*IDENTITY_FIELDS, "cqc_locations"]

    class Meta:
        formfield_callback = _formfield
        model = Provider
        fields = IDENTITY_FIELDS + CONTACT_FIELDS + (
            "description", "services", "client_groups", "areas", "postcode_districts",
            "specialisms", "languages", "capacity_statement",
        )
        labels = {"name": "Trading name", "legal_name": "Legal name", "kind": "Type of organisation",
                  "services": "Services you offer", "client_groups": "Who you support",
                  "areas": "Authority areas you work in"}
        widgets = {
            "kind": forms.RadioSelect,
            "services": forms.CheckboxSelectMultiple,
            "client_groups": forms.CheckboxSelectMultiple,
            "areas": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 5}),
            "capacity_statement": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = ServiceType.objects.all()
        self.fields["client_groups"].queryset = ClientGroup.objects.all()
        self.fields["areas"].queryset = Authority.objects.filter(
            is_active=True, kind__in=[Authority.Kind.COUNCIL, Authority.Kind.NHS_BODY])
        if self.instance.pk:
            self.fields["cqc_locations"].initial = list(
                self.instance.cqc_locations.values_list("location_id", flat=True))

    def _post_clean(self):
        """The service validates, so forms and the API give the same messages."""


class PersonAddForm(GovukFormMixin, forms.Form):
    submit_label = "Add person"

    email = forms.EmailField(label="E-mail address", max_length=254,
                             help_text="If they have no account yet, they are sent a link to set a password.")
    full_name = forms.CharField(label="Full name (optional)", max_length=150, required=False)
    role = forms.ChoiceField(label="Role", widget=forms.RadioSelect,
                             choices=[(r.value, f"{r.label}: {ROLE_DESCRIPTIONS[r]}") for r in ProviderRole])


class PersonRemoveForm(GovukFormMixin, forms.Form):
    submit_label = "Remove"

    reason = forms.CharField(label="Reason (optional)", max_length=500, required=False)


def _date_field(label, help_text, required=False):
    return DateInputField(label=label, help_text=help_text, required=required, require_all_fields=False)


class EvidenceUploadForm(GovukFormMixin, forms.Form):
    submit_label = "Upload"

    evidence_type = forms.ChoiceField(label="What is it?", choices=[("", "Choose a kind of document")]
                                      + list(EvidenceType.choices))
    title = forms.CharField(label="Title (optional)", max_length=200, required=False,
                            help_text="For example the insurer and policy number.")
    issued_on = _date_field("Date issued", "For example, 1 4 2026")
    expires_on = _date_field("Expiry date", "Needed for insurance and anything else that runs out")
    cover_amount = forms.DecimalField(label="Amount of cover, in pounds (insurance only)", required=False,
                                      max_digits=14, decimal_places=2, min_value=1)
    file = forms.FileField(label="The document",
                           help_text="PDF, Word, OpenDocument, Excel, PNG or JPEG, up to 10 MB.")

    def clean_evidence_type(self):
        value = self.cleaned_data["evidence_type"]
        if not value:
            raise forms.ValidationError("Choose what kind of document this is.")
        return value


class EvidenceDecisionForm(GovukFormMixin, forms.Form):
    submit_label = "Record decision"

    decision = forms.ChoiceField(label="Decision", widget=forms.RadioSelect,
                                 choices=[("verified", "Verified: it is what it says and covers what we need"),
                                          ("rejected", "Rejected: the provider must put it right")])
    reason = forms.CharField(label="Reason (needed when rejecting; the provider sees it)", required=False,
                             max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class DirectoryFilterForm(GovukFormMixin, forms.Form):
    """The public directory's filters, sent by GET so that a search is a link.
    The rules (known codes, a postcode's district) are the selector's, so the
    page and the API give the same messages."""

    q = forms.CharField(label="Search", required=False,
                        help_text="Words from a provider's name, what it offers or its services.",
                        widget=forms.TextInput(attrs={"type": "search", "spellcheck": "false"}))
    service = forms.CharField(label="Service", required=False, widget=forms.Select)
    client_group = forms.CharField(label="Who the support is for", required=False, widget=forms.Select)
    area = forms.CharField(label="Area", required=False, widget=forms.Select,
                           help_text="The council or NHS area the provider works in.")
    postcode = forms.CharField(label="Postcode or postcode district", required=False,
                               help_text="For example CW5 or CW5 6AA.",
                               widget=forms.TextInput(attrs={"autocomplete": "postal-code"}))

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        self.filters = None
        self.fields["service"].widget.choices = [("", "Any service")] + [(s.code, s.name) for s in options.services]
        self.fields["client_group"].widget.choices = [("", "Anyone")] + [
            (c.code, c.name) for c in options.client_groups]
        self.fields["area"].widget.choices = [("", "Any area")] + [(a.slug, a.name) for a in options.areas]
        # The page writes the <form method="get"> itself; the button sends no name=value of its own.
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # a search is a GET: no token in the address
        self.helper.inputs = []
        self.helper.layout = Layout(
            "q", "service", "client_group", "area", Field.text("postcode", field_width=10),
            Button.primary("", "Search", css_id="directory-search"),
        )

    def clean(self):
        data = super().clean()
        try:
            self.filters = selectors.directory_filters(
                options=self.options, **{name: data.get(name, "") for name in self.fields})
        except ValidationError as error:
            self.add_service_errors(error)
        return data
