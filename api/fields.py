"""In a JSON body, a field takes the JSON type the schema gives it.

DRF reads leniently: a CharField takes 0 as "0", an IntegerField takes "7",
a BooleanField takes "yes", a DecimalField takes a float. That suits query
strings and forms, where everything is text, but in a JSON body it means the
API accepts what its own schema says is wrong, and a client's bug (a number
where a name was meant) passes unnoticed. So, for data parsed from JSON only,
strings must be strings, integers integers (not booleans), booleans booleans,
and decimals plain decimal text ("425.50", as responses write them) or a JSON
number (425.5: what most clients send; the request schema says both). Query
strings and forms (QueryDicts) are read as before. Dates, wherever they
come from, are written YYYY-MM-DD.

Installed once, for every serializer, by ApiConfig.ready().
"""

from __future__ import annotations

import re

from django.http import QueryDict
from rest_framework import serializers

# field class: the JSON types it takes
JSON_TYPES = {
    serializers.CharField: (str,),
    serializers.IntegerField: (int,),
    serializers.FloatField: (int, float),
    serializers.DecimalField: (str, int, float),
    serializers.BooleanField: (bool,),
}


def from_json(field) -> bool:
    data = getattr(field.root, "initial_data", None)
    return data is not None and not isinstance(data, QueryDict)


# As the schema's pattern has it: digits, at most one point, no exponent, no spaces.
PLAIN_DECIMAL = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")


def _strict(original, types):
    def to_internal_value(self, data):
        if from_json(self):
            if not isinstance(data, types) or (isinstance(data, bool) and bool not in types):
                self.fail("invalid")
            if isinstance(self, serializers.DecimalField) and isinstance(data, str) \
                    and not PLAIN_DECIMAL.fullmatch(data):
                self.fail("invalid")
        return original(self, data)

    to_internal_value.strict_json = True
    return to_internal_value


# A date is written as the schema's `date` format (RFC 3339 full-date): 2026-03-31,
# not 2026-3-31 or 20260331, in a body or a query string alike.
FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _strict_date(original):
    def to_internal_value(self, value):
        if isinstance(value, str) and not FULL_DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return original(self, value)

    to_internal_value.strict_json = True
    return to_internal_value


def install() -> None:
    for field_class, types in JSON_TYPES.items():
        original = field_class.to_internal_value
        if not getattr(original, "strict_json", False):
            field_class.to_internal_value = _strict(original, types)
    if not getattr(serializers.DateField.to_internal_value, "strict_json", False):
        serializers.DateField.to_internal_value = _strict_date(serializers.DateField.to_internal_value)
