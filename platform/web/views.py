"""The regional site's own pages, and error pages for every URLconf."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from tenancy.selectors import authorities_for_directory


def home(request):
    return render(request, "web/home.html", {"authorities": authorities_for_directory()})


def accessibility(request):
    return render(request, "web/accessibility.html")


def privacy(request):
    return render(request, "web/privacy.html")


@never_cache
def health(request):
    """Liveness: the process answers; it touches no database (ops.health).
    ops.middleware.ProbeMiddleware answers /healthz before this URLconf;
    this view serves the same answer wherever else it is routed."""
    return JsonResponse({"status": "ok"})


def _wants_problem(request) -> bool:
    return "/api/" in request.path


def _problem(request, status: int, title: str, detail: str):
    from api.problems import problem_response

    return problem_response(status=status, title=title, detail=detail, instance=request.path)


def bad_request(request, exception=None):
    from django.core.exceptions import RequestDataTooBig

    if isinstance(exception, RequestDataTooBig):  # a body read past DATA_UPLOAD_MAX_MEMORY_SIZE
        from web.middleware import body_limit, refusal

        return refusal(request, 413, body_limit(request)[1])
    if _wants_problem(request):
        return _problem(request, 400, "Bad request", "The request could not be understood.")
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    reason = str(exception) if exception and str(exception) else "You do not have access to this page."
    if _wants_problem(request):
        return _problem(request, 403, "Forbidden", reason)
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request, exception=None):
    if _wants_problem(request):
        return _problem(request, 404, "Not found", "There is nothing at this address.")
    return render(request, "404.html", status=404)


def server_error(request):
    import sys

    from ops import outage

    if outage.is_outage(sys.exc_info()[1]):  # the database went away: 503 with Retry-After
        return outage.outage_response(request, wrote=outage.wrote_in_request())
    if _wants_problem(request):
        return _problem(request, 500, "Server error",
                        "Something went wrong on our side. Nothing was changed; please try again.")
    # No context processors that touch the database: it may be what failed.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render({}))
