"""The API's JSON parser: strict where the standard library is lenient.

Python's `json` accepts `NaN`, `Infinity` and `-Infinity`, reads `1e999` as
an infinite float, and recurses once per bracket, so a thousand nested
brackets end in a RecursionError. None of that is JSON a client needs to
send. This parser refuses them all with a 400 that says why, and refuses
NUL characters in any string (PostgreSQL text cannot hold them).
"""

from __future__ import annotations

import json
import math

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deep enough for any document the API takes (a bid, an answer, a
# questionnaire question with its options), shallow enough to walk safely.
MAX_DEPTH = 32
NUL_MESSAGE = "Text may not contain NUL characters (\\u0000)."


class _Refused(ValueError):
    pass


def _constant(name: str):
    raise _Refused(f"{name} is not a number JSON allows: send an ordinary number, like 425.50.")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"{text} is too large a number.")
    return value


def _check(document) -> None:
    """Depth and NUL characters, walked without recursion."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise _Refused(f"The JSON is nested too deeply: at most {MAX_DEPTH} levels.")
            for key, item in value.items():
                if "\x00" in key:
                    raise _Refused(NUL_MESSAGE)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise _Refused(f"The JSON is nested too deeply: at most {MAX_DEPTH} levels.")
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and "\x00" in value:
            raise _Refused(NUL_MESSAGE)


def loads(text: str):
    """Parse JSON text strictly; ValueError (with a message for people) if refused."""
    try:
        document = json.loads(text, parse_constant=_constant, parse_float=_float)
    except RecursionError:
        raise _Refused(f"The JSON is nested too deeply: at most {MAX_DEPTH} levels.") from None
    _check(document)
    return document


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
        except UnicodeDecodeError:
            raise ParseError(f"The body is not valid {encoding} text.") from None
        try:
            return loads(text)
        except _Refused as refused:
            raise ParseError(str(refused)) from None
        except ValueError as error:
            raise ParseError(f"The body is not valid JSON: {error}.") from None
