"""The reports' forms: a period (from the query string, as the API takes
it) and where the call-off outcome export goes."""

from __future__ import annotations

from django import forms

from tenants.reports.models import OutcomeExportSettings

FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def _date(label: str, example: str) -> forms.DateField:
    return forms.DateField(label=label, required=False, input_formats=FORMATS, help_text=f"For example, {example}",
                           error_messages={"invalid": f"Enter a date like {example}"})


class PeriodForm(forms.Form):
    """`from` and `to` (the year report's parameters), or `start` and `end`
    (the call-off outcomes' ones, as their API list takes them)."""

    names = ("from", "to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first, last = self.names
        self.fields[first] = _date("From", "2022-08-01")
        self.fields[last] = _date("To", "2023-08-31")

    def clean(self):
        cleaned = super().clean()
        first, last = self.names
        if cleaned.get(first) and cleaned.get(last) and cleaned[first] > cleaned[last]:
            self.add_error(last, "The end of the period must be on or after its start")
        return cleaned

    def period(self, default: tuple) -> tuple:
        first, last = self.names
        data = self.cleaned_data if self.is_bound else {}
        return data.get(first) or default[0], data.get(last) or default[1]


class OutcomePeriodForm(PeriodForm):
    names = ("start", "end")


class ExportSettingsForm(forms.Form):
    frequency = forms.ChoiceField(label="How often", choices=OutcomeExportSettings.Frequency.choices,
                                  widget=forms.RadioSelect)
    send_to_finance_viewers = forms.BooleanField(label="Send it to everyone here with the finance viewer role",
                                                 required=False)
    recipients = forms.CharField(
        label="Other addresses", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line: the monitoring officer, the finance team's mailbox.")

    def clean_recipients(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["recipients"].replace(",", "\n").splitlines()
                if line.strip()]
