"""Agreements open to providers' applications, on the regional site: /agreements/..."""

from django.urls import path

from shared_catalogue import open_agreement_views as views

app_name = "open-agreements"

urlpatterns = [
    path("", views.OpenAgreementsView.as_view(), name="list"),
    path("<slug:authority>/<int:agreement_id>/apply/", views.StartApplyingView.as_view(), name="apply"),
]
