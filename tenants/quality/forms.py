"""Forms for KPIs and returns: they collect what was typed; the services decide."""

from __future__ import annotations

from decimal import Decimal

from crispy_forms_gds.layout import Field, Fieldset, Fixed, Layout, Size
from django import forms

from tenants.calloffs.staff_forms import ServiceErrorsMixin, _date
from tenants.quality.models import DOMAINS, RATINGS, SEVERITIES, Action, Intelligence, Kpi
from web.forms import GovukFormMixin

NO_NAMES = "Do not name anyone or give details that would identify them"
WHOLE = {"invalid": "Enter a whole number, like 654", "min_value": "A count cannot be below zero",
         "max_value": "That number is too large"}


def _count(label: str, help_text: str = "", required: bool = False) -> forms.IntegerField:
    return forms.IntegerField(label=label, help_text=help_text, required=required, min_value=0,
                              max_value=2_000_000_000, widget=forms.TextInput(attrs={"inputmode": "numeric"}),
                              error_messages=WHOLE)


def _number(label: str, help_text: str = "", required: bool = False) -> forms.DecimalField:
    message = "Enter a number, like 72 or 72.5"
    return forms.DecimalField(label=label, help_text=help_text, required=required, max_digits=12, decimal_places=2,
                              widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                              error_messages={"invalid": message, "max_digits": message,
                                              "max_decimal_places": message, "max_whole_digits": message})


class KpiForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Add the KPI"

    code = forms.CharField(label="Number", help_text="As the agreement numbers it, for example KPI 1", max_length=20)
    title = forms.CharField(label="What it measures", max_length=200)
    description = forms.CharField(label="How it is counted (optional)", required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    lot = forms.TypedChoiceField(label="Lot", coerce=int, empty_value=None, required=False)
    measure = forms.ChoiceField(label="How it is measured", choices=Kpi.Measure.choices, widget=forms.RadioSelect,
                                initial=Kpi.Measure.PERCENTAGE)
    numerator_label = forms.CharField(label="For a percentage: what is counted (optional)", required=False,
                                      max_length=120, help_text="For example, care workers trained")
    denominator_label = forms.CharField(label="For a percentage: out of what (optional)", required=False,
                                        max_length=120, help_text="For example, care workers employed")
    target = _number("Target", "A percentage from 0 to 100, or a count. Not needed for yes/no or a statement")
    amber_within = _number("Amber within", "How far short of the target is still amber (percentage points for a "
                           "percentage)", required=True)
    period = forms.ChoiceField(label="How often it is returned", choices=Kpi.Period.choices,
                               initial=Kpi.Period.QUARTERLY)
    covers = forms.ChoiceField(label="Who returns it", choices=Kpi.Covers.choices, widget=forms.RadioSelect,
                               initial=Kpi.Covers.PLACEMENTS)
    due_days = forms.IntegerField(label="Days after each period ends that the return is due", min_value=1,
                                  max_value=120, initial=28, widget=forms.TextInput(attrs={"inputmode": "numeric"}),
                                  error_messages={"invalid": "Enter a number of days, like 28",
                                                  "min_value": "At least 1 day", "max_value": "At most 120 days"})
    starts_on = _date("First period", "The first return is for the period containing this date. "
                      "For example, 1 4 2026")

    def __init__(self, *args, lots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].choices = [("", "Every lot")] + [(lot.pk, f"Lot {lot.number}: {lot.title}") for lot in lots]
        self.fields["amber_within"].initial = Decimal("10")
        self.helper.layout = Layout(
            Field.text("code", field_width=Fixed.TEN), "title", "description", "lot",
            Field.radios("measure", legend_size=Size.SMALL), "numerator_label", "denominator_label",
            Field.text("target", field_width=Fixed.FIVE), Field.text("amber_within", field_width=Fixed.FIVE),
            "period", Field.radios("covers", legend_size=Size.SMALL), Field.text("due_days", field_width=Fixed.THREE),
            "starts_on")


class ReturnForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    """The figures a KPI asks for, and a comment."""

    submit_label = "Submit the return"

    def __init__(self, *args, kpi: Kpi, **kwargs):
        super().__init__(*args, **kwargs)
        self.kpi = kpi
        names = []
        if kpi.measure == Kpi.Measure.PERCENTAGE:
            self.fields["numerator"] = _count(f"How many {kpi.numerator_label or 'were counted'}")
            self.fields["denominator"] = _count(f"Out of how many {kpi.denominator_label or ''}".strip())
            self.fields["value"] = _number("Or, if you only have the rate, the percentage",
                                           "From 0 to 100. Leave it blank if you gave the counts")
            self.fields["part_label"] = forms.CharField(label="Another part of the count (optional)", required=False,
                                                        max_length=120, help_text="For example, still in training")
            self.fields["part_count"] = _count("How many in that part (optional)")
            names = [Field.text("numerator", field_width=Fixed.TEN), Field.text("denominator", field_width=Fixed.TEN),
                     Field.text("value", field_width=Fixed.FIVE),
                     Fieldset("part_label", Field.text("part_count", field_width=Fixed.TEN),
                              legend="Breakdown (optional)", legend_size=Size.SMALL)]
        elif kpi.measure == Kpi.Measure.COUNT:
            self.fields["value"] = _count("The count for the period", required=True)
            names = [Field.text("value", field_width=Fixed.TEN)]
        elif kpi.measure == Kpi.Measure.YES_NO:
            self.fields["answer"] = forms.TypedChoiceField(label="Was it met?", choices=[("yes", "Yes"), ("no", "No")],
                                                           coerce=lambda v: v == "yes", widget=forms.RadioSelect,
                                                           error_messages={"required": "Answer yes or no"})
            names = [Field.radios("answer", legend_size=Size.SMALL)]
        else:
            self.fields["statement"] = forms.CharField(
                label="What people experienced", max_length=10000, widget=forms.Textarea(attrs={"rows": 6}),
                help_text="In the 'I' and 'We' form where you can, for example: I choose who supports me. " + NO_NAMES)
            names = ["statement"]
        self.fields["comment"] = forms.CharField(label="Comment (optional)", required=False, max_length=5000,
                                                 widget=forms.Textarea(attrs={"rows": 3}),
                                                 help_text=NO_NAMES)
        self.helper.layout = Layout(*names, "comment")

    def figures(self) -> dict:
        data = dict(self.cleaned_data)
        label, count = data.pop("part_label", ""), data.pop("part_count", None)
        if label or count is not None:
            data["breakdown"] = [{"label": label, "count": count}]
        return data


class QueryForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Query the return"

    query = forms.CharField(label="What should the provider correct or explain?", max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            error_messages={"required": "Say what the provider should correct or explain"})


class IntelligenceForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Record it"

    kind = forms.ChoiceField(label="What kind", choices=Intelligence.Kind.choices)
    occurred_on = _date("When it happened", "For example, 27 3 2026")
    source = forms.CharField(label="Where it came from", max_length=200,
                             help_text="For example, the safeguarding adults board, a CQC notification, a complaint")
    severity = forms.ChoiceField(label="Severity", choices=SEVERITIES, initial="medium", widget=forms.RadioSelect)
    service = forms.CharField(label="Service or location (optional)", required=False, max_length=200)
    summary = forms.CharField(label="What happened", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="Other authorities using this provider may read this. " + NO_NAMES)
    restricted_notes = forms.CharField(label="Restricted notes (optional)", required=False, max_length=10000,
                                       widget=forms.Textarea(attrs={"rows": 3}),
                                       help_text="Only this authority's quality officers and commissioners see these")
    share = forms.ChoiceField(label="Who may see the summary", choices=Intelligence.Share.choices,
                              initial=Intelligence.Share.PARTNERS, widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout("kind", "occurred_on", "source", Field.radios("severity", inline=True), "service",
                                    "summary", "restricted_notes", Field.radios("share"))


class ActionForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Take the action"

    # a placement is terminated from the placement (TerminationForm): that also re-sources it
    kind = forms.ChoiceField(label="Action", choices=[(value, label) for value, label in Action.Kind.choices
                                                      if value != Action.Kind.PLACEMENT_TERMINATION],
                             widget=forms.RadioSelect)
    agreement = forms.TypedChoiceField(label="Agreement", coerce=int, empty_value=None, required=False)
    grounds = forms.CharField(label="Grounds", max_length=10000, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="The provider will read these and may respond. " + NO_NAMES)
    starts_on = _date("Starts", "For example, 1 12 2026", required=False)
    review_on = _date("Review (optional)", "For example, 1 3 2027", required=False)

    def __init__(self, *args, agreements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].choices = [("", "Every agreement here")] + [(a.pk, a.title) for a in agreements]
        self.helper.layout = Layout(Field.radios("kind"), "agreement", "grounds", "starts_on", "review_on")


class TerminationForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Terminate the placement"

    grounds = forms.CharField(label="Grounds", max_length=10000, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="The provider will read these and may respond. " + NO_NAMES)
    ends_on = _date("Last day of the placement", "The end of the notice the contract gives, for example 15 12 2026")
    respond_days = forms.IntegerField(label="Days the provider has to respond", min_value=1, max_value=60,
                                      initial=14)
    review_on = _date("Review (optional)", "For example, 1 3 2027", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout("grounds", "ends_on", Field.text("respond_days", field_width=Fixed.THREE),
                                    "review_on")


class AssessmentForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Schedule the assessment"

    service = forms.CharField(label="Service assessed", max_length=200)
    visit_on = _date("Visit", "For example, 14 1 2027")
    self_assessment_due = _date("Provider's self-assessment due by (optional)",
                                "A week before the visit if left blank. For example, 7 1 2027", required=False)


class DraftForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Send the draft report to the provider"

    findings = forms.CharField(label="Findings", max_length=20000, widget=forms.Textarea(attrs={"rows": 6}),
                               help_text="The provider will read these. " + NO_NAMES)
    rating = forms.ChoiceField(label="Overall rating", choices=RATINGS, widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = []
        for key, label in DOMAINS:
            self.fields[f"domain_{key}"] = forms.ChoiceField(label=label, choices=RATINGS, widget=forms.RadioSelect)
            names.append(Field.radios(f"domain_{key}", inline=True, legend_size=Size.SMALL))
        self.helper.layout = Layout(*names, Field.radios("rating", legend_size=Size.SMALL), "findings")

    def domain_ratings(self) -> dict:
        return {key: self.cleaned_data[f"domain_{key}"] for key, _ in DOMAINS}


class ResponseForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Send your response"

    response = forms.CharField(label="Your response", max_length=10000, widget=forms.Textarea(attrs={"rows": 5}),
                               help_text=NO_NAMES)


class LiftForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Lift it"

    reason = forms.CharField(label="Why it is lifted", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class ActionReviewForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Record the review"

    outcome = forms.ChoiceField(label="Outcome", widget=forms.RadioSelect,
                                choices=[("continue", "The action continues"), ("lift", "Lift the action")],
                                error_messages={"required": "Choose whether the action continues or is lifted"})
    notes = forms.CharField(label="What the review found", max_length=10000, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text="The provider will read this. " + NO_NAMES,
                            error_messages={"required": "Write what the review found, as the provider will read it"})
    next_review_on = _date("Next review", "Needed if the action continues, for example 1 3 2027", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(Field.radios("outcome"), "notes", "next_review_on")


class FeedbackForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Send your feedback"

    relation = forms.ChoiceField(label="Who is giving the feedback?", widget=forms.RadioSelect,
                                 choices=[("self", "I use the service"),
                                          ("family", "A family member or friend uses it"), ("other", "Other")],
                                 error_messages={"required": "Say who is giving the feedback"})
    experience = forms.ChoiceField(label="How has the support been?", widget=forms.RadioSelect,
                                   choices=[("good", "Good"), ("mixed", "Mixed"), ("poor", "Poor")],
                                   error_messages={"required": "Say how the support has been"})
    comments = forms.CharField(label="Tell us about it", max_length=5000, widget=forms.Textarea(attrs={"rows": 6}),
                               error_messages={"required": "Tell us about the support"})
    contact = forms.CharField(label="Your name and a phone number or e-mail address (optional)", required=False,
                              max_length=200, help_text="Only if you would like us to contact you. The provider "
                              "will not be told who you are.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(Field.radios("relation", legend_size=Size.SMALL),
                                    Field.radios("experience", legend_size=Size.SMALL), "comments", "contact")


class FeedbackLinkForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Make the link"

    label = forms.CharField(label="Where it will be given out", max_length=120,
                            help_text="For example: annual reviews, or the letter after a placement starts")


class ModerateForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Save"

    decision = forms.ChoiceField(label="Use this feedback?", widget=forms.RadioSelect,
                                 choices=[("accept", "Yes: record it as intelligence"), ("reject", "No: set it aside")],
                                 error_messages={"required": "Choose whether to use it"})
    summary = forms.CharField(label="Summary for the record (if used)", required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}), help_text=NO_NAMES)
    severity = forms.ChoiceField(label="Severity", choices=SEVERITIES, initial="low")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(Field.radios("decision", legend_size=Size.SMALL), "summary", "severity")


# --- Self-assessment, validation and follow-up actions -----------------------------------

SELF_RATINGS = [("", "Not rated yet")] + RATINGS


class SelfAssessmentForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    """Every standard, by domain: a self-rating, how the provider meets it,
    and a document from its locker. Saved as a draft, or submitted."""

    def __init__(self, *args, rows, documents=(), **kwargs):
        from crispy_forms_gds.layout import HTML, Submit

        from tenants.quality.standards import BY_KEY

        super().__init__(*args, **kwargs)
        documents = [("", "No document")] + [(d.pk, d.title or d.get_evidence_type_display()) for d in documents]
        self.documents = {str(pk): pk for pk, _ in documents if pk}
        fieldsets: dict[str, list] = {}
        for row in rows:
            standard = BY_KEY[row.standard]
            key = row.standard
            self.fields[f"{key}-self_rating"] = forms.ChoiceField(
                label="Your rating", choices=SELF_RATINGS, required=False, initial=row.self_rating,
                widget=forms.RadioSelect)
            self.fields[f"{key}-narrative"] = forms.CharField(
                label="How you meet it", required=False, max_length=10000, initial=row.narrative,
                widget=forms.Textarea(attrs={"rows": 4}), help_text=NO_NAMES)
            self.fields[f"{key}-evidence"] = forms.ChoiceField(
                label="Evidence from your documents (optional)", required=False, choices=documents,
                initial=row.evidence_id or "")
            fieldsets.setdefault(standard.domain_label, []).append(Fieldset(
                HTML(f'<p class="govuk-hint">{_escape(standard.expects)} Source: {_escape(standard.source)}.</p>'),
                Field.radios(f"{key}-self_rating", inline=True, legend_size=Size.SMALL),
                f"{key}-narrative", f"{key}-evidence", legend=standard.title, legend_size=Size.MEDIUM))
        self.helper.layout = Layout(*[item for label, sets in fieldsets.items()
                                      for item in (HTML(f'<h2 class="govuk-heading-l">{_escape(label)}</h2>'),
                                                   *sets)])
        self.helper.inputs = []
        self.helper.add_input(Submit("save", "Save as a draft"))
        self.helper.add_input(Submit("submit_all", "Submit the self-assessment"))
        self.keys = [row.standard for row in rows]

    def entries(self, evidence_by_pk: dict) -> dict:
        found = {}
        for key in self.keys:
            evidence = self.cleaned_data.get(f"{key}-evidence") or ""
            found[key] = {"self_rating": self.cleaned_data.get(f"{key}-self_rating") or "",
                          "narrative": self.cleaned_data.get(f"{key}-narrative") or "",
                          "evidence": evidence_by_pk.get(int(evidence)) if evidence else None}
        return found


def _escape(text: str) -> str:
    from django.utils.html import escape

    return escape(text)


class ValidateForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Save the validation"

    agree = forms.TypedChoiceField(label="Do you agree with the provider's rating?", widget=forms.RadioSelect,
                                   choices=[("yes", "Yes"), ("no", "No: I give my own rating")],
                                   coerce=lambda v: v == "yes", error_messages={"required": "Say whether you agree"})
    rating = forms.ChoiceField(label="Your rating (if you do not agree)", choices=[("", "")] + RATINGS,
                               required=False)
    note = forms.CharField(label="Note", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Why your rating differs, or what you saw. The provider reads this with the "
                                     "draft report. " + NO_NAMES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(Field.radios("agree", legend_size=Size.SMALL), "rating", "note")


class FollowUpForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Add the action"

    what = forms.CharField(label="What must be done", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="The provider reads this. " + NO_NAMES)
    source = forms.ChoiceField(label="Where it comes from")
    owner = forms.ChoiceField(label="Who owns it")
    due_on = _date("Due", "For example, 31 3 2027")

    def __init__(self, *args, owners=(), **kwargs):
        from tenants.quality.standards import STANDARDS

        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [
            ("Standards", [(f"standard:{s.key}", f"{s.domain_label}: {s.title}") for s in STANDARDS]),
            ("A domain as a whole", [(f"domain:{key}", label) for key, label in DOMAINS])]
        self.fields["owner"].choices = [("", "Choose a person")] + list(owners)
        self.helper.layout = Layout("what", "source", "owner", "due_on")

    def fields_for_service(self) -> dict:
        kind, _, key = self.cleaned_data["source"].partition(":")
        side, _, user_id = self.cleaned_data["owner"].partition(":")
        return {"standard": key if kind == "standard" else "", "domain": key if kind == "domain" else "",
                "owner_side": side, "owner_id": int(user_id) if user_id.isdigit() else None,
                "what": self.cleaned_data["what"], "due_on": self.cleaned_data["due_on"]}


class FollowUpDoneForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Mark it done"

    note = forms.CharField(label="What was done", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=NO_NAMES)
    evidence = forms.ChoiceField(label="Evidence from your documents (optional)", required=False)

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].choices = [("", "No document")] + [
            (d.pk, d.title or d.get_evidence_type_display()) for d in documents]


class FollowUpReviewForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Save"

    decision = forms.ChoiceField(label="Is it done?", widget=forms.RadioSelect,
                                 choices=[("verify", "Yes: verify it"), ("reopen", "No: reopen it")],
                                 error_messages={"required": "Choose whether to verify or reopen it"})
    reason = forms.CharField(label="If reopened: what is still to be done", required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 3}), help_text="The owner reads this. " + NO_NAMES)
    due_on = _date("If reopened: a new due date (optional)", "For example, 30 4 2027", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(Field.radios("decision", legend_size=Size.SMALL), "reason", "due_on")


class DueForm(ServiceErrorsMixin, GovukFormMixin, forms.Form):
    submit_label = "Set the date"

    due_on = _date("New date for the self-assessment", "For example, 15 1 2027")
    reason = forms.CharField(label="Why (optional)", required=False, max_length=2000)
