"""CSV alongside JSON, for the few endpoints that offer a download
(`?format=csv` or `Accept: text/csv`). A view returns the CSV text itself;
anything else (a problem document) is written as JSON."""

import json

from rest_framework.renderers import BaseRenderer


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, str):
            return data.encode(self.charset)
        return json.dumps(data, default=str).encode(self.charset)


class _BinaryRenderer(BaseRenderer):
    """A file a view made itself (bytes); anything else (a problem document) as JSON."""

    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, bytes):
            return data
        return json.dumps(data, default=str).encode("utf-8")


class XLSXRenderer(_BinaryRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"


class PDFRenderer(_BinaryRenderer):
    media_type = "application/pdf"
    format = "pdf"
