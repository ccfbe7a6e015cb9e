"""The regional site's API: /api/v1/..."""

from django.urls import path

from api.v1 import accounts, authorities

urlpatterns = [
    path("me/", accounts.MeView.as_view(), name="me"),
    path("tokens/", accounts.TokenListView.as_view(), name="tokens"),
    path("tokens/<str:token_key>/", accounts.TokenDetailView.as_view(), name="token-detail"),
    path("authorities/", authorities.AuthorityListView.as_view(), name="authorities"),
]
