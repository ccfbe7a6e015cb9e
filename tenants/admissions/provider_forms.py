"""Forms for the provider's side of stage 1. They only collect what a person
typed; the services decide whether it is acceptable, and their errors are
shown against these fields.

crispy-forms-gds prints labels and hints unescaped, so any text that comes
from the authority (question text, guidance) goes in through format_html."""

from __future__ import annotations

from crispy_forms_gds.layout import Size
from django import forms
from django.utils.html import format_html

from shared_catalogue.models import Evidence
from tenants.agreements.models import Question
from web.forms import GovukFormMixin

YES_NO = [("yes", "Yes"), ("no", "No")]


class ApplicationStartForm(GovukFormMixin, forms.Form):
    submit_label = "Start the application"

    provider = forms.TypedChoiceField(coerce=int, label="Which organisation is applying?", widget=forms.RadioSelect)
    lots = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        label="Which lots are you applying to?", help_text="Select all that apply. You answer the questions for "
                                                           "every lot you choose in one application.")

    def __init__(self, *args, agreement, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lots"].queryset = agreement.lots.all()
        self.fields["lots"].label_from_instance = str
        if len(providers) == 1:
            del self.fields["provider"]
            self.helper.layout.fields.remove("provider")
            self.only_provider = providers[0]
        else:
            self.only_provider = None
            self.fields["provider"].choices = [(p.pk, p.name) for p in providers]

    def chosen_provider_id(self) -> int:
        return self.only_provider.pk if self.only_provider else self.cleaned_data["provider"]


def _document_label(evidence: Evidence) -> str:
    parts = [evidence.get_evidence_type_display()]
    if evidence.title:
        parts.append(evidence.title)
    parts.append(evidence.get_verification_display().lower())
    if evidence.expires_on:
        parts.append(f"expires {evidence.expires_on:%-d %b %Y}")
    return " · ".join(parts)


class AnswersForm(GovukFormMixin, forms.Form):
    """Every applicable question of a draft on one page: compliance questions
    as yes or no with an optional document and note, quality questions as text.
    Field names are q<id>-complies, q<id>-evidence and q<id>-response."""

    submit_label = "Save draft"

    def __init__(self, *args, rows, documents, **kwargs):
        super().__init__(*args, **kwargs)
        # The page renders field by field (|as_crispy_field), which takes the sizes as they are.
        self.helper.label_size = Size.for_label("s")
        self.helper.legend_size = Size.for_legend("s")
        self.use_required_attribute = False
        self.rows = rows
        for row in rows:
            question, answer = row.question, row.answer
            label = format_html("Question {}: {}", question.position, question.text)
            hint = format_html("{}", question.guidance) if question.guidance else ""
            if question.kind == Question.Kind.COMPLIANCE:
                self.fields[self.name(question, "complies")] = forms.ChoiceField(
                    choices=YES_NO, required=False, widget=forms.RadioSelect, label=label, help_text=hint,
                    initial=None if answer is None or answer.complies is None else ("yes" if answer.complies else "no"))
                offered = [d for d in documents if not question.evidence_types
                           or d.evidence_type in question.evidence_types]
                if offered or question.evidence_types:
                    blank = ("Use the verified document shown above" if row.reused
                             else "No document" if not question.evidence_types else "Choose a document")
                    self.fields[self.name(question, "evidence")] = forms.ChoiceField(
                        choices=[("", blank), *((str(d.pk), _document_label(d)) for d in offered)],
                        required=False, label="Document from your evidence locker",
                        initial=str(answer.evidence_id) if answer and answer.evidence_id else "")
                self.fields[self.name(question, "response")] = forms.CharField(
                    required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Anything to add (optional)",
                    initial=answer.response if answer else "")
            else:
                self.fields[self.name(question, "response")] = forms.CharField(
                    required=False, widget=forms.Textarea(attrs={"rows": 8}), label=label, help_text=hint,
                    initial=answer.response if answer else "")

    @staticmethod
    def name(question: Question, part: str) -> str:
        return f"q{question.pk}-{part}"

    def field(self, question: Question, part: str):
        name = self.name(question, part)
        return self[name] if name in self.fields else None

    def changes(self):
        """(row, values) for each question whose answer differs from the one
        saved, values being the keyword arguments of application_answer."""
        data = self.cleaned_data
        for row in self.rows:
            question, answer = row.question, row.answer
            response = (data.get(self.name(question, "response")) or "").strip()
            complies = {"yes": True, "no": False}.get(data.get(self.name(question, "complies")) or "")
            evidence_id = data.get(self.name(question, "evidence")) or None
            evidence_id = int(evidence_id) if evidence_id else None
            if answer is None:
                if not response and complies is None and evidence_id is None:
                    continue
            elif (answer.response, answer.complies, answer.evidence_id) == (response, complies, evidence_id):
                continue
            yield row, {"response": response, "complies": complies, "evidence_id": evidence_id}

    def add_question_errors(self, question: Question, error) -> None:
        """A service's refusal of one answer, on that question's fields."""
        if hasattr(error, "error_dict"):
            for part, messages in error.message_dict.items():
                name = self.name(question, part)
                target = name if name in self.fields else self.name(question, "response")
                self.add_error(target if target in self.fields else None, messages)
        else:
            self.add_error(self.name(question, "response"), error.messages)


class DeclarationForm(GovukFormMixin, forms.Form):
    submit_label = "Submit the application"

    declaration = forms.BooleanField(required=False, label="I confirm the declaration above, for the organisation")


class WithdrawForm(GovukFormMixin, forms.Form):
    submit_label = "Withdraw the application"

    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
                             label="Why are you withdrawing? (optional)",
                             help_text="The authority sees this. You can apply again later.")
