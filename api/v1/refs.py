"""Small output shapes that several parts of the API share: references to
other objects, a rule with its source, the decision clock. One definition
each, so the OpenAPI schema has one component each."""

from rest_framework import serializers


class ReferenceOut(serializers.Serializer):
    """An agreement or a package: id, reference and title."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()


class NamedOut(serializers.Serializer):
    """A provider organisation: id and name."""

    id = serializers.IntegerField()
    name = serializers.CharField()


class LotRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()


class AreaOut(serializers.Serializer):
    """An authority: slug and name."""

    slug = serializers.CharField()
    name = serializers.CharField()


class RuleOut(serializers.Serializer):
    text = serializers.CharField()
    source = serializers.CharField(help_text="Where the rule comes from, to show wherever it is applied.")


class ClockOut(serializers.Serializer):
    """The decision clock of an application (admissions.selectors.decision_clock)."""

    state = serializers.ChoiceField(choices=["not_started", "on_track", "due_soon", "overdue", "decided", "withdrawn"])
    due_on = serializers.DateField(allow_null=True)
    working_days_left = serializers.IntegerField(allow_null=True)
    extended = serializers.BooleanField()
    label = serializers.CharField()
    rule = RuleOut()
