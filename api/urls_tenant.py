"""An authority's API: /a/<slug>/api/v1/..."""

from django.urls import path

from api.v1 import accounts, audit, authorities, catalogue, provider_applications, provider_calloffs

urlpatterns = [
    path("", authorities.AuthorityHereView.as_view(), name="here"),
    path("team/", accounts.TeamView.as_view(), name="team"),
    path("team/<int:membership_id>/", accounts.TeamMemberView.as_view(), name="team-member"),
    path("audit-events/", audit.AuditEventListView.as_view(), name="audit-events"),
    path("catalogue/providers/", catalogue.CatalogueListView.as_view(), name="catalogue"),
    path("catalogue/providers/<int:provider_id>/", catalogue.CatalogueProviderView.as_view(),
         name="catalogue-provider"),
    path("catalogue/evidence/<int:evidence_id>/decision/", catalogue.EvidenceDecisionView.as_view(),
         name="catalogue-decision"),
    path("catalogue/evidence/<int:evidence_id>/file/", catalogue.CatalogueEvidenceFileView.as_view(),
         name="catalogue-evidence-file"),
    # the provider's side of stage 1
    path("provider/agreements/", provider_applications.AgreementListView.as_view(), name="provider-agreements"),
    path("provider/agreements/<int:agreement_id>/", provider_applications.AgreementDetailView.as_view(),
         name="provider-agreement"),
    path("provider/applications/", provider_applications.ApplicationListView.as_view(),
         name="provider-applications"),
    path("provider/applications/<int:application_id>/", provider_applications.ApplicationDetailView.as_view(),
         name="provider-application"),
    path("provider/applications/<int:application_id>/answers/<int:question_id>/",
         provider_applications.AnswerView.as_view(), name="provider-answer"),
    path("provider/applications/<int:application_id>/submit/", provider_applications.SubmitView.as_view(),
         name="provider-submit"),
    path("provider/applications/<int:application_id>/withdraw/", provider_applications.WithdrawView.as_view(),
         name="provider-withdraw"),
    path("provider/applications/<int:application_id>/letter/", provider_applications.LetterView.as_view(),
         name="provider-letter"),
    # the provider's side of stage 2
    path("provider/calloffs/", provider_calloffs.PackageListView.as_view(), name="provider-calloffs"),
    path("provider/calloffs/<int:package_id>/", provider_calloffs.PackageDetailView.as_view(),
         name="provider-calloff"),
    path("provider/calloffs/<int:package_id>/clarifications/", provider_calloffs.ClarificationsView.as_view(),
         name="provider-clarifications"),
    path("provider/calloffs/<int:package_id>/bid/", provider_calloffs.BidView.as_view(), name="provider-bid"),
    path("provider/calloffs/<int:package_id>/bid/submit/", provider_calloffs.BidSubmitView.as_view(),
         name="provider-bid-submit"),
    path("provider/calloffs/<int:package_id>/bid/withdraw/", provider_calloffs.BidWithdrawView.as_view(),
         name="provider-bid-withdraw"),
]
