"""The regional site's account pages."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.AccountView.as_view(), name="account"),
    path("tokens/", views.ApiTokensView.as_view(), name="tokens"),
    path("tokens/<str:token_key>/revoke/", views.ApiTokenRevokeView.as_view(), name="token-revoke"),
]
