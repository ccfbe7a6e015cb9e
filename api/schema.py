"""The OpenAPI document says every status an operation can answer.

drf-spectacular documents the success of each operation; this hook adds the
errors, each an RFC 9457 problem document (application/problem+json) with
the `Problem` schema:

- every operation: 400 (a bad query or body, a NUL character), 404 (nothing
  at that address, or nothing you may see), 406 (an Accept the API cannot
  answer), 409 (not in this state: a write, or a read such as the outcomes
  preview outside moderation) and 429 (too many requests, with Retry-After);
- operations that take a sign-in: 401 and 403;
- operations that write: 413 (too large, refused before reading) and 415 (a
  body that is not JSON, or not a form for uploads).

Any operation may also meet the web server's 414 (an address too long),
which is not a problem document. The hook also says that
a decimal is never an empty string, and that a request may send one as text
or as a JSON number.
"""

from __future__ import annotations

import re

from drf_spectacular import openapi

from api.problems import CONTENT_TYPE, TITLES

WRITES = ("post", "put", "patch", "delete")
METHODS = ("get", "head", "options", *WRITES)

PROBLEM = {
    "type": "object",
    "description": "An RFC 9457 problem document.",
    "properties": {
        "type": {"type": "string", "description": "A URN naming the kind of problem, or about:blank."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "instance": {"type": "string", "description": "The path that was asked for."},
        "errors": {"type": "object", "additionalProperties": {},
                   "description": "For a 400 or 409 from input: the messages for each field."},
    },
    "required": ["type", "title", "status", "detail"],
}


# Answered by the web server (gunicorn's limit_request_line), before the API sees the request.
URI_TOO_LONG = {"description": "The address is too long (over 8 KB); the web server refuses it before the API.",
                "content": {"text/html": {"schema": {"type": "string"}}}}


def _problem_response(status: int) -> dict:
    response = {"description": TITLES.get(status, "Error"),
                "content": {CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                               "description": "Seconds to wait before trying again."}}
    return response


def statuses_for(method: str, operation: dict) -> list[int]:
    statuses = [400, 404, 406, 409, 429]
    if any(requirement for requirement in operation.get("security", [{}])):
        statuses += [401, 403]
    if method in WRITES:
        statuses += [413, 415]
    return sorted(statuses)


def _decimal_pattern(pattern: str) -> str:
    """`^-?\\d{0,N}(?:\\.\\d{0,M})?$` as one that needs a digit."""
    found = re.fullmatch(r"\^-\?\\d\{0,(\d+)\}(?:\(\?:\\\.\\d\{0,(\d+)\}\)\?)?\$", pattern)
    if not found:
        return pattern
    whole, places = found.group(1), found.group(2)
    if not places or places == "0":
        return rf"^-?\d{{1,{whole}}}$"
    return rf"^-?(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"


def _text_or_number(node: dict) -> None:
    """A decimal in a request body may be sent as text ("425.50", as
    responses write it) or as a JSON number (425.5) (api.fields)."""
    text = {key: node.pop(key) for key in ("type", "format", "pattern", "maxLength") if key in node}
    node["oneOf"] = [text, {"type": "number"}]


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def problem_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, component in schemas.items():
        for node in list(_walk(component)):
            # drf-spectacular's decimal pattern also matches "", "-" and ".", which DecimalField refuses
            if node.get("format") == "decimal" and node.get("type") == "string":
                node["pattern"] = _decimal_pattern(node.get("pattern", ""))
                if name.endswith("Request"):
                    _text_or_number(node)
    schemas["Problem"] = PROBLEM
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in statuses_for(method, operation):
                responses.setdefault(str(status), _problem_response(status))
            responses.setdefault("414", URI_TOO_LONG)
    return result


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, and a field that falls back to None (`default=None`,
    for a missing source such as a lot that is not there) is nullable in
    responses: it answers null."""

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and getattr(field, "default", openapi.empty) is None:
            meta["nullable"] = True
        return meta
