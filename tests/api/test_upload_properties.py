"""Property-based tests (Hypothesis) of ``POST /api/v1/imports`` with random and broken SYNTHETIC poll
files (tests/import_strategies.py): never a 500; a refusal is a 4xx problem and leaves the database
exactly as it was; an accepted upload (201) has every poll of an untouched file stored."""

from __future__ import annotations

from hypothesis import event, given, settings

from factories import PROBLEM, db_fingerprint
from import_files import post_upload
from import_strategies import PROPERTY_SETTINGS as SETTINGS, poll_files, with_series  # noqa: F401 (fixture)


@SETTINGS
@given(file=poll_files())
def test_broken_uploads_never_fail_and_a_refusal_writes_nothing(client, auth, app, with_series, file):
    name, data, _ = file
    before = db_fingerprint(app)
    response = post_upload(client, auth, data, name)
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    event(str(response.status_code))
    if response.status_code >= 400:
        assert response.mimetype == PROBLEM
        assert db_fingerprint(app) == before
    else:
        assert response.status_code == 201


@settings(SETTINGS, max_examples=10)
@given(file=poll_files(broken=False))
def test_an_accepted_upload_stores_every_poll(client, auth, with_series, file):
    name, data, keys = file
    response = post_upload(client, auth, data, name)
    assert response.status_code == 201, response.get_data(as_text=True)[:2000]
    stored = {(p["source"], p["source_id"]) for p in client.get("/api/v1/polls?limit=100").get_json()["items"]}
    assert keys <= stored
