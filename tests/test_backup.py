"""``flask data dump`` / ``flask data restore``: the real seed (data/) with edits made through the API
(so the history holds creates, updates and a soft delete) is dumped, restored into a fresh migrated
database and compared table by table, row by row, every column; then the API answers the same.

On PostgreSQL the archive also goes PG -> SQLite -> (dumped again) -> PG, covering both cross-database
directions with one load of data/ (a copy of the session's: ``real_data`` in conftest.py)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import frictionless
import orjson
import pytest
from flask import Flask
from sqlalchemy import func, select

from factories import make_key, poll_doc
from own_database import SERVER_URL, migrated_app, table_contents
from pollapp.extensions import db
from pollapp.models import Poll
from pollapp.services import backup_format

ON_SERVER = bool(SERVER_URL) and not SERVER_URL.startswith("sqlite")
EDITED_NOTES = "Виправлено після публікації звіту:\n«рядок 2», з лапками \"й\" комами, та 'апострофом'"


def api_answers(app: Flask, poll_ids: list[int]) -> dict[str, Any]:
    """What clients see and cache: each series' CSV ETag and data version, and the polls' histories."""
    client = app.test_client()
    answers: dict[str, Any] = {}
    slugs = [s["slug"] for s in client.get("/api/v1/series?limit=100").get_json()["items"]]
    assert len(slugs) >= 7
    for slug in slugs:
        response = client.get(f"/api/v1/series/{slug}/data.csv")
        assert response.status_code == 200
        answers[slug] = (response.headers["ETag"], response.headers["Pollapp-Data-Version"], response.data)
    for poll_id in poll_ids:
        response = client.get(f"/api/v1/polls/{poll_id}/history")
        answers[f"history {poll_id}"] = (response.status_code, response.get_json())
        answers[f"poll {poll_id}"] = client.get(f"/api/v1/polls/{poll_id}").status_code
    return answers


def edit_through_the_api(app: Flask) -> list[int]:
    """Two updates (one with Ukrainian text spanning lines) and a soft delete; returns the polls touched.
    Also a (synthetic) sponsor and a poll with that sponsor and a partner pollster, both created with an
    Idempotency-Key, so that every table has rows (the stored responses are bytes)."""
    client = app.test_client()
    auth = {"Authorization": f"Bearer {make_key(app, 'admin', 'backup-test editor')}"}
    sponsor = {"slug": "synthetic-backup-sponsor", "name": "Synthetic sponsor (backup test)"}
    response = client.post("/api/v1/sponsors", json=sponsor, headers={**auth, "Idempotency-Key": "backup-1"})
    assert response.status_code == 201, response.get_json()
    doc = poll_doc(pollster="kiis", self_sponsored=False, sponsors=[sponsor["slug"]], partner_pollsters=["rating-group"])
    response = client.post("/api/v1/polls", json=doc, headers={**auth, "Idempotency-Key": "backup-2"})
    assert response.status_code == 201, response.get_json()
    ids = [p["id"] for p in client.get("/api/v1/polls?limit=3").get_json()["items"]]
    for poll_id, change in zip(ids, ({"notes": EDITED_NOTES, "sample_size": 2001}, {"notes": ""})):
        etag = client.get(f"/api/v1/polls/{poll_id}").headers["ETag"]
        response = client.patch(f"/api/v1/polls/{poll_id}?reason=backup test: корекція", json=change,
                                headers={**auth, "If-Match": etag})  # fmt: skip
        assert response.status_code == 200, response.get_json()
    etag = client.get(f"/api/v1/polls/{ids[2]}").headers["ETag"]
    response = client.delete(f"/api/v1/polls/{ids[2]}", headers={**auth, "If-Match": etag})
    assert response.status_code == 204, response.get_json()
    return ids


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["data", *args])


class Source:
    def __init__(self, app: Flask, archive: Path, edited: list[int], contents: dict, answers: dict):
        self.app, self.archive, self.edited, self.contents, self.answers = app, archive, edited, contents, answers


@pytest.fixture(scope="module")
def source(tmp_path_factory, real_data) -> Iterator[Source]:
    """A copy of the session's load of data/ (``real_data``), edited through the API, then dumped."""
    directory = tmp_path_factory.mktemp("backup")
    with real_data.copy(directory, "backup_source") as app:
        edited = edit_through_the_api(app)
        archive = directory / "pollapp-backup.zip"
        dumped = run(app, "dump", str(archive))
        assert dumped.exit_code == 0, dumped.output
        yield Source(app, archive, edited, table_contents(app), api_answers(app, edited))


@pytest.fixture
def target(tmp_path) -> Iterator[Flask]:
    with migrated_app(tmp_path, "backup_target") as app:
        yield app


def test_the_archive_is_a_valid_frictionless_data_package_with_every_table(source, tmp_path):
    with zipfile.ZipFile(source.archive) as archive:
        archive.extractall(tmp_path)
        descriptor = orjson.loads(archive.read("datapackage.json"))
    assert descriptor["pollapp:alembic_revision"] == "0002" or descriptor["pollapp:alembic_revision"] >= "0002"
    assert {r["name"] for r in descriptor["resources"]} == set(source.contents) and "alembic_version" not in source.contents
    assert [t for t, rows in source.contents.items() if not rows] == []  # every column type is exercised
    assert {r["name"]: r["pollapp:rows"] for r in descriptor["resources"]} == {t: len(rows) for t, rows in source.contents.items()}
    report = frictionless.validate(str(tmp_path / "datapackage.json"))  # types, primary and foreign keys
    assert report.valid, report.flatten(["resourceName", "type", "note"])[:10]
    keys = next(r for r in descriptor["resources"] if r["name"] == "api_keys")
    assert "key_hash" in [f["name"] for f in keys["schema"]["fields"]]


def test_restore_rebuilds_an_identical_database_and_new_rows_get_new_ids(source, target):
    before = _generation(target)
    restored = run(target, "restore", str(source.archive))
    assert restored.exit_code == 0, restored.output
    # past both databases' generations: a cache shared with either never mixes them up
    assert _generation(target) > max(before, _generation(source.app)) > 0
    contents = table_contents(target)
    assert contents.keys() == source.contents.keys()
    for table, rows in source.contents.items():
        assert contents[table] == rows, table
    revisions = {row.action.value for row in _rows(contents, "poll_revisions")}
    assert revisions == {"create", "update", "delete"}
    assert EDITED_NOTES in {row.notes for row in _rows(contents, "polls")}
    assert api_answers(target, source.edited) == source.answers

    client = target.test_client()
    auth = {"Authorization": f"Bearer {make_key(target, 'write', 'after restore')}"}
    largest = max(row[0] for row in source.contents["polls"])
    keys_before = max(row[0] for row in source.contents["api_keys"])
    response = client.post("/api/v1/polls", json=poll_doc(pollster="levada-center"), headers=auth)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["id"] == largest + 1
    with target.app_context():
        assert db.session.scalar(select(func.max(Poll.id))) == largest + 1
    assert max(row[0] for row in table_contents(target)["api_keys"]) == keys_before + 1


def _generation(app: Flask) -> int:
    from pollapp import repository

    with app.app_context():
        value = repository.data_generation(db.session)
        db.session.remove()
    return value


def _rows(contents: dict, table: str) -> list[Any]:
    names = [c.name for c in next(t for t in backup_format.tables() if t.name == table).columns]
    return [type("Row", (), dict(zip(names, row))) for row in contents[table]]


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(source, target):
    client = target.test_client()
    auth = {"Authorization": f"Bearer {make_key(target)}"}
    assert client.post("/api/v1/pollsters", json={"slug": "kiis", "name": "KIIS"}, headers=auth).status_code == 201
    before = table_contents(target)
    refused = run(target, "restore", str(source.archive))
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "pollsters" in refused.output
    assert table_contents(target) == before


def _rewrite(archive: Path, out: Path, change) -> Path:
    """A copy of ``archive`` with ``change(name, data)`` applied to each member (None drops it)."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            data = change(info.filename, source.read(info))
            if data is not None:
                copy.writestr(info.filename, data)
    return out


@pytest.mark.parametrize("damage", ["a changed value", "a missing file", "a truncated archive", "an edited descriptor"])
def test_a_damaged_archive_is_refused_before_anything_is_written(source, target, tmp_path, damage):
    if damage == "a changed value":
        bad = _rewrite(source.archive, tmp_path / "bad.zip",
                       lambda name, data: data.replace(b"2001", b"2002", 1) if name == "data/polls.jsonl" else data)
    elif damage == "a missing file":  # the last table in insert order: a late failure would have written the others
        bad = _rewrite(source.archive, tmp_path / "bad.zip", lambda name, data: None if name == "data/series_mappings.jsonl" else data)
    elif damage == "a truncated archive":
        bad = tmp_path / "bad.zip"
        bad.write_bytes(source.archive.read_bytes()[: source.archive.stat().st_size // 2])
    else:
        def forget_a_table(name: str, data: bytes) -> bytes:
            if name != "datapackage.json":
                return data
            descriptor = orjson.loads(data)
            descriptor["resources"] = [r for r in descriptor["resources"] if r["name"] != "answers"]
            return orjson.dumps(descriptor)

        bad = _rewrite(source.archive, tmp_path / "bad.zip", forget_a_table)
    refused = run(target, "restore", str(bad))
    assert refused.exit_code == 1, refused.output
    assert "Error:" in refused.output
    assert all(rows == [] for rows in table_contents(target).values())


def test_restore_refuses_a_database_at_another_revision(source, target):
    with target.app_context():
        db.session.execute(db.text("UPDATE alembic_version SET version_num = '0001'"))
        db.session.commit()
    refused = run(target, "restore", str(source.archive))
    assert refused.exit_code == 1 and "revision 0001" in refused.output
    assert all(rows == [] for rows in table_contents(target).values())


@pytest.mark.skipif(not ON_SERVER, reason="cross-database round trip: runs in the PostgreSQL pass (TEST_DATABASE_URL)")
def test_postgresql_to_sqlite_and_back_keeps_every_row(source, tmp_path):
    with migrated_app(tmp_path, "backup_sqlite", sqlite=True) as lite:
        assert lite.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
        restored = run(lite, "restore", str(source.archive))
        assert restored.exit_code == 0, restored.output
        assert table_contents(lite) == source.contents
        again = tmp_path / "from-sqlite.zip"
        assert run(lite, "dump", str(again)).exit_code == 0
    with migrated_app(tmp_path, "backup_back_on_server") as server:
        restored = run(server, "restore", str(again))
        assert restored.exit_code == 0, restored.output
        assert table_contents(server) == source.contents
        assert api_answers(server, source.edited) == source.answers

