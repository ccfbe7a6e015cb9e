"""The provider's side of stage 1 inside an authority: /a/<slug>/provider/..."""

from django.urls import path

from tenants.admissions import provider_views as views

app_name = "provider-admissions"

urlpatterns = [
    path("agreements/", views.AgreementListView.as_view(), name="agreements"),
    path("agreements/<int:agreement_id>/", views.AgreementDetailView.as_view(), name="agreement"),
    path("agreements/<int:agreement_id>/apply/", views.ApplicationStartView.as_view(), name="apply"),
    path("applications/", views.ApplicationListView.as_view(), name="applications"),
    path("applications/<int:application_id>/", views.ApplicationDetailView.as_view(), name="application"),
    path("applications/<int:application_id>/answers/", views.AnswersView.as_view(), name="answers"),
    path("applications/<int:application_id>/submit/", views.SubmitView.as_view(), name="submit"),
    path("applications/<int:application_id>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("applications/<int:application_id>/letter/", views.LetterView.as_view(), name="letter"),
]
