"""A view inside an authority that forgets to declare who it is for is
refused, and an API view cannot switch the access check off."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from rest_framework.generics import GenericAPIView
from rest_framework.views import APIView

from accounts.middleware import TenantAccessMiddleware
from accounts.policy import Audience
from api.base import TenantAPIMixin

pytestmark = pytest.mark.django_db


def _request(authority, user):
    request = RequestFactory().get(f"/a/{authority.slug}/somewhere/")
    request.tenant = authority
    request.user = user
    return request


def test_a_page_without_an_audience_is_refused(region):
    from tests import support

    def undeclared(request):
        raise AssertionError("must not run")

    middleware = TenantAccessMiddleware(lambda r: None)
    staff = support.make_staff(region.alpha)
    with pytest.raises(PermissionDenied):
        middleware.process_view(_request(region.alpha, staff), undeclared, (), {})


def test_an_api_view_outside_the_tenant_base_is_refused(region):
    from tests import support

    class Rogue(APIView):
        permission_classes = []

    middleware = TenantAccessMiddleware(lambda r: None)
    staff = support.make_staff(region.alpha)
    with pytest.raises(PermissionDenied):
        middleware.process_view(_request(region.alpha, staff), Rogue.as_view(), (), {})


def test_an_api_view_cannot_override_the_access_check():
    with pytest.raises(TypeError, match="may not override get_permissions"):
        class Sneaky(TenantAPIMixin, GenericAPIView):  # noqa: F841
            audience = Audience.STAFF

            def get_permissions(self):
                return []
