"""The edge of every request: refuse what no view should see, before any
view, form or parser reads it.

- A body larger than the service takes is refused (413) from its
  Content-Length, before a byte of it is read: forms and JSON up to
  DATA_UPLOAD_MAX_MEMORY_SIZE, uploads (multipart) up to EVIDENCE_MAX_BYTES
  plus UPLOAD_OVERHEAD_BYTES for the form around the file. A chunked body
  without Content-Length is read only up to that limit.
- A NUL character in the path, the query string or a form field is refused
  (400): PostgreSQL text cannot hold one, and a search or filter that passes
  it on fails in the database driver. JSON bodies are checked by the API's
  parser (api.parsers).
- Under /api/, every error answer is a problem document (RFC 9457), whoever
  wrote it: Django's own 404 and 500 pages in development included.

Pages get a 400 or 413 page; the API gets application/problem+json. It runs
right after SecurityMiddleware (so refusals carry its headers) and before the
authority is looked up from the path.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http.multipartparser import MultiPartParserError

NUL = "\x00"
NUL_MESSAGE = "What you sent contains a NUL character (\\u0000), which no text in this service may hold."
PROBLEM_TYPES = ("application/problem+json",)
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def wants_problem(request) -> bool:
    return "/api/" in request.path


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def body_limit(request) -> tuple[int | None, str]:
    """The largest body this request may carry, and how to say it."""
    if request.content_type == "multipart/form-data":
        return (settings.EVIDENCE_MAX_BYTES + settings.UPLOAD_OVERHEAD_BYTES,
                f"Documents can be at most {_megabytes(settings.EVIDENCE_MAX_BYTES)}.")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit, (f"What you send can be at most {_megabytes(limit)}." if limit is not None else "")


def refusal(request, status: int, message: str, fields=()):
    if wants_problem(request):
        from api.problems import problem_response

        code = {400: "validation-error", 413: "too-large"}.get(status, f"http-{status}")
        return problem_response(status=status, detail=message, instance=request.path, code=code,
                                errors={field: [message] for field in fields} or None)
    from django.shortcuts import render

    return render(request, f"{status}.html", {"reason": message}, status=status)


def _with_nul(query) -> list[str]:
    """The names of the fields whose name or value holds a NUL character."""
    return [key.replace(NUL, "") for key, values in query.lists()
            if NUL in key or any(NUL in value for value in values)]


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = self.refuse(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        if wants_problem(request) and response.status_code >= 400 and not self._is_problem(response):
            response = self._as_problem(request, response)
        return response

    # --- before the view ---------------------------------------------------------------

    def refuse(self, request):
        if NUL in request.path:
            return refusal(request, 400, NUL_MESSAGE)
        if fields := _with_nul(request.GET):
            return refusal(request, 400, NUL_MESSAGE, fields)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        limit, words = body_limit(request)
        if limit is not None:
            length = request.META.get("CONTENT_LENGTH") or ""
            if length.strip().isdigit():
                if int(length) > limit:
                    return refusal(request, 413, words)
            elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                if not self._read_chunked(request, limit):
                    return refusal(request, 413, words)
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                fields = _with_nul(request.POST)
            except MultiPartParserError as error:
                return refusal(request, 400, f"The form could not be read: {error}.")
            if fields:
                return refusal(request, 400, NUL_MESSAGE, fields)
        return None

    @staticmethod
    def _read_chunked(request, limit: int) -> bool:
        """Read a body sent without Content-Length (chunked), stopping once it
        passes the limit. Django would otherwise read it as empty."""
        stream = request.META.get("wsgi.input")
        if stream is None:
            return True
        body = stream.read(limit + 1)
        if len(body) > limit:
            return False
        request._stream = LimitedStream(io.BytesIO(body), len(body))
        request.META["CONTENT_LENGTH"] = str(len(body))
        return True

    # --- after the view ----------------------------------------------------------------

    @staticmethod
    def _is_problem(response) -> bool:
        return response.get("Content-Type", "").split(";")[0].strip() in PROBLEM_TYPES

    @staticmethod
    def _as_problem(request, response):
        from api.problems import problem_response

        details = {
            404: "There is nothing at this address.",
            405: f"{request.method} is not allowed here.",
            500: "Something went wrong on our side. Nothing was changed; please try again.",
        }
        problem = problem_response(status=response.status_code, instance=request.path,
                                   detail=details.get(response.status_code, "The request could not be served."))
        for header in KEPT_HEADERS:
            if header in response:
                problem[header] = response[header]
        return problem
