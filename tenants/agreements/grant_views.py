"""Grants as pages. In the owning authority commissioners grant and revoke
(from the agreement's page); the grants page (/a/<slug>/staff/grants/) shows
its staff the placements called off or co-funded under grants, and the
granted body's staff, at the owner's address, their own call-offs and
placements; in the granted body's own authority it lists the grants it holds
and its joint placements (public projections). Recharges per period are read
by finance officers and commissioners of either."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from accounts.mixins import TenantPageMixin
from accounts.policy import Audience
from tenancy.models import Authority
from tenants.agreements import forms, grants
from tenants.agreements.models import CallOffGrant
from tenants.agreements.staff_views import ManagerFormPage
from tenants.calloffs import policy
from tenants.calloffs import selectors as calloff_selectors
from tenants.placements import joint, recharges
from tenants.placements import selectors as placement_selectors


class GrantCreateView(ManagerFormPage):
    title = "Grant the right to call off or co-fund"
    form_class = forms.GrantForm

    def get_form_kwargs(self):
        here = self.authority
        candidates = (Authority.objects.filter(is_active=True, kind__in=[Authority.Kind.COUNCIL,
                                                                         Authority.Kind.NHS_BODY])
                      .exclude(pk=here.pk).order_by("name"))
        return {"candidates": candidates, "lots": self.agreement.lots.order_by("number")}

    def extra_context(self):
        return {"intro": [
            "The authority you name can call off under this agreement in its own name, and/or pay a share of "
            "its placements, without a partnership (a council arrangement the NHS may call off from). Its "
            "brokers and commissioners work here on their own call-offs only; what they call off and fund is "
            "shown to both authorities.",
            "Without a pooled budget under section 75 of the NHS Act 2006, each funder stays accountable for "
            "its own individual purchasing agreement."]}

    def perform(self, form):
        grant = grants.grant_create(actor=self.request.user, agreement=self.agreement, **form.cleaned_data)
        self.success(f"{grant.grantee.name} may now {grant.rights_label} under {self.agreement.reference}.")
        return redirect(self.detail_url() + "#grants")


class GrantRevokeView(ManagerFormPage):
    title = "Revoke a grant"
    form_class = forms.RevokeGrantForm

    def load(self, agreement_id=None, grant_id=None, **kwargs):
        super().load(agreement_id=agreement_id)
        self.grant = CallOffGrant.objects.filter(pk=grant_id, agreement=self.agreement).select_related(
            "grantee").first()
        if self.grant is None:
            raise Http404("No such grant here.")

    def extra_context(self):
        return {"intro": [f"{self.grant.grantee.name} will not be able to make new call-offs or co-fund new "
                          "placements under this agreement. What it has called off, and the placements it "
                          "funds, stay visible to both authorities."]}

    def perform(self, form):
        grants.grant_revoke(actor=self.request.user, grant=self.grant, reason=form.cleaned_data["reason"])
        self.success(f"The grant to {self.grant.grantee.name} is revoked.")
        return redirect(self.detail_url() + "#grants")


class GrantedPage(TenantPageMixin, View):
    audience = Audience.GRANTED


class GrantsHomeView(GrantedPage):
    def get(self, request):
        access = self.access
        context = {"access": access, "authority": self.authority,
                   "can_recharges": policy.can_view_recharges(access)}
        if access.is_staff:
            context |= {
                "held": grants.grants_held(self.authority),
                "joint": (joint.joint_placements_seen_by(self.authority)
                          if policy.can_view_placements(access) else None),
                "placements": (placement_selectors.placements_joint()
                               if policy.can_view_placements(access) else None),
                "given": grants.grants_for_owner()}
        else:
            ids = access.granted_authority_ids()
            context |= {"packages": calloff_selectors.packages_for_grantee(access),
                        "can_call_off": any(g.current and g.may_call_off and g.roles.intersection(policy.SOURCING)
                                            for g in access.grants),
                        "placements": placement_selectors.placements_under_grants(ids)}
        return render(request, "agreements/grants/home.html", context)


class RechargesView(GrantedPage):
    def get(self, request):
        self.require(policy.can_view_recharges(self.access),
                     "Only finance officers and commissioners read recharges.")
        kind, starts_on = request.GET.get("period", ""), request.GET.get("starts_on", "")
        context = {"access": self.access, "authority": self.authority, "kinds": recharges.KINDS.items(),
                   "kind": kind, "starts_on": starts_on, "errors": {}}
        status = 200
        if kind or starts_on:
            try:
                from datetime import date

                try:
                    day = date.fromisoformat(starts_on)
                except ValueError:
                    raise ValidationError({"starts_on": "Enter the first day as a date, like 2026-04-01."}) \
                        from None
                period = recharges.period_for(kind=kind, starts_on=day)
            except ValidationError as error:
                context["errors"], status = error.message_dict, 400
            else:
                roles = policy.RECHARGE_ROLES
                scope = None if self.access.has_role(*roles) else self.access.granted_authority_ids(*roles)
                lines = recharges.recharges(period=period, authority_ids=scope)
                context |= {"period": period, "lines": lines, "totals": recharges.recharge_totals(lines)}
        return render(request, "agreements/grants/recharges.html", context, status=status)
