"""Agreements open to providers, on the regional site: /agreements/ (no
sign-in), and the way in for a provider who wants to apply: sign up (or
sign in), register the organisation, then apply inside the authority. The
`next` address is carried through each step."""

from __future__ import annotations

from urllib.parse import urlencode

from crispy_forms_gds.layout import Button, Layout
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from accounts.models import ProviderMembership
from accounts.roles import ProviderRole
from shared_catalogue import open_agreements
from shared_catalogue.models import ServiceType
from tenancy.routing import public_reverse, tenant_reverse
from web.forms import GovukFormMixin


class OpenAgreementFilterForm(GovukFormMixin, forms.Form):
    """Filters by GET, so that a search is a link; the rules are the selector's."""

    q = forms.CharField(label="Search", required=False, help_text="Words from the agreement's title or service.",
                        widget=forms.TextInput(attrs={"type": "search", "spellcheck": "false"}))
    authority = forms.CharField(label="Authority", required=False, widget=forms.Select)
    service = forms.CharField(label="Service", required=False, widget=forms.Select)
    when = forms.CharField(label="When", required=False, widget=forms.Select(
        choices=list(open_agreements.WHEN.items())))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters = None
        self.fields["authority"].widget.choices = [("", "Any authority")] + [
            (a.slug, a.name) for a in open_agreements.authorities()]
        self.fields["service"].widget.choices = [("", "Any service")] + [
            (s.code, s.name) for s in ServiceType.objects.order_by("position", "name")]
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.inputs = []
        self.helper.layout = Layout("q", "authority", "service", "when",
                                    Button.primary("", "Search", css_id="open-agreements-search"))

    def clean(self):
        data = super().clean()
        try:
            self.filters = open_agreements.filters_from(**{name: data.get(name, "") for name in self.fields})
        except ValidationError as error:
            self.add_service_errors(error)
        return data


class OpenAgreementsView(View):
    template_name = "shared_catalogue/open_agreements/list.html"

    def get(self, request):
        form = OpenAgreementFilterForm(request.GET)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        rows = list(open_agreements.windows(filters=form.filters))
        return render(request, self.template_name, {"form": form, "rows": rows, "when": form.filters.when})


def _may_apply(user) -> bool:
    return ProviderMembership.objects.current().filter(
        user=user, provider__is_active=True,
        role__in=[ProviderRole.PROVIDER_ADMIN, ProviderRole.BID_WRITER]).exists()


class StartApplyingView(View):
    """The "Apply" link of the public list: the next step for whoever follows
    it. Not signed in: create an account (or sign in), then come back here.
    No organisation yet: register it, then come back here. Otherwise: the
    authority's application form for this agreement."""

    def get(self, request, authority, agreement_id):
        here = request.get_full_path()
        found = open_agreements.authorities().filter(slug=authority).first()
        window = found and open_agreements.window_get(authority=found, agreement_id=agreement_id)
        if not window:
            raise Http404("No agreement with that number is open to applications now.")
        if not request.user.is_authenticated:
            return redirect(f"{public_reverse('account_signup')}?{urlencode({'next': here})}")
        if not _may_apply(request.user):
            messages.info(request, f"Register your organisation first: then you can apply to {window.title}.")
            return redirect(f"{public_reverse('catalogue:register')}?{urlencode({'next': here})}")
        return redirect(tenant_reverse(found, "provider-admissions:apply", args=[agreement_id]))
