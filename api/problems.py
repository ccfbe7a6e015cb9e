"""One error format for the whole API: RFC 9457 problem details.

    {"type": "urn:jointly:problem:validation-error", "title": "...",
     "status": 400, "detail": "...", "instance": "/api/v1/...",
     "errors": {"field": ["message"]}}
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from common.errors import Conflict

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Your request has errors",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict with the current state",
    413: "Request too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Server error",
}


class MfaRequired(exceptions.PermissionDenied):
    default_detail = "Set up an authenticator app before you use a staff role."
    default_code = "mfa_required"


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "That clashes with the current state."
    default_code = "conflict"


def problem_type(code: str) -> str:
    return f"urn:jointly:problem:{code.replace('_', '-')}"


def problem_body(*, status: int, detail: str, instance: str = "", code: str = "", errors=None) -> dict:
    body = {
        "type": problem_type(code) if code else "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body


def problem_response(*, status: int, title: str = "", detail: str, instance: str = "", code: str = "",
                     errors=None):
    """A problem document outside DRF (Django's error handlers)."""
    body = problem_body(status=status, detail=detail, instance=instance, code=code or f"http-{status}",
                        errors=errors)
    if title:
        body["title"] = title
    return JsonResponse(body, status=status, content_type=CONTENT_TYPE)


def _django_validation_errors(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {field: messages for field, messages in error.message_dict.items()}
    return {"non_field_errors": error.messages}


def _flatten(detail):
    """DRF error detail as plain JSON: strings, lists and dicts of them."""
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = _first_message(value)
            if message:
                return message if field in ("non_field_errors", "__all__") else f"{field}: {message}"
    if isinstance(errors, list):
        for item in errors:
            message = _first_message(item)
            if message:
                return message
    return errors if isinstance(errors, str) else ""


def problem_exception_handler(exc, context):
    request = context.get("request")
    instance = request.path if request is not None else ""

    if isinstance(exc, DjangoValidationError):
        errors = _django_validation_errors(exc)
        code_status = getattr(exc, "status", 400)
        body = problem_body(status=code_status, detail=_first_message(errors) or "Check your request.",
                            instance=instance,
                            code="conflict" if isinstance(exc, Conflict) else "validation-error",
                            errors=errors)
        return Response(body, status=code_status, content_type=CONTENT_TYPE)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "There is nothing at this address.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "You are not allowed to do that.")

    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django log it and answer 500 through handler500

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        body = problem_body(status=exc.status_code, detail=_first_message(errors) or "Check your request.",
                            instance=instance, code="validation-error", errors=errors)
    else:
        detail = _flatten(exc.detail)
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        message = detail if isinstance(detail, str) else _first_message(detail)
        body = problem_body(status=exc.status_code, detail=message, instance=instance, code=code)
    return Response(body, status=exc.status_code, headers=headers, content_type=CONTENT_TYPE)
