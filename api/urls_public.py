"""The regional site's API: /api/v1/..."""

from django.urls import path

from api.v1 import (
    accounts,
    authorities,
    catalogue,
    directory,
    open_agreements,
    provider_applications,
    provider_calloffs,
)

urlpatterns = [
    path("me/", accounts.MeView.as_view(), name="me"),
    path("tokens/", accounts.TokenListView.as_view(), name="tokens"),
    path("tokens/<str:token_key>/", accounts.TokenDetailView.as_view(), name="token-detail"),
    path("authorities/", authorities.AuthorityListView.as_view(), name="authorities"),
    path("directory/", directory.DirectoryListView.as_view(), name="directory"),
    path("directory/<int:provider_id>/", directory.DirectoryEntryView.as_view(), name="directory-entry"),
    path("open-agreements/", open_agreements.OpenAgreementListView.as_view(), name="open-agreements"),
    path("providers/", catalogue.ProviderListView.as_view(), name="providers"),
    path("providers/<int:provider_id>/", catalogue.ProviderDetailView.as_view(), name="provider"),
    path("providers/<int:provider_id>/people/", catalogue.PeopleView.as_view(), name="provider-people"),
    path("providers/<int:provider_id>/people/<int:membership_id>/", catalogue.PersonView.as_view(),
         name="provider-person"),
    path("providers/<int:provider_id>/evidence/", catalogue.EvidenceListView.as_view(), name="provider-evidence"),
    path("providers/<int:provider_id>/evidence/<int:evidence_id>/", catalogue.EvidenceDetailView.as_view(),
         name="provider-evidence-detail"),
    path("providers/<int:provider_id>/evidence/<int:evidence_id>/file/", catalogue.EvidenceFileView.as_view(),
         name="provider-evidence-file"),
    path("admissions/", provider_applications.AdmissionsEverywhereView.as_view(), name="admissions-everywhere"),
    path("opportunities/", provider_calloffs.OpportunitiesView.as_view(), name="opportunities"),
]
