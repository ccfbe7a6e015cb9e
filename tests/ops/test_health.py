"""Liveness (/healthz) and readiness (/readyz): what they check, what fails
them, and that a probe reaches them by a pod's address or any Host."""

from __future__ import annotations

import time

from django.test import override_settings

from ops import health, heartbeat

POD = {"HTTP_HOST": "10.42.0.17:8000"}  # a pod's address: not in ALLOWED_HOSTS


def test_liveness_answers_without_the_database_on_any_host(client):
    # No database access is allowed in this test: a query would raise.
    for extra in ({}, POD, {"HTTP_HOST": "unknown.example"}):
        response = client.get("/healthz", **extra)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert "no-cache" in response["Cache-Control"]


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["jointly.example"])
def test_probes_are_answered_before_host_validation_and_https_redirect(client, db):
    heartbeat.heartbeat_record()
    assert client.get("/healthz", **POD).status_code == 200
    assert client.get("/readyz", **POD).status_code == 200
    # an ordinary page on the same Host is refused as usual
    assert client.get("/", **POD).status_code in (301, 400)


def test_readiness_reports_every_check_as_json(client, db):
    heartbeat.heartbeat_record()
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "storage", "cache", "broker", "beat"}
    assert all(check["status"] == "ok" for check in body["checks"].values()), body
    assert {name for name, check in body["checks"].items() if check["critical"]} == {
        "database", "migrations", "storage"}


def test_a_stale_beat_degrades_readiness_and_fails_its_own_check(client, db):
    heartbeat.heartbeat_record(now=time.time() - heartbeat.stale_after() - 5)
    body = client.get("/readyz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["beat"]["status"] == "failing"
    assert "stale after" in body["checks"]["beat"]["detail"]

    response = client.get("/readyz?checks=beat")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"]["critical"] is True

    heartbeat.heartbeat_record()
    assert client.get("/readyz?checks=beat").status_code == 200


def test_no_heartbeat_at_all_fails_the_beat_check(client, db):
    from ops import redis as ops_redis

    ops_redis.client().delete(ops_redis.key(heartbeat.KEY))
    response = client.get("/readyz?checks=beat")
    assert response.status_code == 503
    assert "No heartbeat" in response.json()["checks"]["beat"]["detail"]


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_an_unreachable_broker_is_reported_but_keeps_the_service_ready(client, db):
    body = client.get("/readyz").json()
    assert body["checks"]["broker"]["status"] == "failing"
    assert body["status"] == "degraded"
    assert client.get("/readyz").status_code == 200
    assert client.get("/readyz?checks=broker,database").status_code == 503


def test_unwritable_evidence_storage_fails_readiness(client, db, tmp_path):
    heartbeat.heartbeat_record()
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the evidence folder should be")
    with override_settings(EVIDENCE_ROOT=str(blocked)):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["storage"]["status"] == "failing"


def test_an_unapplied_migration_fails_readiness_naming_the_schemas(client, db, monkeypatch):
    monkeypatch.setattr(health, "_migrated_at", [])  # no remembered success
    expected = health._expected_migrations()
    monkeypatch.setattr(health, "_expected_migrations",
                        lambda: expected | {(("calloffs", "9999_not_applied"), ())})
    response = client.get("/readyz?checks=migrations")
    assert response.status_code == 503
    detail = response.json()["checks"]["migrations"]["detail"]
    assert "not applied in" in detail and "alpha" in detail and "migrate_all" in detail


def test_every_schema_has_every_migration_in_the_test_database(db):
    assert health.unapplied_migrations() == {}


def test_an_unknown_check_is_a_400_that_lists_the_known_ones(client, db):
    response = client.get("/readyz?checks=database,nonsense")
    assert response.status_code == 400
    assert "nonsense" in response.json()["detail"] and "beat" in response.json()["detail"]


def test_readiness_probes_leave_no_database_connection_behind(client, db):
    from django.db import connection

    from tests import support

    def backends():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            return cursor.fetchone()[0]

    heartbeat.heartbeat_record()
    before = backends()
    for _ in range(3):
        assert client.get("/readyz").status_code == 200
    support.wait_for(lambda: backends() <= before, timeout=10, what="the probes' connections to close")
