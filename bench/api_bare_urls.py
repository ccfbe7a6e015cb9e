"""The two bare views bench/api_overhead.py measures the authority's API
against: the same admissions, read by the same query from the same schema,
with none of the product's stack (no token, no tenant routing, no
throttling, no access policy, no middleware).

- /bare/django/<schema>/: a plain Django view: the selector's rows as
  `.values()`, one page of 50 and the count, as JsonResponse;
- /bare/drf/<schema>/: a DRF APIView with no authentication, permission or
  throttle classes: the same selector, serializer and paginator as the API.
"""

from django.http import JsonResponse
from django.urls import path
from django_tenants.utils import schema_context
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from api.pagination import PageNumberPagination
from api.v1.admissions import AdmissionOut
from tenants.admissions import selectors

FIELDS = ("id", "reference", "agreement__reference", "agreement__title", "lot__number", "lot__title",
          "provider__name", "application_id", "status", "admitted_at", "activated_at", "suspended_reason",
          "suspended_until", "removed_grounds", "outstanding")


def bare_django(request, schema):
    with schema_context(schema):
        admissions = selectors.admissions_for_staff()
        rows = list(admissions.values(*FIELDS)[:50])
        return JsonResponse({"count": admissions.count(), "results": rows})


class BareDRF(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request, schema):
        with schema_context(schema):
            paginator = PageNumberPagination()
            page = paginator.paginate_queryset(selectors.admissions_for_staff(), request, view=self)
            return paginator.get_paginated_response(AdmissionOut(page, many=True).data)


urlpatterns = [
    path("bare/django/<str:schema>/", bare_django),
    path("bare/drf/<str:schema>/", BareDRF.as_view()),
]
