"""The provider's own pages on the regional site: register once, keep the
profile, the people and the evidence locker that every authority relies on."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from shared_catalogue import dashboard, forms, policy, selectors, services
from shared_catalogue.models import PROFILE_RELATIONS


class MyProvidersView(LoginRequiredMixin, View):
    def get(self, request):
        providers = selectors.providers_for_member(request.user)
        return render(request, "shared_catalogue/my_providers.html", {"providers": providers})


class RegisterView(LoginRequiredMixin, View):
    template_name = "shared_catalogue/register.html"

    def get(self, request):
        return render(request, self.template_name, {"form": forms.ProviderRegisterForm()})

    def post(self, request):
        form = forms.ProviderRegisterForm(request.POST)
        if form.is_valid():
            try:
                provider = services.provider_register(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"{provider.name} is registered. Next, tell authorities what you "
                                          "offer and add your evidence.")
                after = request.GET.get("next", "")  # from the public list of open agreements: carry on there
                if after and url_has_allowed_host_and_scheme(after, allowed_hosts={request.get_host()},
                                                             require_https=request.is_secure()):
                    return redirect(after)
                return redirect("catalogue:provider", provider_id=provider.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class ProviderMixin(LoginRequiredMixin):
    """A page about one of the person's own organisations; anyone else's is not found."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.provider = selectors.provider_for_member(user=request.user, provider_id=kwargs["provider_id"])
        if self.provider is None:
            raise Http404("No such organisation among yours.")
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def roles(self) -> frozenset[str]:
        return policy.provider_roles(self.request.user, self.provider)

    def context(self, **extra):
        return {"provider": self.provider, "roles": self.roles,
                "can_edit": policy.can_edit_profile(self.roles),
                "can_manage_people": policy.can_manage_people(self.roles),
                "can_upload": policy.can_upload_evidence(self.roles), **extra}


class ProviderHomeView(ProviderMixin, View):
    def get(self, request, provider_id):
        evidence = list(selectors.provider_evidence(provider=self.provider))
        return render(request, "shared_catalogue/provider_home.html", self.context(
            people=selectors.provider_people(provider=self.provider),
            evidence_summary=selectors.evidence_summary(evidence),
            board=dashboard.for_provider(self.provider, evidence=evidence),
        ))


class ProfileView(ProviderMixin, View):
    template_name = "shared_catalogue/profile_form.html"

    def get(self, request, provider_id):
        if not policy.can_edit_profile(self.roles):
            raise PermissionDenied("Only the organisation's provider admins can change its profile.")
        return render(request, self.template_name, self.context(form=forms.ProviderProfileForm(instance=self.provider)))

    def post(self, request, provider_id):
        if not policy.can_edit_profile(self.roles):
            raise PermissionDenied("Only the organisation's provider admins can change its profile.")
        form = forms.ProviderProfileForm(request.POST, instance=self.provider)
        if form.is_valid():
            data = dict(form.cleaned_data)
            relations = {name: list(data.pop(name)) for name in PROFILE_RELATIONS}
            try:
                services.provider_profile_update(actor=request.user, provider=self.provider, **relations, **data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Profile saved. Authorities see this version from now on; "
                                          "earlier versions are kept.")
                return redirect("catalogue:provider", provider_id=self.provider.pk)
        return render(request, self.template_name, self.context(form=form), status=400)


class PeopleView(ProviderMixin, View):
    template_name = "shared_catalogue/people.html"

    def get(self, request, provider_id):
        form = forms.PersonAddForm() if policy.can_manage_people(self.roles) else None
        return self._render(form)

    def post(self, request, provider_id):
        if not policy.can_manage_people(self.roles):
            raise PermissionDenied("Only the organisation's provider admins can add people.")
        form = forms.PersonAddForm(request.POST)
        if form.is_valid():
            try:
                membership = services.provider_person_add(actor=request.user, provider=self.provider,
                                                          **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"{membership.user.email} is now {membership.get_role_display().lower()} "
                                          f"at {self.provider.name}. They have been sent an e-mail.")
                return redirect("catalogue:people", provider_id=self.provider.pk)
        return self._render(form, status=400)

    def _render(self, form, status=200):
        return render(self.request, self.template_name, self.context(
            people=selectors.provider_people(provider=self.provider), form=form), status=status)


class PersonRemoveView(ProviderMixin, View):
    template_name = "shared_catalogue/person_remove.html"

    def _membership(self, membership_id):
        if not policy.can_manage_people(self.roles):
            raise PermissionDenied("Only the organisation's provider admins can remove people.")
        membership = selectors.provider_membership_get(provider=self.provider, membership_id=membership_id)
        if membership is None:
            raise Http404("No such role in this organisation.")
        return membership

    def get(self, request, provider_id, membership_id):
        membership = self._membership(membership_id)
        return render(request, self.template_name, self.context(membership=membership,
                                                                form=forms.PersonRemoveForm()))

    def post(self, request, provider_id, membership_id):
        membership = self._membership(membership_id)
        form = forms.PersonRemoveForm(request.POST)
        if form.is_valid():
            try:
                services.provider_person_remove(actor=request.user, membership=membership,
                                                reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"{membership.user.email} no longer has the role "
                                          f"{membership.get_role_display().lower()}.")
                return redirect("catalogue:people", provider_id=self.provider.pk)
        return render(request, self.template_name, self.context(membership=membership, form=form), status=400)


class EvidenceView(ProviderMixin, View):
    """The evidence locker: what is held, how it stands, and a way to add more."""

    template_name = "shared_catalogue/evidence.html"

    def get(self, request, provider_id):
        initial = {}
        replaces = self._replaces(request.GET.get("replaces"))
        if replaces:
            initial = {"evidence_type": replaces.evidence_type, "title": replaces.title}
        form = forms.EvidenceUploadForm(initial=initial) if policy.can_upload_evidence(self.roles) else None
        return self._render(form, replaces)

    def post(self, request, provider_id):
        if not policy.can_upload_evidence(self.roles):
            raise PermissionDenied("Only the organisation's provider admins and bid writers can add evidence.")
        replaces = self._replaces(request.POST.get("replaces"))
        form = forms.EvidenceUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                evidence = services.evidence_upload(actor=request.user, provider=self.provider,
                                                    upload=form.cleaned_data.pop("file"), replaces=replaces,
                                                    **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"{evidence.get_evidence_type_display()} added. An authority officer "
                                          "will check it; every authority can then rely on that check.")
                return redirect("catalogue:evidence", provider_id=self.provider.pk)
        return self._render(form, replaces, status=400)

    def _replaces(self, evidence_id):
        if not evidence_id:
            return None
        evidence = selectors.evidence_get(provider=self.provider, evidence_id=evidence_id)
        return evidence if evidence is not None and evidence.is_current else None

    def _render(self, form, replaces=None, status=200):
        evidence = list(selectors.provider_evidence(provider=self.provider))
        rows = [(item, selectors.evidence_status(item)) for item in evidence]
        return render(self.request, self.template_name, self.context(
            rows=rows, form=form, replaces=replaces, summary=selectors.evidence_summary(evidence)),
            status=status)


class EvidenceDetailView(ProviderMixin, View):
    def get(self, request, provider_id, evidence_id):
        evidence = selectors.evidence_get(provider=self.provider, evidence_id=evidence_id)
        if evidence is None:
            raise Http404("No such document in this organisation's locker.")
        return render(request, "shared_catalogue/evidence_detail.html", self.context(
            evidence=evidence, status=selectors.evidence_status(evidence),
            download_url=reverse("catalogue:evidence-download", kwargs={
                "provider_id": self.provider.pk, "evidence_id": evidence.pk})))


class EvidenceDownloadView(ProviderMixin, View):
    def get(self, request, provider_id, evidence_id):
        evidence = selectors.evidence_get(provider=self.provider, evidence_id=evidence_id)
        if evidence is None:
            raise Http404("No such document in this organisation's locker.")
        return evidence_file_response(evidence)


def evidence_file_response(evidence) -> FileResponse:
    """The stored file as a download, never rendered by the browser."""
    from django.utils.text import slugify

    extension = evidence.storage_key.rsplit(".", 1)[-1]
    name = f"{slugify(evidence.provider.name)}-{slugify(evidence.get_evidence_type_display())}.{extension}"
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.")
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=evidence.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
