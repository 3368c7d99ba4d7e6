"""The data generation (pollapp.services.data_generation) moves with every change of public data and
with nothing else: every write operation of the served OpenAPI description (the auth matrix's
enumeration, so a new endpoint is covered), the CLI commands that write, and not a refused write or a
read with an API key (which the rate limiter looks up on every request)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from factories import if_match, make_key, poll_doc
from import_files import csv_bytes, poll_rows
from pollapp.extensions import db
from pollapp.models import DataGeneration
from pollapp.services import data_generation
from test_auth_matrix import LOWER, request_for, world, write_operations
from test_cli import load, write_data


def generation(app: Flask) -> int:
    """The committed value, read on a connection of its own (not the app's request session)."""
    with app.app_context():
        with db.engine.connect() as conn:
            return conn.execute(select(DataGeneration.value)).scalar_one()


def test_every_successful_write_moves_the_generation_and_a_refused_one_does_not(client, app, auth):
    ids = world(client, auth)
    tokens = {scope: make_key(app, scope, f"generation-{scope}") for scope in ("read", "write", "admin")}
    moved = []
    for method, path, operation in write_operations(client):
        scope = operation["x-required-scope"]
        url, body = request_for(method, path, ids)
        before = generation(app)
        assert client.open(url, method=method, **body).status_code == 401
        too_low = client.open(url, method=method, headers={"Authorization": f"Bearer {tokens[LOWER[scope]]}"}, **body)
        assert too_low.status_code == 403
        if method in ("PUT", "PATCH", "DELETE"):
            stale = client.open(url, method=method, headers={"Authorization": f"Bearer {tokens[scope]}",
                                                             "If-Match": '"stale"'}, **body)
            assert stale.status_code == 412, (method, path)
        assert generation(app) == before, (method, path, "a refused write moved the generation")

        right = {"Authorization": f"Bearer {tokens[scope]}"}
        if method in ("PUT", "PATCH", "DELETE"):
            right = if_match(client, url, right)
        allowed = client.open(url, method=method, headers=right, **body)
        assert allowed.status_code < 300, (method, path, allowed.get_json())
        moved.append((method, path, generation(app) > before))
    assert moved and all(ok for *_, ok in moved), [op for op in moved if not op[2]]


def test_reads_with_and_without_a_key_and_a_replayed_post_leave_it_alone(client, app, auth, poll):
    before = generation(app)
    for headers in ({}, auth, {"Authorization": f"Bearer {make_key(app, 'read', 'reader')}"}):
        assert client.get(f"/api/v1/polls/{poll['id']}", headers=headers).status_code == 200
        assert client.get("/api/v1/polls", headers=headers).status_code == 200
    assert generation(app) == before

    keyed = {**auth, "Idempotency-Key": "generation-replay"}
    doc = poll_doc(source="synthetic", source_id="replay")
    assert client.post("/api/v1/polls", json=doc, headers=keyed).status_code == 201
    after_first = generation(app)
    assert after_first == before + 1
    assert client.post("/api/v1/polls", json=doc, headers=keyed).status_code == 201  # replayed from the record
    assert generation(app) == after_first


def test_cli_load_and_import_move_it(app, runner, client, tmp_path):
    before = generation(app)
    assert load(runner, write_data(tmp_path / "data")).exit_code == 0
    loaded = generation(app)
    assert loaded > before
    assert load(runner, write_data(tmp_path / "data")).exit_code == 0  # unchanged files: nothing written
    assert generation(app) == loaded

    rows = poll_rows(2, pollster="synthetic-a")
    for row in rows:
        row["series"] = row["outcome"] = ""
    path = tmp_path / "polls.csv"
    path.write_bytes(csv_bytes(rows))
    assert runner.invoke(args=["data", "import", str(path), "--dry-run"]).exit_code == 0
    assert generation(app) == loaded
    result = runner.invoke(args=["data", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert generation(app) > loaded


def test_a_raw_driver_write_that_sets_the_flag_moves_it_and_a_rollback_does_not(app):
    """The contract with bulk writers that bypass the session (a COPY): they set the flag."""
    before = generation(app)
    with app.app_context():
        db.session.connection().exec_driver_sql("UPDATE pollsters SET notes = 'raw' WHERE 1 = 0")
        data_generation.mark_changed(db.session)
        db.session.rollback()
        db.session.commit()
    assert generation(app) == before
    with app.app_context():
        db.session.connection().exec_driver_sql("UPDATE pollsters SET notes = 'raw' WHERE 1 = 0")
        data_generation.mark_changed(db.session)
        db.session.commit()
    assert generation(app) == before + 1
