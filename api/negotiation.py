"""Content negotiation that refuses `?format=` with no value.

DRF reads an empty `format` as none asked for and answers JSON; the schema
offers `format` as one of its values, so an empty one is a 400 like any
other bad parameter (an unknown one stays a 404, as DRF answers it)."""

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation


class StrictContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        name = self.settings.URL_FORMAT_OVERRIDE
        if name and request.query_params.get(name) == "":
            offered = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise exceptions.ValidationError({name: [f"Choose a format: {offered}; or leave the parameter out."]})
        return super().select_renderer(request, renderers, format_suffix)
