"""Input serializers that refuse fields they do not know.

DRF ignores unknown keys in a body, so a misspelt field ("narative") is
dropped silently and the client believes it was saved. A StrictSerializer
answers 400 naming each unknown field instead (nested ones too, since each
nested serializer checks its own part)."""

from __future__ import annotations

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["This field is not known here."] for name in unknown})
        return super().to_internal_value(data)
