"""Feedback from people who use services: a short form reached from a link
the authority gives them, without signing in."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views import View

from accounts.mixins import TenantPageMixin
from accounts.policy import Audience
from tenants.quality import oversight
from tenants.quality.forms import FeedbackForm
from tenants.quality.models import FeedbackLink


class FeedbackView(TenantPageMixin, View):
    audience = Audience.PUBLIC

    def link(self, token):
        return FeedbackLink.objects.filter(token=token, active=True).select_related("provider").first()

    def show(self, request, link, form, status=200):
        return render(request, "quality/public/feedback.html", {"link": link, "form": form}, status=status)

    def get(self, request, token):
        link = self.link(token)
        return self.show(request, link, FeedbackForm(), status=200 if link else 404)

    def post(self, request, token):
        link = self.link(token)
        if link is None:
            return self.show(request, None, FeedbackForm(), status=404)
        form = FeedbackForm(request.POST)
        if form.is_valid():
            try:
                oversight.feedback_submit(token=token, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return render(request, "quality/public/thanks.html", {"link": link})
        return self.show(request, link, form, status=400)
