"""Performance returns for providers: /a/<slug>/provider/quality/..."""

from django.urls import path

from tenants.quality import provider_views as views

app_name = "provider-quality"

urlpatterns = [
    path("", views.ReturnListView.as_view(), name="returns"),
    path("<int:return_id>/", views.ReturnSubmitView.as_view(), name="return"),
    path("assessments/<int:assessment_id>/", views.AssessmentRespondView.as_view(), name="assessment"),
    path("assessments/<int:assessment_id>/self-assessment/", views.SelfAssessmentView.as_view(),
         name="self-assessment"),
    path("follow-ups/<int:follow_up_id>/", views.FollowUpDoneView.as_view(), name="follow-up"),
    path("actions/<int:action_id>/", views.ActionRespondView.as_view(), name="action"),
]
