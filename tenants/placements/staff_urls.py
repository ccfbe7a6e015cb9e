"""Placements for an authority's staff: /a/<slug>/staff/placements/..."""

from django.urls import path

from tenants.placements import staff_views as views

app_name = "placements-staff"

urlpatterns = [
    path("", views.PlacementListView.as_view(), name="placements"),
    path("rates/", views.RateScheduleListView.as_view(), name="rates"),
    path("commitment/", views.CommitmentView.as_view(), name="commitment"),
    path("commitment.csv", views.CommitmentCSVView.as_view(), name="commitment-csv"),
    path("rates/<int:schedule_id>/apply/", views.UpliftApplyView.as_view(), name="uplift-apply"),
    path("<int:placement_id>/", views.PlacementDetailView.as_view(), name="placement"),
    path("<int:placement_id>/funders/", views.FundersView.as_view(), name="funders"),
    path("<int:placement_id>/go-live/", views.GoLiveView.as_view(), name="go-live"),
    path("<int:placement_id>/vary/", views.VaryView.as_view(), name="vary"),
    path("<int:placement_id>/end/", views.EndView.as_view(), name="end"),
]
