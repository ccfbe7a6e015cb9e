"""The public directory on the regional site: /directory/... (no sign-in)."""

from django.urls import path

from shared_catalogue import directory_views

app_name = "directory"

urlpatterns = [
    path("", directory_views.DirectoryView.as_view(), name="list"),
    path("<int:provider_id>/", directory_views.DirectoryEntryView.as_view(), name="entry"),
]
