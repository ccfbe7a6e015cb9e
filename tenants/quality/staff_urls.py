"""Contract management for an authority's staff: /a/<slug>/staff/quality/..."""

from django.urls import path

from tenants.quality import staff_views as views

app_name = "quality-staff"

urlpatterns = [
    path("", views.QualityHomeView.as_view(), name="home"),
    path("agreements/<int:agreement_id>/", views.KpiTableView.as_view(), name="table"),
    path("agreements/<int:agreement_id>/kpis/new/", views.KpiCreateView.as_view(), name="kpi-new"),
    path("returns/", views.ReturnListView.as_view(), name="returns"),
    path("returns/<int:return_id>/", views.ReturnDetailView.as_view(), name="return"),
]
