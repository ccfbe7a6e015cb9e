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
    path("risk/", views.RiskDashboardView.as_view(), name="risk"),
    path("risk/regional/", views.RegionalRiskView.as_view(), name="risk-regional"),
    path("providers/<int:provider_id>/", views.ProviderOversightView.as_view(), name="provider"),
    path("providers/<int:provider_id>/intelligence/new/", views.IntelligenceCreateView.as_view(),
         name="intelligence-new"),
    path("providers/<int:provider_id>/actions/new/", views.ActionCreateView.as_view(), name="action-new"),
    path("providers/<int:provider_id>/assessments/new/", views.AssessmentCreateView.as_view(),
         name="assessment-new"),
    path("assessments/<int:assessment_id>/", views.AssessmentView.as_view(), name="assessment"),
    path("assessments/<int:assessment_id>/standards/<str:standard>/", views.StandardValidateView.as_view(),
         name="standard"),
    path("assessments/<int:assessment_id>/self-assessment-due/", views.SelfAssessmentDueView.as_view(),
         name="self-assessment-due"),
    path("assessments/<int:assessment_id>/follow-ups/new/", views.FollowUpCreateView.as_view(),
         name="follow-up-new"),
    path("follow-ups/<int:follow_up_id>/", views.FollowUpReviewView.as_view(), name="follow-up"),
    path("follow-ups/<int:follow_up_id>/done/", views.FollowUpDoneView.as_view(), name="follow-up-done"),
    path("actions/<int:action_id>/", views.ActionView.as_view(), name="action"),
    path("actions/<int:action_id>/lift/", views.ActionLiftView.as_view(), name="action-lift"),
    path("placements/<int:placement_id>/terminate/", views.PlacementTerminateView.as_view(),
         name="placement-terminate"),
    path("providers/<int:provider_id>/feedback-links/new/", views.FeedbackLinkCreateView.as_view(),
         name="feedback-link-new"),
    path("feedback/", views.FeedbackListView.as_view(), name="feedback"),
    path("feedback/<int:feedback_id>/", views.FeedbackModerateView.as_view(), name="feedback-moderate"),
]
