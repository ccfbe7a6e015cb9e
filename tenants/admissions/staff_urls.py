"""Applications and admissions inside an authority (tenant URLconf):
/a/<slug>/staff/applications/... and /a/<slug>/staff/admissions/..."""

from django.urls import path

from tenants.admissions import staff_views as views

application_patterns = ([
    path("", views.ApplicationListView.as_view(), name="list"),
    path("assigned/", views.AssignedListView.as_view(), name="assigned"),
    path("<int:application_id>/", views.ApplicationDetailView.as_view(), name="detail"),
    path("<int:application_id>/evaluators/", views.AssignView.as_view(), name="assign"),
    path("<int:application_id>/extension/", views.ExtendView.as_view(), name="extend"),
    path("<int:application_id>/moderation/open/", views.ModerationOpenView.as_view(), name="moderation-open"),
    path("<int:application_id>/moderation/", views.ModerationView.as_view(), name="moderation"),
    path("<int:application_id>/moderation/<int:question_id>/", views.ModerateQuestionView.as_view(),
         name="moderate"),
    path("<int:application_id>/decision/", views.DecisionView.as_view(), name="decision"),
    path("<int:application_id>/letter/", views.LetterView.as_view(), name="letter"),
    path("<int:application_id>/evaluate/", views.EvaluateView.as_view(), name="evaluate"),
    path("<int:application_id>/declaration/", views.DeclarationView.as_view(), name="declare"),
    path("<int:application_id>/scores/", views.ScoresView.as_view(), name="scores"),
], "applications-staff")

admission_patterns = ([
    path("", views.AdmissionListView.as_view(), name="list"),
    path("<int:admission_id>/", views.AdmissionDetailView.as_view(), name="detail"),
    path("<int:admission_id>/onboarding/<int:item_id>/", views.OnboardingView.as_view(), name="onboarding"),
    path("<int:admission_id>/activate/", views.AdmissionActivateView.as_view(), name="activate"),
    path("<int:admission_id>/suspend/", views.AdmissionSuspendView.as_view(), name="suspend"),
    path("<int:admission_id>/reinstate/", views.AdmissionReinstateView.as_view(), name="reinstate"),
    path("<int:admission_id>/remove/", views.AdmissionRemoveView.as_view(), name="remove"),
], "admissions-staff")
