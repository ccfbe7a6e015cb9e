"""A page with one form that calls one service: shown on GET; on POST the
form is checked, the service called, and its refusal shown against the
fields it names (with a 400), or the person sent on with a message.

Views say what the page is about (`load`), who may use it (`check`), the
form, and what to do with valid input (`perform`, which returns the
redirect). The template owns the <form> tag."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render


class FormPageMixin:
    form_class = None
    template_name = ""
    title = ""

    def load(self, **kwargs) -> None:
        """Find what the page is about from the URL (raise Http404 if it is not there)."""

    def check(self) -> None:
        """Refuse with PermissionDenied (self.require) when this person may not use the form."""

    def get_form_kwargs(self) -> dict:
        return {}

    def get_form(self, data=None):
        return self.form_class(data=data, **self.get_form_kwargs())

    def page_context(self) -> dict:
        return {}

    def perform(self, form):
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        self.load(**kwargs)
        self.check()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_form(self.get_form())

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                response = self.perform(form)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return response
        return self.render_form(form, status=400)

    def success(self, message: str) -> None:
        messages.success(self.request, message)

    def render_form(self, form, status: int = 200):
        context = {"form": form, "title": self.title, "access": self.access, **self.page_context()}
        return render(self.request, self.template_name, context, status=status)
