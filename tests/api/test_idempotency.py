"""``Idempotency-Key`` on POSTs: a retry with the same key and request replays the first response
and creates nothing; the same key with another request is 422; a duplicate of a request still
running is 409; errors are not stored; keys are per API key and expire."""

from __future__ import annotations

import datetime as dt

import pytest

from factories import assert_problem, create_pollster, make_key, poll_doc, row_counts
from import_files import csv_bytes, poll_rows, post_upload
from pollapp.extensions import db
from pollapp.models import ApiKey, IdempotencyRecord, Poll

KEY = "3f1c9a2e-retry-me"


def data_counts(app) -> dict[str, int]:
    counts = row_counts(app)
    counts.pop("idempotency_records")
    counts.pop("api_keys")
    return counts


def test_a_retried_post_replays_the_original_response_and_creates_nothing(client, app, auth, pollster):
    headers = {**auth, "Idempotency-Key": KEY}
    first = client.post("/api/v1/polls", json=poll_doc(), headers=headers)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    before = data_counts(app)

    again = client.post("/api/v1/polls", json=poll_doc(), headers=headers)

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.mimetype == "application/json"
    assert data_counts(app) == before
    assert client.get("/api/v1/polls").get_json()["total"] == 1


def test_the_same_key_with_another_body_is_422_and_creates_nothing(client, app, auth, pollster):
    headers = {**auth, "Idempotency-Key": KEY}
    assert client.post("/api/v1/polls", json=poll_doc(), headers=headers).status_code == 201
    before = data_counts(app)

    problem = assert_problem(client.post("/api/v1/polls", json=poll_doc(sample_size=1000), headers=headers), 422)
    assert "different request" in problem["detail"]
    assert problem["errors"] == [{"parameter": "Idempotency-Key", "detail": "Reused with a different request."}]
    # another path or query string is another request too
    assert_problem(client.post("/api/v1/polls?reason=again", json=poll_doc(), headers=headers), 422)
    assert_problem(client.post("/api/v1/pollsters", json={"slug": "x", "name": "X"}, headers=headers), 422)
    assert data_counts(app) == before


def test_keys_are_scoped_to_the_api_key_that_sent_them(client, app, auth, pollster):
    other = {"Authorization": f"Bearer {make_key(app, name='other-client')}", "Idempotency-Key": KEY}
    assert client.post("/api/v1/polls", json=poll_doc(), headers={**auth, "Idempotency-Key": KEY}).status_code == 201
    response = client.post("/api/v1/polls", json=poll_doc(), headers=other)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert client.get("/api/v1/polls").get_json()["total"] == 2


@pytest.mark.parametrize("key", ["", "k" * 256, "ключ", "tab\there"])
def test_a_malformed_key_is_400(client, app, auth, pollster, key):
    before = row_counts(app)
    problem = assert_problem(client.post("/api/v1/polls", json=poll_doc(), headers={**auth, "Idempotency-Key": key}), 400)
    assert problem["errors"][0]["parameter"] == "Idempotency-Key"
    assert row_counts(app) == before


def test_a_failed_request_is_not_stored_so_a_retry_runs_again(client, app, auth):
    headers = {**auth, "Idempotency-Key": KEY}
    assert_problem(client.post("/api/v1/polls", json=poll_doc(), headers=headers), 422)  # no pollster 'kiis' yet
    assert row_counts(app)["idempotency_records"] == 0
    create_pollster(client, auth, "kiis")

    assert client.post("/api/v1/polls", json=poll_doc(), headers=headers).status_code == 201
    replay = client.post("/api/v1/polls", json=poll_doc(), headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert client.get("/api/v1/polls").get_json()["total"] == 1


def _claim(app, token_name: str, key: str, *, locked_ago: dt.timedelta, created_ago: dt.timedelta = dt.timedelta(0)) -> None:
    """The record a first attempt of POST /api/v1/polls with poll_doc() leaves while running (or after dying)."""
    now = dt.datetime.now(dt.timezone.utc)
    request_hash = _hash_of(app, {"Idempotency-Key": key})
    with app.app_context():
        key_id = db.session.query(ApiKey.id).filter_by(name=token_name).scalar()
        db.session.add(IdempotencyRecord(api_key_id=key_id, key=key, request_hash=request_hash,
                                         created_at=now - created_ago, locked_at=now - locked_ago))
        db.session.commit()


def test_a_duplicate_of_a_running_request_is_409(client, app, pollster):
    headers = {"Authorization": f"Bearer {make_key(app, name='runner')}", "Idempotency-Key": KEY}
    _claim(app, "runner", KEY, locked_ago=dt.timedelta(seconds=1))
    before = data_counts(app)

    problem = assert_problem(client.post("/api/v1/polls", json=poll_doc(), headers=headers), 409)
    assert "still being processed" in problem["detail"]
    assert data_counts(app) == before


def test_an_attempt_that_died_is_taken_over_after_the_lock_timeout(client, app, pollster):
    headers = {"Authorization": f"Bearer {make_key(app, name='runner')}", "Idempotency-Key": KEY}
    _claim(app, "runner", KEY, locked_ago=dt.timedelta(seconds=app.config["IDEMPOTENCY_LOCK_TIMEOUT"] + 1))

    assert client.post("/api/v1/polls", json=poll_doc(), headers=headers).status_code == 201
    assert client.post("/api/v1/polls", json=poll_doc(), headers=headers).headers["Idempotent-Replayed"] == "true"
    assert client.get("/api/v1/polls").get_json()["total"] == 1


def _hash_of(app, headers: dict[str, str]) -> str:
    """The request hash the API computes for POST /api/v1/polls with poll_doc()."""
    from pollapp.api import idempotency

    with app.test_request_context("/api/v1/polls", method="POST", json=poll_doc(), headers=headers):
        return idempotency._request_hash()


def test_expired_records_are_purged_and_the_key_is_free_again(client, app, pollster):
    headers = {"Authorization": f"Bearer {make_key(app, name='runner')}", "Idempotency-Key": KEY}
    ttl = dt.timedelta(seconds=app.config["IDEMPOTENCY_TTL"])
    _claim(app, "runner", KEY, locked_ago=ttl * 2, created_ago=ttl + dt.timedelta(seconds=1))
    _claim(app, "runner", "another-old-one", locked_ago=ttl * 2, created_ago=ttl * 2)

    assert client.post("/api/v1/polls", json=poll_doc(), headers=headers).status_code == 201
    assert row_counts(app)["idempotency_records"] == 1  # both old ones purged, this request's stored


def test_the_write_and_its_record_are_one_transaction(client, app, auth, pollster, monkeypatch):
    """If storing the response fails, the write is undone too: a retry cannot find a poll that was
    created while its response was lost."""
    from pollapp.services import idempotency

    def fail(*args, **kwargs):
        raise RuntimeError("simulated crash while storing the response")

    headers = {**auth, "Idempotency-Key": KEY}
    before = data_counts(app)
    with monkeypatch.context() as patched:
        patched.setattr(idempotency, "complete", fail)
        assert_problem(client.post("/api/v1/polls", json=poll_doc(), headers=headers), 500)
    assert data_counts(app) == before

    assert client.post("/api/v1/polls", json=poll_doc(), headers=headers).status_code == 201
    assert client.post("/api/v1/polls", json=poll_doc(), headers=headers).headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert db.session.query(Poll).count() == 1


def test_a_retried_upload_replays_its_report(client, app, auth):
    rows = poll_rows(1)
    for row in rows:
        row["series"] = row["outcome"] = ""
    headers = {**auth, "Idempotency-Key": KEY}
    first = post_upload(client, headers, csv_bytes(rows), "polls.csv")
    assert first.status_code == 201, first.get_json()
    before = data_counts(app)

    again = post_upload(client, headers, csv_bytes(rows), "polls.csv")

    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert data_counts(app) == before
    changed = poll_rows(1, approve=41.0)
    for row in changed:
        row["series"] = row["outcome"] = ""
    assert_problem(post_upload(client, headers, csv_bytes(changed), "polls.csv"), 422)


def test_every_post_documents_the_header(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    posts = [(path, item["post"]) for path, item in spec["paths"].items() if "post" in item]
    assert len(posts) >= 6
    for path, operation in posts:
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in names, path
