"""/healthz and /readyz (pollapp.api.health): not cached, not rate limited, /readyz checks the
database and that its schema is at the migrations' head."""

from __future__ import annotations

from factories import PROBLEM
from own_database import migrated_app


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_readyz_is_ready_on_a_migrated_database(tmp_path):
    with migrated_app(tmp_path, "ready") as app:
        response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_when_the_schema_is_not_at_the_migrations_head(client):
    # the test database is made by create_all: no alembic_version, as if `flask db upgrade` never ran
    response = client.get("/readyz")
    assert response.status_code == 503 and response.mimetype == PROBLEM
    body = response.get_json()
    assert "revision none" in body["detail"] and "flask db upgrade" in body["detail"]
    assert response.headers["Retry-After"] == "5" and response.headers["Cache-Control"] == "no-store"
