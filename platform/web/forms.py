"""Forms render through crispy-forms' GOV.UK template pack; this gives each a
helper with one primary button. The page's template owns the <form> tag (method,
enctype, novalidate, CSRF token) and says `{% crispy form %}` inside it."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Submit


class GovukFormMixin:
    submit_label = "Continue"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.label_size = "s"
        self.helper.legend_size = "s"
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("submit", self.submit_label))

    def add_service_errors(self, error) -> None:
        """Show a service's ValidationError on the fields it names."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)
