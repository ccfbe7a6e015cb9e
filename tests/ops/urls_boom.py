"""A URLconf with one view that fails, for the error-reporting tests."""

from django.urls import path


def boom(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("boom/", boom)]
handler500 = "web.views.server_error"
