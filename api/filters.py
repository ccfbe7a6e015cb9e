"""List filters: a query string checked like any other input.

A filter value nobody offers is a 400 naming the values that are offered,
never silently ignored (which would answer a list that looks filtered but is
not). Each list declares its filters as a small serializer; drf-spectacular
documents them (enums included) from the same class.
"""

from __future__ import annotations

from rest_framework import serializers


class FilterChoiceField(serializers.ChoiceField):
    """A choice whose refusal names every allowed value."""

    def __init__(self, choices, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(choices, **kwargs)
        allowed = ", ".join(str(key) for key in self.choices)
        self.error_messages["invalid_choice"] = f"“{{input}}” is not one of the values offered: {allowed}."

    def get_value(self, dictionary):
        # `?status=` is a value nobody offers, not an absent filter
        if self.field_name in dictionary and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)


def filters(serializer_class, request) -> dict:
    """The validated filters of `request`; a 400 naming each bad one."""
    data = serializer_class(data=request.query_params)
    # `?start=` is a value that is not a date, not an absent parameter (text may be blank)
    empty = {name: ["Give a value, or leave the parameter out."] for name, field in data.fields.items()
             if request.query_params.get(name) == "" and not getattr(field, "allow_blank", False)}
    if empty:
        raise serializers.ValidationError(empty)
    data.is_valid(raise_exception=True)
    return {key: value for key, value in data.validated_data.items() if value not in ("", None)}
