"""Audit actions read as words on the audit trail: every action the
payments, reports and history apps record has a label of its own, rather
than the one made from its machine name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audit.labels import ACTION_LABELS, action_label

ROOT = Path(__file__).resolve().parents[2]
APPS = ("tenants/payments", "tenants/reports", "tenants/history")


def recorded_actions() -> set[str]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            found |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    return found


def test_every_payments_reports_and_history_action_has_a_label():
    actions = recorded_actions()
    assert {"payments.schedules_generated", "reports.outcome_export_sent",
            "reports.outcome_export_settings_set"} <= actions  # the scan finds them
    assert sorted(actions - set(ACTION_LABELS)) == []


@pytest.mark.parametrize(("action", "label"), [
    ("reports.outcome_export_sent", "Call-off outcome export sent"),
    ("reports.outcome_export_settings_set", "Call-off outcome export settings changed"),
    ("reports.outcome_export_not_sent", "Call-off outcome export not sent: nobody to send to"),
    ("payments.schedules_generated", "Payment schedules generated for a period"),
    ("payments.settings_set", "How providers are paid changed"),
    ("membership.granted", "Role given"),
])
def test_labels_read_as_words(action, label):
    assert action_label(action) == label


def test_an_action_without_a_label_still_reads():
    assert action_label("quality.rating_changed") == "Quality: rating changed"
