"""On the regional site: where the person's organisations are admitted, in
every authority, read from the public projection in one query."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.views import View

from tenants.admissions import selectors


class AdmittedEverywhereView(LoginRequiredMixin, View):
    def get(self, request):
        rows = list(selectors.admitted_everywhere(request.user))
        return render(request, "admissions/provider/admitted_everywhere.html", {"rows": rows})
