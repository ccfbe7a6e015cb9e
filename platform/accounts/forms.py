from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth.hashers import make_password

from accounts.roles import ROLE_DESCRIPTIONS, AuthorityRole
from web.forms import GovukFormMixin


class MembershipGrantForm(GovukFormMixin, forms.Form):
    submit_label = "Give role"

    email = forms.EmailField(
        label="E-mail address",
        help_text="If they have no account yet, one is made and they are sent a link to set a password.",
        max_length=254,
    )
    full_name = forms.CharField(label="Full name (optional)", max_length=150, required=False)
    role = forms.ChoiceField(
        label="Role",
        choices=[(r.value, f"{r.label}: {ROLE_DESCRIPTIONS[r]}") for r in AuthorityRole],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label="Reason (recorded in the audit trail)", required=False,
                             max_length=500)


class MembershipRevokeForm(GovukFormMixin, forms.Form):
    submit_label = "Take role away"

    reason = forms.CharField(label="Why is the role being taken away?", max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}))


class ApiTokenCreateForm(GovukFormMixin, forms.Form):
    submit_label = "Create token"

    EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year")]

    name = forms.CharField(label="Name", max_length=100,
                           help_text="What will use it, for example 'Monthly returns script'.")
    expires_in_days = forms.TypedChoiceField(label="Expires after", choices=EXPIRY_CHOICES, coerce=int,
                                             widget=forms.RadioSelect, initial="90",
                                             help_text="Every token expires, within a year.")


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form, doing the same work whether or not the address
    already has an account, so the time taken does not tell which.

    For a known address allauth creates nothing and e-mails the owner that
    they already have an account (both paths send one e-mail, by the same
    adapter); the password is hashed anyway, as it would be for a new account,
    because that hashing is most of the time a new sign-up takes."""

    full_name = forms.CharField(label="Full name", max_length=150,
                                error_messages={"required": "Enter your full name."},
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))

    field_order = ["full_name", "email", "password1", "password2"]

    def clean_full_name(self):
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError("Enter your full name.")
        return name

    def signup(self, request, user):
        user.full_name = self.cleaned_data["full_name"]
        user.save(update_fields=["full_name"])

    def try_save(self, request):
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1") or None)
        return super().try_save(request)
