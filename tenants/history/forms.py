"""The upload form for a history file: it collects the file; the service decides."""

from __future__ import annotations

from django import forms

from tenants.history.models import Kind
from tenants.history.reading import MAX_BYTES
from web.forms import GovukFormMixin


class UploadForm(GovukFormMixin, forms.Form):
    submit_label = "Check the file"

    kind = forms.ChoiceField(label="What does the file hold?", widget=forms.RadioSelect, choices=Kind.choices,
                             error_messages={"required": "Choose what the file holds"})
    file = forms.FileField(label="The CSV file",
                           help_text=f"CSV UTF-8 with a header row, up to {MAX_BYTES // (1024 * 1024)} MB. Nothing "
                                     "is imported until you have seen the check and chosen to import it.",
                           error_messages={"required": "Choose the CSV file", "empty": "The file is empty"})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file can be at most {MAX_BYTES // (1024 * 1024)} MB: split it into "
                                        "smaller files.")
        return upload
