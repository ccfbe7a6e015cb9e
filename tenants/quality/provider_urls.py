"""Performance returns for providers: /a/<slug>/provider/quality/..."""

from django.urls import path

from tenants.quality import provider_views as views

app_name = "provider-quality"

urlpatterns = [
    path("", views.ReturnListView.as_view(), name="returns"),
    path("<int:return_id>/", views.ReturnSubmitView.as_view(), name="return"),
    path("assessments/<int:assessment_id>/", views.AssessmentRespondView.as_view(), name="assessment"),
    path("actions/<int:action_id>/", views.ActionRespondView.as_view(), name="action"),
]
