"""List filters, for the API's lists and the staff pages alike (django-filter).

A list's filters are a `StrictFilterSet`. `check()` reads a query string
against one and refuses (Invalid, naming each parameter and why):

- a parameter the list does not offer (other than `format`, `page` and
  `page_size` if the list comes in pages, and those the caller allows);
- a value given twice, or given empty (`?status=`);
- a value the filter cannot read: a state nobody offers, a date that is not
  one, an id that is not a whole number or names nothing here.

A filter silently ignored would answer a list that looks filtered but is not.
The API's lists use it through api.filters.StrictFilterBackend; pages through
`page_filters()`, which answers messages to show instead of raising.
"""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError

from common.errors import Invalid

# No list orders on request yet, so `ordering` is a parameter a list must offer to take.
ALWAYS_ALLOWED = ("format",)
PAGING = ("page", "page_size")
EMPTY = "Give a value, or leave the parameter out."
TWICE = "Give this parameter once."
BAD_DATE = "Give a date as YYYY-MM-DD, for example 2026-04-01."


# --- Fields and filters that name what they refuse ----------------------------------------------

def _whole_number(text: str) -> bool:
    """1 or more, in digits (a bigint's range): what the document calls an id."""
    return text.isascii() and text.isdigit() and len(text) <= 18 and int(text) >= 1


class IdField(forms.ModelChoiceField):
    """An id: a whole number that names a row the list may filter by."""

    def __init__(self, *args, noun: str = "record", **kwargs):
        self.noun = noun
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value)
        if not _whole_number(text):
            raise DjangoValidationError(f"“{value}” is not an id: give a whole number from 1.", code="invalid")
        found = self.queryset.filter(pk=int(text)).first()
        if found is None:
            raise DjangoValidationError(f"No {self.noun} with id {text} here.", code="invalid_choice")
        return found


class IdFilter(django_filters.ModelChoiceFilter):
    field_class = IdField

    def __init__(self, *args, noun: str = "record", **kwargs):
        super().__init__(*args, noun=noun, **kwargs)


class CodeField(forms.ModelChoiceField):
    """A code (a service type's, say) that names a row; a refusal names the codes offered."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        found = self.queryset.filter(**{self.to_field_name: str(value)}).first()
        if found is None:
            codes = ", ".join(str(code) for code in self.queryset.order_by(self.to_field_name)
                              .values_list(self.to_field_name, flat=True))
            raise DjangoValidationError(f"“{value}” is not one of the values offered: {codes}.", code="invalid_choice")
        return found


class CodeFilter(django_filters.ModelChoiceFilter):
    field_class = CodeField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "code")
        super().__init__(*args, **kwargs)


class NumberIdField(forms.Field):
    """An id of a row this list does not hold (a provider in the regional catalogue)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value)
        if not _whole_number(text):
            raise DjangoValidationError(f"“{value}” is not an id: give a whole number from 1.", code="invalid")
        return int(text)


class NumberIdFilter(django_filters.Filter):
    field_class = NumberIdField


class StrictChoiceField(forms.ChoiceField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = ", ".join(str(key) for key, _ in self.choices if key != "")
        self.error_messages["invalid_choice"] = f"“%(value)s” is not one of the values offered: {allowed}."


class ChoiceFilter(django_filters.ChoiceFilter):
    field_class = StrictChoiceField


class StrictBooleanField(forms.Field):
    """true or false, as the OpenAPI document writes them, and nothing else: a
    NullBooleanField reads “maybe” as no filter."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise DjangoValidationError(f"“{value}” is not true or false.", code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class IsoDateField(forms.DateField):
    """A date written YYYY-MM-DD exactly, as the OpenAPI document says (strptime alone takes 2026-4-1)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
            raise DjangoValidationError(BAD_DATE, code="invalid")
        return super().to_python(value)


class DateFilter(django_filters.DateFilter):
    """A date (YYYY-MM-DD); on a date-time field, compared with its date in London."""

    field_class = IsoDateField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault("error_messages", {"invalid": BAD_DATE})
        super().__init__(*args, **kwargs)


def _timed(field_name: str) -> bool:
    """A date-time field (compared by its date in London) rather than a date."""
    return field_name.endswith(("_at", "_deadline"))


def after(field_name: str, what: str) -> DateFilter:
    return DateFilter(field_name=field_name, lookup_expr="date__gte" if _timed(field_name) else "gte",
                      help_text=f"Only those {what} on or after this date.")


def before(field_name: str, what: str) -> DateFilter:
    return DateFilter(field_name=field_name, lookup_expr="date__lte" if _timed(field_name) else "lte",
                      help_text=f"Only those {what} on or before this date.")


class StrictFilterSet(django_filters.FilterSet):
    """The base of every list's filters. An empty one is a list that takes none."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, filter_ in self.filters.items():
            if filter_._label is None:  # named by its parameter: some lists are read, not a model's rows
                filter_.label = name

    def check_together(self, values: dict) -> dict[str, list[str]]:
        """Rules across filters (an end on or after its start): messages by parameter."""
        return {}


class NoFilters(StrictFilterSet):
    pass


# --- Checking a query string ---------------------------------------------------------------------

class _NoRows:
    """Stands for the rows of a list its filters are only read for, never applied to."""

    model = None


_NO_ROWS = _NoRows()


def blank_allowed(filter_) -> bool:
    """Words to search for may be blank (no search); any other value may not."""
    return isinstance(filter_, django_filters.CharFilter)


def check(filterset_class, query, queryset=None, *, allowed=(), blank=(), paged=True, request=None):
    """A bound, valid FilterSet for `query`; Invalid naming each bad parameter.

    `allowed` are parameters the caller checks itself (a list's own documented
    ones); of those, only the `blank` ones may be given empty. A list in one
    piece (not `paged`) takes no `page` either."""
    filterset_class = filterset_class or NoFilters
    known = set(filterset_class.base_filters)
    offered = known | set(ALWAYS_ALLOWED) | set(PAGING if paged else ()) | set(allowed)
    errors: dict[str, list[str]] = {}
    for name in query:
        if name not in offered:
            names = ", ".join(sorted(known)) if known else "none"
            errors[name] = [f"This list has no filter “{name}”. Its filters: {names}."]
        elif name in known and len(query.getlist(name)) > 1:
            errors[name] = [TWICE]
        elif name in known and query.get(name) == "" and not blank_allowed(filterset_class.base_filters[name]):
            errors[name] = [EMPTY]
        elif name in allowed and name not in blank and query.get(name) == "":
            errors[name] = [EMPTY]
    if errors:
        raise Invalid(errors)
    # a list built from more than a queryset still checks its query (django-filter wants rows)
    filterset = filterset_class(data=query, queryset=_NO_ROWS if queryset is None else queryset, request=request)
    if not filterset.is_valid():
        raise Invalid({name: list(messages) for name, messages in filterset.errors.items()})
    together = filterset.check_together(values(filterset))
    if together:
        raise Invalid(together)
    return filterset


def values(filterset) -> dict:
    """The filters asked for, by name (none of the absent ones)."""
    return {name: value for name, value in filterset.form.cleaned_data.items() if value not in (None, "")}


def page_filters(filterset_class, request, queryset, *, allowed=()):
    """For a staff page: (rows, values asked for, messages). A filter form sends
    its blank fields, so a blank value is no filter here. An unknown or bad value
    is told to the person (messages), never ignored: the page then lists nothing
    rather than rows that look filtered but are not."""
    query = request.GET.copy()
    for name in list(query):
        if all(value == "" for value in query.getlist(name)):
            del query[name]
    try:
        filterset = check(filterset_class, query, queryset, allowed=allowed, request=request)
    except Invalid as refused:
        messages = [f"{name}: {message}" for name, problems in refused.message_dict.items() for message in problems]
        return (queryset.none() if queryset is not None else None), {}, messages
    return (filterset.qs if queryset is not None else None), values(filterset), []
