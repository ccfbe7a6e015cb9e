"""Pages about a person: their account (regional site) and an authority's team."""

from allauth.account.internal.flows import reauthentication
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from accounts import selectors, services
from accounts.forms import ApiTokenCreateForm, MembershipGrantForm, MembershipRevokeForm
from accounts.mixins import StaffPageMixin
from accounts.policy import can_manage_team, mfa_enabled, needs_mfa, token_management_refusal
from accounts.roles import AuthorityRole


class AccountView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/account.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(selectors.workspaces_for(user))
        context["mfa_enabled"] = mfa_enabled(user)
        context["needs_mfa"] = needs_mfa(user)
        context["after_mfa"] = self.request.session.get("jointly_after_mfa", "")
        return context


class ApiTokensView(LoginRequiredMixin, View):
    template_name = "accounts/tokens.html"

    def get(self, request):
        return self._render(ApiTokenCreateForm())

    def post(self, request):
        form = ApiTokenCreateForm(request.POST)
        created = None
        code, message = token_management_refusal(request, creating=True)
        if code == "recent-mfa-required":
            # allauth asks for a code and then replays this request
            return reauthentication.suspend_request(request, reverse("mfa_reauthenticate"))
        if code:
            form.add_error(None, message)
        elif form.is_valid():
            try:
                token, plain = services.api_token_create(
                    actor=request.user, name=form.cleaned_data["name"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                created = {"token": token, "plain": plain}
                form = ApiTokenCreateForm()
        return self._render(form, created=created, status=200 if created or not form.errors else 400)

    def _render(self, form, created=None, status=200):
        context = {
            "form": form,
            "created": created,
            "tokens": selectors.api_tokens_for(self.request.user),
            "mfa_blocks": not mfa_enabled(self.request.user),
        }
        return render(self.request, self.template_name, context, status=status)


class ApiTokenRevokeView(LoginRequiredMixin, View):
    def post(self, request, token_key):
        token = selectors.api_token_get(user=request.user, token_key=token_key)
        if token is None:
            raise Http404("No such token.")
        services.api_token_revoke(actor=request.user, token=token, reason="Revoked by its owner")
        messages.success(request, f"Token '{token.name}' was revoked. Anything using it is now refused.")
        return redirect("accounts:tokens")


class TeamView(StaffPageMixin, View):
    """An authority's role holders; its authority admins give and take roles."""

    template_name = "accounts/team.html"

    def get(self, request):
        return self._render(MembershipGrantForm() if can_manage_team(self.access) else None)

    def post(self, request):
        self.require(can_manage_team(self.access), "Only an authority admin can give roles.")
        form = MembershipGrantForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                membership = services.membership_grant_by_email(
                    actor=request.user, authority=self.authority, email=data["email"],
                    full_name=data["full_name"], role=data["role"], reason=data["reason"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                role = AuthorityRole(data["role"]).label.lower()
                messages.success(request, f"{membership.user.email} is now {role} at {self.authority.name}. "
                                          "They have been sent an e-mail.")
                return redirect("team:list")
        return self._render(form, status=400)

    def _render(self, form, status=200):
        context = {
            "access": self.access,
            "team": selectors.authority_team(authority=self.authority),
            "form": form,
            "can_manage": can_manage_team(self.access),
        }
        return render(self.request, self.template_name, context, status=status)


class MembershipRevokeView(StaffPageMixin, View):
    template_name = "accounts/membership_revoke.html"

    def dispatch(self, request, *args, **kwargs):
        self.require(can_manage_team(self.access), "Only an authority admin can take roles away.")
        self.membership = selectors.authority_membership_get(
            authority=self.authority, membership_id=kwargs["membership_id"]
        )
        if self.membership is None:
            raise Http404("No such role in this authority.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, membership_id):
        return self._render(MembershipRevokeForm())

    def post(self, request, membership_id):
        form = MembershipRevokeForm(request.POST)
        if form.is_valid():
            try:
                services.membership_revoke(actor=request.user, membership=self.membership,
                                           reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"{self.membership.user.email} no longer has the role "
                                          f"{self.membership.get_role_display().lower()}.")
                return redirect("team:list")
        return self._render(form, status=400)

    def _render(self, form, status=200):
        return render(self.request, self.template_name,
                      {"form": form, "membership": self.membership, "access": self.access}, status=status)
