"""The accessibility statement follows the GOV.UK model statement: what is
not accessible, how to report it, the enforcement procedure, the compliance
status and when it was prepared."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_statement_has_every_section_of_the_model(client):
    page = client.get("/accessibility/").content.decode()
    for heading in ("How accessible this service is", "Feedback and contact information",
                    "Reporting accessibility problems with this service", "Enforcement procedure",
                    "Compliance status", "Non-accessible content", "Preparation of this accessibility statement"):
        assert heading in page, heading
    assert "Equality and Human Rights Commission" in page and "Equality Commission for Northern Ireland" in page
    assert "partially compliant" in page and "WCAG" in page
    assert "This statement was prepared on 1 December 2026" in page
