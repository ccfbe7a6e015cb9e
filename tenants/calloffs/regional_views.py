"""On the regional site: every open opportunity for the person's
organisations, in every authority, read from the public projection in one
query."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.views import View

from tenants.calloffs import selectors


class OpportunitiesView(LoginRequiredMixin, View):
    def get(self, request):
        rows = list(selectors.opportunities_for(request.user))
        return render(request, "calloffs/provider/opportunities.html", {"rows": rows})
