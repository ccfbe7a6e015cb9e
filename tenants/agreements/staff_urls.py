"""Agreements inside an authority (tenant URLconf): /a/<slug>/staff/agreements/..."""

from django.urls import path

from tenants.agreements import grant_views
from tenants.agreements import staff_views as views

app_name = "agreements-staff"

urlpatterns = [
    path("", views.AgreementListView.as_view(), name="list"),
    path("new/", views.AgreementCreateView.as_view(), name="create"),
    path("<int:agreement_id>/", views.AgreementDetailView.as_view(), name="detail"),
    path("<int:agreement_id>/lots/new/", views.LotAddView.as_view(), name="lot-add"),
    path("<int:agreement_id>/rounds/new/", views.RoundAddView.as_view(), name="round-add"),
    path("<int:agreement_id>/call-off/", views.CallOffView.as_view(), name="call-off"),
    path("<int:agreement_id>/grants/new/", grant_views.GrantCreateView.as_view(), name="grant-create"),
    path("<int:agreement_id>/grants/<int:grant_id>/revoke/", grant_views.GrantRevokeView.as_view(),
         name="grant-revoke"),
    path("<int:agreement_id>/open/", views.TransitionView.as_view(move="open"), name="open"),
    path("<int:agreement_id>/go-live/", views.TransitionView.as_view(move="go_live"), name="go-live"),
    path("<int:agreement_id>/suspend/", views.TransitionView.as_view(move="suspend"), name="suspend"),
    path("<int:agreement_id>/resume/", views.TransitionView.as_view(move="resume"), name="resume"),
    path("<int:agreement_id>/end/", views.TransitionView.as_view(move="end"), name="end"),
    path("<int:agreement_id>/questionnaire/", views.QuestionnaireView.as_view(), name="questionnaire"),
    path("<int:agreement_id>/questionnaire/draft/", views.QuestionnaireDraftView.as_view(),
         name="questionnaire-draft"),
    path("<int:agreement_id>/questionnaire/<int:version_id>/", views.VersionView.as_view(), name="version"),
    path("<int:agreement_id>/questionnaire/<int:version_id>/settings/", views.VersionSettingsView.as_view(),
         name="version-settings"),
    path("<int:agreement_id>/questionnaire/<int:version_id>/questions/new/", views.QuestionAddView.as_view(),
         name="question-add"),
    path("<int:agreement_id>/questionnaire/<int:version_id>/publish/", views.VersionPublishView.as_view(),
         name="version-publish"),
]
