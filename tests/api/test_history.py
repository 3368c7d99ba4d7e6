"""Revision history of polls (issue 4): every create, update, delete and restore is recorded with the
API key's name, the reason given and what changed; an unchanged write records nothing; a deleted poll
is hidden everywhere but keeps its history."""

from __future__ import annotations

import copy

from factories import assert_problem, create_pollster, make_key, poll_doc, simple_question, walk_pages, if_match

URL = "/api/v1/polls"


def history(client, poll_id, query=""):
    response = client.get(f"{URL}/{poll_id}/history{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_create_is_revision_1_with_key_name_and_reason(client, app, pollster):
    headers = {"Authorization": f"Bearer {make_key(app, name='data-desk')}"}

    created = client.post(f"{URL}?reason=first+entry+from+the+KIIS+release", json=poll_doc(), headers=headers)

    assert created.status_code == 201
    body = history(client, created.get_json()["id"])
    assert body["total"] == 1 and body["next_cursor"] is None
    (revision,) = body["items"]
    assert revision["revision"] == 1 and revision["action"] == "create"
    assert revision["actor"] == "data-desk" and revision["reason"] == "first entry from the KIIS release"
    assert revision["changes"] == [] and len(revision["content_hash"]) == 64
    assert revision["recorded_at"].endswith("+00:00")


def test_put_records_what_changed_and_why(client, auth, poll):
    doc = poll_doc(sample_size=1002)
    doc["questions"][0]["answers"][0]["pct"] = 16

    response = client.put(f"{URL}/{poll['id']}?reason=corrected+per+pollster", json=doc, headers=if_match(client, f"{URL}/{poll['id']}?reason=corrected+per+pollster", auth))

    assert response.status_code == 200
    newest, first = history(client, poll["id"])["items"]
    assert (newest["revision"], newest["action"], first["revision"]) == (2, "update", 1)
    assert newest["reason"] == "corrected per pollster" and newest["actor"] == "test-write"
    changes = {c["path"]: (c["from"], c["to"]) for c in newest["changes"]}
    assert changes == {
        "/poll/sample_size": (985, 1002),
        "/poll/questions/peace_closer/answers/significantly_closer/pct": (15.0, 16.0),
    }


def test_patch_is_recorded_and_an_unchanged_put_records_nothing(client, auth, poll):
    assert client.patch(f"{URL}/{poll['id']}", json={"notes": "Synthetic note"}, headers=if_match(client, f"{URL}/{poll['id']}", auth)).status_code == 200

    assert client.put(f"{URL}/{poll['id']}", json=poll_doc(notes="Synthetic note"), headers=if_match(client, f"{URL}/{poll['id']}", auth)).status_code == 200

    body = history(client, poll["id"])
    assert body["total"] == 2, "the PUT of the same document wrote no revision"
    assert body["items"][0]["changes"] == [{"path": "/poll/notes", "from": None, "to": "Synthetic note"}]


def test_delete_hides_the_poll_everywhere_and_keeps_its_history(admin, client, auth, poll):
    series = {"slug": "peace", "title": "Synthetic: peace closer", "outcomes": [{"code": "closer", "label": "Closer"}]}
    assert client.post("/api/v1/series", json=series, headers=auth).status_code == 201
    question_id = poll["questions"][0]["id"]
    member = {"question_id": question_id, "outcomes": {"closer": ["closer"]}}
    assert client.post("/api/v1/series/peace/members", json=member, headers=auth).status_code == 200
    assert client.get("/api/v1/series/peace/points").get_json()["total"] == 1

    response = client.delete(f"{URL}/{poll['id']}?reason=duplicate+of+another+entry", headers=if_match(client, f"{URL}/{poll['id']}?reason=duplicate+of+another+entry", admin))

    assert response.status_code == 204
    gone = assert_problem(client.get(f"{URL}/{poll['id']}"), 410)
    assert f"/api/v1/polls/{poll['id']}/history" in gone["detail"]
    assert_problem(client.put(f"{URL}/{poll['id']}", json=poll_doc(), headers=if_match(client, f"{URL}/{poll['id']}", auth)), 410)
    assert_problem(client.patch(f"{URL}/{poll['id']}", json={"notes": "x"}, headers=if_match(client, f"{URL}/{poll['id']}", auth)), 410)
    assert_problem(client.get(f"/api/v1/polls/{poll['id']}/intervals"), 410)
    assert client.get(URL).get_json()["total"] == 0
    assert client.get("/api/v1/series/peace/points").get_json()["total"] == 0
    assert client.get("/api/v1/series/peace").get_json()["poll_count"] == 0
    assert client.get("/api/v1/series/peace/members").get_json() == []
    assert client.get("/api/v1/series/peace/data.csv").get_data(as_text=True).count("\n") == 1, "header only"
    items = history(client, poll["id"])["items"]
    assert [i["action"] for i in items] == ["delete", "update", "create"]
    assert items[0]["reason"] == "duplicate of another entry"
    assert items[0]["changes"] == [{"path": "/deleted", "from": False, "to": True}]


def add_to_series(client, auth, poll) -> str:
    """Put the poll's first question in a new synthetic series; return the member's URL."""
    series = {"slug": "peace", "title": "Synthetic: peace closer", "outcomes": [{"code": "closer", "label": "Closer"}]}
    assert client.post("/api/v1/series", json=series, headers=auth).status_code == 201
    question_id = poll["questions"][0]["id"]
    member = {"question_id": question_id, "outcomes": {"closer": ["closer"]}}
    assert client.post("/api/v1/series/peace/members", json=member, headers=auth).status_code == 200
    return f"/api/v1/series/peace/members/{question_id}"


def test_series_membership_changes_are_revisions_of_the_poll(client, auth, poll):
    url = add_to_series(client, auth, poll)
    assert client.delete(url, headers=if_match(client, url, auth)).status_code == 204

    items = history(client, poll["id"])["items"]
    assert [i["action"] for i in items] == ["update", "update", "create"]
    assert items[1]["changes"] == [{
        "path": "/series/peace",
        "from": None,
        "to": {"peace_closer": {"closer": {"answers": ["closer"], "position": 1}}},
    }]
    assert items[0]["changes"][0]["path"] == "/series/peace" and items[0]["changes"][0]["to"] is None


def test_a_member_removal_records_its_reason_like_the_other_poll_writes(client, auth, poll):
    url = add_to_series(client, auth, poll)

    removed = client.delete(f"{url}?reason=wrong+question", headers=if_match(client, url, auth))

    assert removed.status_code == 204
    latest = history(client, poll["id"])["items"][0]
    assert latest["reason"] == "wrong question" and latest["changes"][0]["path"] == "/series/peace"


def test_history_pages_newest_first(client, auth, poll):
    for n in range(5):
        doc = poll_doc(sample_size=1000 + n)
        assert client.put(f"{URL}/{poll['id']}", json=doc, headers=if_match(client, f"{URL}/{poll['id']}", auth)).status_code == 200

    items, pages = walk_pages(client, f"{URL}/{poll['id']}/history", limit=2)

    assert [i["revision"] for i in items] == [6, 5, 4, 3, 2, 1]
    assert len(pages) == 3 and pages[0]["total"] == 6


def test_history_of_an_unknown_poll_is_404_and_bad_reason_is_refused(admin, client, auth, poll):
    assert_problem(client.get(f"{URL}/424242/history"), 404)
    assert_problem(client.get(f"{URL}/{poll['id']}/history?cursor=nonsense"), 400)
    too_long = "x" * 501
    body = assert_problem(client.put(f"{URL}/{poll['id']}?reason={too_long}", json=poll_doc(), headers=if_match(client, f"{URL}/{poll['id']}?reason={too_long}", auth)), 422)
    assert body["errors"][0]["parameter"] == "reason"
    assert_problem(client.delete(f"{URL}/{poll['id']}?reson=typo", headers=if_match(client, f"{URL}/{poll['id']}?reson=typo", admin)), 422)
    assert history(client, poll["id"])["total"] == 1, "refused writes record nothing"


def test_a_failed_write_records_nothing(client, auth, poll):
    doc = poll_doc(pollster="nobody")

    assert_problem(client.put(f"{URL}/{poll['id']}", json=doc, headers=if_match(client, f"{URL}/{poll['id']}", auth)), 422)

    assert history(client, poll["id"])["total"] == 1


def test_renaming_the_pollster_is_a_revision_of_its_polls(client, auth, poll):
    response = client.patch("/api/v1/pollsters/kiis", json={"name": "KIIS (renamed)"}, headers=if_match(client, "/api/v1/pollsters/kiis", auth))
    assert response.status_code == 200

    newest = history(client, poll["id"])["items"][0]
    assert newest["changes"] == [{"path": "/pollster_name", "from": "Kyiv International Institute of Sociology",
                                  "to": "KIIS (renamed)"}]


def test_adding_a_question_is_one_change_naming_it(client, auth, poll):
    doc = poll_doc()
    doc["questions"].append(simple_question(position=2))

    assert client.put(f"{URL}/{poll['id']}", json=doc, headers=if_match(client, f"{URL}/{poll['id']}", auth)).status_code == 200

    paths = [c["path"] for c in history(client, poll["id"])["items"][0]["changes"]]
    assert paths == ["/poll/questions/approve", "/question_ids/approve"]
