"""Provider self-service on the regional site: /providers/..."""

from django.urls import path

from shared_catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.MyProvidersView.as_view(), name="mine"),
    path("register/", views.RegisterView.as_view(), name="register"),
    path("<int:provider_id>/", views.ProviderHomeView.as_view(), name="provider"),
    path("<int:provider_id>/profile/", views.ProfileView.as_view(), name="profile"),
    path("<int:provider_id>/people/", views.PeopleView.as_view(), name="people"),
    path("<int:provider_id>/people/<int:membership_id>/remove/", views.PersonRemoveView.as_view(),
         name="person-remove"),
    path("<int:provider_id>/evidence/", views.EvidenceView.as_view(), name="evidence"),
    path("<int:provider_id>/evidence/<int:evidence_id>/", views.EvidenceDetailView.as_view(),
         name="evidence-detail"),
    path("<int:provider_id>/evidence/<int:evidence_id>/download/", views.EvidenceDownloadView.as_view(),
         name="evidence-download"),
]
