"""The provider's side of stage 2 inside an authority: /a/<slug>/provider/calloffs/..."""

from django.urls import path

from tenants.calloffs import provider_views as views

app_name = "provider-calloffs"

urlpatterns = [
    path("", views.PackageListView.as_view(), name="packages"),
    path("<int:package_id>/", views.PackageView.as_view(), name="package"),
    path("<int:package_id>/questions/", views.ClarificationAskView.as_view(), name="ask"),
    path("<int:package_id>/bid/", views.BidView.as_view(), name="bid"),
    path("<int:package_id>/bid/withdraw/", views.BidWithdrawView.as_view(), name="withdraw"),
    path("<int:package_id>/start/", views.StartView.as_view(), name="start"),
]
