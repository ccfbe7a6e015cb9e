"""Forms for evaluating applications and managing admissions. They check
the shape of the input; the services decide, and their refusals are shown
against these fields."""

from __future__ import annotations

from django import forms

from tenants.agreements.forms import ConfirmForm, ReasonForm, date_field, reason_field, relayout
from web.forms import GovukFormMixin

YES_NO = [("no", "No, I have no conflict of interest"), ("yes", "Yes, I have a conflict of interest")]


class AssignForm(GovukFormMixin, forms.Form):
    submit_label = "Assign"

    evaluators = forms.ModelMultipleChoiceField(
        label="Evaluators", queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Evaluators and commissioners here with two-factor sign-in set up. Each declares any conflict "
                  "of interest before seeing the application.")

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluators"].queryset = people
        self.fields["evaluators"].label_from_instance = lambda u: f"{u.get_full_name()} ({u.email})"


class ExtendForm(GovukFormMixin, forms.Form):
    submit_label = "Extend the decision period"

    reason = reason_field("Why does the decision need longer?",
                          "Recorded, and the period can be extended only once.")


class DeclarationForm(GovukFormMixin, forms.Form):
    submit_label = "Make declaration"

    conflicted = forms.ChoiceField(label="Do you have a conflict of interest in this application?",
                                   choices=YES_NO, widget=forms.RadioSelect,
                                   error_messages={"required": "Say whether you have a conflict of interest."})
    details = forms.CharField(label="If yes, describe it", required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="For example: a past or present job, shareholding, or a family member "
                                        "who works there.")

    def clean_conflicted(self) -> bool:
        return self.cleaned_data["conflicted"] == "yes"


SCORE_MEANINGS = [
    "unacceptable: no answer, or it does not meet the requirement",
    "poor: meets it only in part, with major gaps or risks",
    "weak: meets it, with some gaps or little evidence",
    "satisfactory: meets it, with evidence",
    "good: meets it fully, with clear evidence of how",
    "excellent: exceeds it, with strong evidence and added value",
]


def score_choices(scale_max: int) -> list[tuple[str, str]]:
    """One scale for evaluators and the lead: each score with what it means
    (the six bands spread over the questionnaire's 0 to `scale_max`)."""
    last = len(SCORE_MEANINGS) - 1
    return [(str(n), f"{n}: {SCORE_MEANINGS[round(n * last / scale_max)]}") for n in range(scale_max + 1)]


class ScoresForm(GovukFormMixin, forms.Form):
    """An evaluator's own score and reason for each quality question."""

    submit_label = "Save scores"

    def __init__(self, *args, questions, scale_max: int, scores: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        choices = [("", "Not scored yet")] + score_choices(scale_max)
        for question in questions:
            mine = scores.get(question.pk)
            self.fields[f"score_{question.pk}"] = forms.TypedChoiceField(
                label=f"Question {question.position}: your score", choices=choices, coerce=int, empty_value=None,
                required=False, initial=getattr(mine, "score", None))
            self.fields[f"comment_{question.pk}"] = forms.CharField(
                label=f"Question {question.position}: the reason for your score", required=False, max_length=5000,
                widget=forms.Textarea(attrs={"rows": 3}), initial=getattr(mine, "comment", ""))
        relayout(self)
        from crispy_forms_gds.layout import Submit

        self.helper.add_input(Submit("submit_scores", "Save and submit scores"))

    def entered(self):
        """(question, score, comment) for each question with something entered."""
        for question in self.questions:
            score = self.cleaned_data.get(f"score_{question.pk}")
            comment = self.cleaned_data.get(f"comment_{question.pk}", "")
            if score is not None or comment.strip():
                yield question, score, comment

    def add_question_errors(self, question, error) -> None:
        """A service's refusal for one question, against that question's fields."""
        names = {"score": f"score_{question.pk}", "comment": f"comment_{question.pk}"}
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(names.get(field), messages)
        else:
            self.add_error(None, error.messages)


class ModerationForm(GovukFormMixin, forms.Form):
    submit_label = "Save the moderated result"

    rationale = forms.CharField(label="Rationale (goes into the provider's feedback)", required=False,
                                max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, question, scale_max: int, **kwargs):
        super().__init__(*args, prefix=f"q{question.pk}", **kwargs)
        if question.kind == "quality":
            self.fields["score"] = forms.TypedChoiceField(
                label="Final score", choices=[("", "Choose")] + score_choices(scale_max),
                coerce=int, empty_value=None, required=False)
        else:
            self.fields["met"] = forms.TypedChoiceField(
                label="Is the requirement met?", choices=[("yes", "Met"), ("no", "Not met")],
                coerce=lambda v: v == "yes", empty_value=None, required=False, widget=forms.RadioSelect)
        self.order_fields(["score", "met", "rationale"])
        relayout(self)
        self.helper.inputs = []  # one button saves every question (the moderation page's own)

    def entered(self) -> bool:
        """Has the lead put anything in for this question?"""
        data = self.cleaned_data
        return bool((data.get("rationale") or "").strip() or data.get("score") is not None
                    or data.get("met") is not None)


class OnboardingForm(GovukFormMixin, forms.Form):
    submit_label = "Mark as done"

    note = forms.CharField(label="Note (optional)", required=False, max_length=1000)


class SuspendForm(GovukFormMixin, forms.Form):
    submit_label = "Suspend"

    reason = reason_field("Why is the provider suspended?", "The provider is told.")
    until = date_field("Until (optional)", "Leave empty to suspend until reinstated, or for example 1 9 2026")


class RemoveForm(GovukFormMixin, forms.Form):
    submit_label = "Remove from the lot"

    grounds = reason_field("Grounds for removal", "For example, a breach of the terms, with the clause.")


__all__ = ["AssignForm", "ConfirmForm", "DeclarationForm", "ExtendForm", "ModerationForm", "OnboardingForm",
           "ReasonForm", "RemoveForm", "ScoresForm", "SuspendForm"]
