"""The roles a membership can carry. Django's own groups and permissions are
global, so every right in Jointly comes from one of these, held per authority
or per provider organisation."""

from django.db import models


class AuthorityRole(models.TextChoices):
    COMMISSIONER = "commissioner", "Commissioner"
    BROKER = "broker", "Broker"
    EVALUATOR = "evaluator", "Evaluator"
    QUALITY_OFFICER = "quality_officer", "Quality officer"
    FINANCE_VIEWER = "finance_viewer", "Finance viewer"
    AUTHORITY_ADMIN = "authority_admin", "Authority admin"


class ProviderRole(models.TextChoices):
    PROVIDER_ADMIN = "provider_admin", "Provider admin"
    BID_WRITER = "bid_writer", "Bid writer"
    VIEWER = "viewer", "Viewer"


ROLE_DESCRIPTIONS = {
    AuthorityRole.COMMISSIONER: "Sets up agreements and lots, and decides admissions.",
    AuthorityRole.BROKER: "Finds support for people: sourcing requests and call-offs.",
    AuthorityRole.EVALUATOR: "Scores applications and bids assigned to them.",
    AuthorityRole.QUALITY_OFFICER: "Monitors providers' quality and verifies their evidence.",
    AuthorityRole.FINANCE_VIEWER: "Reads placements, costs and reports; approves and exports payments to providers.",
    AuthorityRole.AUTHORITY_ADMIN: "Manages who has which role, and reads the audit trail.",
    ProviderRole.PROVIDER_ADMIN: "Manages the organisation's profile, people and evidence.",
    ProviderRole.BID_WRITER: "Writes applications and bids.",
    ProviderRole.VIEWER: "Reads what the organisation has submitted.",
}
