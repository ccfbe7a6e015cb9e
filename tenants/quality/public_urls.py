"""Feedback without signing in: /a/<slug>/feedback/<token>/"""

from django.urls import path

from tenants.quality import public_views as views

app_name = "quality-public"

urlpatterns = [
    path("<str:token>/", views.FeedbackView.as_view(), name="feedback"),
]
