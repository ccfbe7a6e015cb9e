"""Call-offs for an authority's staff: /a/<slug>/staff/calloffs/..."""

from django.urls import path

from tenants.calloffs import staff_views as views

app_name = "calloffs-staff"

urlpatterns = [
    path("", views.PackageListView.as_view(), name="packages"),
    path("new/person/", views.PersonCreateView.as_view(), name="person-new"),
    path("new/", views.PackageCreateView.as_view(), name="new"),
    path("utilisation/", views.UtilisationView.as_view(), name="utilisation"),
    path("utilisation.csv", views.UtilisationCSVView.as_view(), name="utilisation-csv"),
    path("<int:package_id>/", views.PackageDetailView.as_view(), name="package"),
    path("<int:package_id>/edit/", views.PackageEditView.as_view(), name="edit"),
    path("<int:package_id>/publish/", views.PublishView.as_view(), name="publish"),
    path("<int:package_id>/people/<int:person_id>/", views.PersonIdentityView.as_view(), name="identity"),
    path("<int:package_id>/clarifications/", views.ClarificationListView.as_view(), name="clarifications"),
    path("<int:package_id>/clarifications/<int:clarification_id>/", views.ClarificationAnswerView.as_view(),
         name="clarification"),
    path("<int:package_id>/deadline/", views.DeadlineMoveView.as_view(), name="deadline"),
    path("<int:package_id>/clarification-deadline/", views.ClarificationDeadlineMoveView.as_view(),
         name="clarification-deadline"),
    path("<int:package_id>/bids/", views.BidListView.as_view(), name="bids"),
    path("<int:package_id>/bids.csv", views.BidsExportView.as_view(), name="bids-csv"),
    path("<int:package_id>/bids/<int:bid_id>/", views.BidDetailView.as_view(), name="bid"),
    path("<int:package_id>/bids/<int:bid_id>/evaluate/", views.BidEvaluateView.as_view(), name="evaluate"),
    path("<int:package_id>/bids/<int:bid_id>/negotiate/", views.BidNegotiateView.as_view(), name="negotiate"),
    path("<int:package_id>/award/", views.AwardView.as_view(), name="award"),
    path("<int:package_id>/no-award/", views.NoAwardView.as_view(), name="no-award"),
    path("<int:package_id>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("<int:package_id>/republish/", views.RepublishView.as_view(), name="republish"),
]
