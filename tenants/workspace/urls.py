from django.urls import path

from tenants.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.LandingView.as_view(), name="home"),
    path("staff/", views.StaffHomeView.as_view(), name="staff-home"),
    path("staff/notifications/", views.NotificationPreferencesView.as_view(), name="notifications"),
    path("provider/", views.ProviderHomeView.as_view(), name="provider-home"),
]
