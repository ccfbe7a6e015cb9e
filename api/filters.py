"""The API's list filters: one backend every list uses.

Every list filters through `StrictFilterBackend` (the default filter backend)
and the django-filter FilterSet its view names as `filterset_class` (a list
with none takes no filters): an unknown parameter, a value given twice or
empty, or one the filter cannot read is a 400 problem naming the parameter
and why (common.filters). drf-spectacular documents the filters from the
same FilterSet. A list not built from one queryset mixes in `FilteredList`.
A list whose own rules check some parameters (the public directory's, shared
with its page) names them as `query_parameters` (documented by the view), and
those that may be blank as `blank_parameters`.

Non-list reads that take a query (an identity's purpose, a profile as it
stood) keep their small serializer and `filters()`.
"""

from __future__ import annotations

import django_filters
from rest_framework import serializers
from rest_framework.filters import BaseFilterBackend

from common.filters import EMPTY, BooleanFilter, DateFilter, IdFilter, NoFilters, NumberIdFilter, check, values

# --- The backend every list uses -----------------------------------------------------------------

_SCHEMA_TYPES = (
    (IdFilter, {"type": "integer", "minimum": 1}),
    (NumberIdFilter, {"type": "integer", "minimum": 1}),
    (BooleanFilter, {"type": "boolean"}),
    (DateFilter, {"type": "string", "format": "date"}),
)


def _schema(filter_) -> dict:
    for kind, schema in _SCHEMA_TYPES:
        if isinstance(filter_, kind):
            return dict(schema)
    if isinstance(filter_, django_filters.ChoiceFilter) and "choices" in filter_.extra:
        return {"type": "string", "enum": [str(key) for key, _ in filter_.extra["choices"]]}
    if isinstance(filter_, django_filters.CharFilter):
        schema = {"type": "string"}
        if filter_.extra.get("max_length"):
            schema["maxLength"] = filter_.extra["max_length"]
        return schema
    return {"type": "string", "minLength": 1}  # a code


class StrictFilterBackend(BaseFilterBackend):
    """Filters a list by its view's `filterset_class`, refusing what it does not offer.

    The validated FilterSet is kept on the request (`request.list_filters`), so a
    list built from more than one queryset can read the values (`values()`)."""

    def filter_queryset(self, request, queryset, view):
        filterset = check(getattr(view, "filterset_class", None), request.query_params, queryset,
                          allowed=getattr(view, "query_parameters", ()),
                          blank=getattr(view, "blank_parameters", ()),
                          paged=getattr(view, "paginator", None) is not None, request=request)
        request.list_filters = filterset
        return filterset.qs if queryset is not None else queryset

    def get_schema_operation_parameters(self, view):
        filterset_class = getattr(view, "filterset_class", None) or NoFilters
        parameters = []
        for name, filter_ in filterset_class.base_filters.items():
            parameter = {"name": name, "required": False, "in": "query", "schema": _schema(filter_)}
            text = filter_.extra.get("help_text") or filter_._label
            if text:
                parameter["description"] = str(text)
            parameters.append(parameter)
        return parameters


class FilteredList:
    """For a list view that is not a GenericAPIView (or builds its rows from
    more than a queryset): `self.list_filters()` checks the query string and
    answers the values asked for."""

    filterset_class = None
    filter_backends = [StrictFilterBackend]

    def list_filters(self, queryset=None) -> dict:
        for backend in self.filter_backends:
            backend().filter_queryset(self.request, queryset, self)
        return values(self.request.list_filters)


# --- Non-list queries ----------------------------------------------------------------------------

class FilterChoiceField(serializers.ChoiceField):
    """A choice whose refusal names every allowed value."""

    def __init__(self, choices, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(choices, **kwargs)
        allowed = ", ".join(str(key) for key in self.choices)
        self.error_messages["invalid_choice"] = f"“{{input}}” is not one of the values offered: {allowed}."

    def get_value(self, dictionary):
        # `?status=` is a value nobody offers, not an absent parameter
        if self.field_name in dictionary and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)


def filters(serializer_class, request) -> dict:
    """The validated query of a non-list read; a 400 naming each bad parameter."""
    data = serializer_class(data=request.query_params)
    # `?start=` is a value that is not a date, not an absent parameter (text may be blank)
    empty = {name: [EMPTY] for name, field in data.fields.items()
             if request.query_params.get(name) == "" and not getattr(field, "allow_blank", False)}
    if empty:
        raise serializers.ValidationError(empty)
    data.is_valid(raise_exception=True)
    return {key: value for key, value in data.validated_data.items() if value not in ("", None)}
