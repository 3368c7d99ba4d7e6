"""``as_of``: series points, downloads and statistics as pollapp served them at an instant (issue 4).

The acceptance point: ``as_of`` before a correction returns the old values; after it, the new ones.
"""

from __future__ import annotations

import datetime as dt
import time
import urllib.parse

import pytest

from factories import assert_problem, poll_doc, if_match

SERIES = {"slug": "peace", "title": "Synthetic: peace closer", "outcomes": [{"code": "closer", "label": "Closer"}]}


def at(moment: dt.datetime) -> str:
    return urllib.parse.quote(moment.isoformat())


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def pause() -> None:
    time.sleep(0.01)  # revisions are stamped to the microsecond; keep instants apart on coarse clocks


def add_member(client, auth, poll) -> None:
    member = {"question_id": poll["questions"][0]["id"], "outcomes": {"closer": ["closer"]}}
    assert client.post("/api/v1/series/peace/members", json=member, headers=auth).status_code == 200


@pytest.fixture
def peace(client, auth, pollster):
    """Six synthetic polls a week apart in the series 'peace' (enough for a trend line)."""
    assert client.post("/api/v1/series", json=SERIES, headers=auth).status_code == 201
    polls = []
    for week in range(6):
        start = dt.date(2024, 1, 1) + dt.timedelta(weeks=week)
        doc = poll_doc(field_start_date=start.isoformat(), field_end_date=(start + dt.timedelta(days=3)).isoformat(),
                       publication_date=(start + dt.timedelta(days=5)).isoformat(), source_url=None)
        doc["questions"][0]["answers"][-1]["pct"] = 40 + week
        doc["questions"][0]["answers"][0]["pct"] = 10 + week
        response = client.post("/api/v1/polls", json=doc, headers=auth)
        assert response.status_code == 201, response.get_json()
        polls.append(response.get_json())
        add_member(client, auth, polls[-1])
    pause()
    return polls


def closer_values(body) -> list[float]:
    return [p["pct"] for p in body["items"]]


def test_a_correction_is_invisible_before_it_and_visible_after(client, auth, peace):
    t1 = now()
    pause()
    before = client.get("/api/v1/series/peace/points")
    trend_before = client.get("/api/v1/series/peace/trend.csv?method=rolling&min_polls=2")
    doc = poll_doc(**{k: peace[0][k] for k in ("field_start_date", "field_end_date", "publication_date")},
                   source_url=None)
    doc["questions"][0]["answers"][0]["pct"] = 30
    doc["questions"][0]["answers"][4]["pct"] = 25
    doc["questions"][0]["answers"][-1]["pct"] = 60  # corrected: was 40
    assert client.put(f"/api/v1/polls/{peace[0]['id']}?reason=typo", json=doc, headers=if_match(client, f"/api/v1/polls/{peace[0]['id']}?reason=typo", auth)).status_code == 200
    pause()
    t2 = now()

    old = client.get(f"/api/v1/series/peace/points?as_of={at(t1)}")
    new = client.get(f"/api/v1/series/peace/points?as_of={at(t2)}")
    current = client.get("/api/v1/series/peace/points")

    assert closer_values(old.get_json()) == closer_values(before.get_json()) == [40, 41, 42, 43, 44, 45]
    assert closer_values(new.get_json()) == closer_values(current.get_json()) == [60, 41, 42, 43, 44, 45]
    assert old.get_json() == before.get_json()
    version = "Pollapp-Data-Version"
    assert old.headers[version] == before.headers[version] != current.headers[version] == new.headers[version]
    assert len({old.headers["ETag"], new.headers["ETag"], current.headers["ETag"]}) == 3

    # buffered: a streamed download keeps its request context until read, and the test client
    # (unlike a WSGI server) would start the next request before this one is consumed
    csv_old = client.get(f"/api/v1/series/peace/data.csv?as_of={at(t1)}", buffered=True)
    csv_now = client.get("/api/v1/series/peace/data.csv", buffered=True)
    assert csv_old.status_code == csv_now.status_code == 200
    assert ",40.0," in csv_old.get_data(as_text=True) and ",60.0," not in csv_old.get_data(as_text=True)
    assert ",60.0," in csv_now.get_data(as_text=True)
    assert csv_old.headers[version] == before.headers[version]
    assert csv_now.headers[version] == current.headers[version]

    trend_old = client.get(f"/api/v1/series/peace/trend.csv?method=rolling&min_polls=2&as_of={at(t1)}")
    trend_now = client.get("/api/v1/series/peace/trend.csv?method=rolling&min_polls=2")
    assert trend_old.get_data() == trend_before.get_data() != trend_now.get_data()
    assert trend_old.headers[version] == before.headers[version]
    assert trend_now.headers[version] == current.headers[version]
    body = client.get(f"/api/v1/series/peace/trend?method=rolling&min_polls=2&as_of={at(t1)}").get_json()
    assert body["data_version"] == before.headers[version]
    assert body["parameters"]["as_of"] == t1.isoformat().replace("+00:00", "Z")


def test_as_of_before_a_poll_existed_and_after_its_deletion(admin, client, auth, peace):
    t_before = peace_created = None
    history = client.get(f"/api/v1/polls/{peace[0]['id']}/history").get_json()["items"]
    peace_created = dt.datetime.fromisoformat(history[-1]["recorded_at"])
    t_before = peace_created - dt.timedelta(microseconds=1)
    assert client.get(f"/api/v1/series/peace/points?as_of={at(t_before)}").get_json()["total"] == 0

    t1 = now()
    pause()
    assert client.delete(f"/api/v1/polls/{peace[1]['id']}", headers=if_match(client, f"/api/v1/polls/{peace[1]['id']}", admin)).status_code == 204
    question_id = peace[2]["questions"][0]["id"]
    assert client.delete(f"/api/v1/series/peace/members/{question_id}", headers=if_match(client, f"/api/v1/series/peace/members/{question_id}", auth)).status_code == 204

    then = client.get(f"/api/v1/series/peace/points?as_of={at(t1)}").get_json()
    current = client.get("/api/v1/series/peace/points").get_json()
    assert [p["poll_id"] for p in then["items"]] == [p["id"] for p in peace]
    assert [p["poll_id"] for p in current["items"]] == [peace[i]["id"] for i in (0, 3, 4, 5)]


def test_points_as_of_pages_and_filters_like_the_current_points(client, auth, peace):
    t1 = now()
    pause()
    query = "outcome=closer&field_date_from=2024-01-10&limit=2"
    pages = []
    for url in (f"/api/v1/series/peace/points?{query}&as_of={at(t1)}", f"/api/v1/series/peace/points?{query}"):
        items, body = [], client.get(url).get_json()
        items += body["items"]
        while body["next_cursor"]:
            body = client.get(f"{url}&cursor={body['next_cursor']}").get_json()
            items += body["items"]
        pages.append((items, body["total"]))
    assert pages[0] == pages[1] and pages[0][1] == 5


def test_a_past_instant_is_immutable_and_conditional(client, auth, peace, monkeypatch):
    from pollapp.services import history_asof

    t1 = now()
    monkeypatch.setattr(history_asof, "SETTLE_SECONDS", 0)
    response = client.get(f"/api/v1/series/peace/points?as_of={at(t1)}")
    assert "immutable" in response.headers["Cache-Control"]
    again = client.get(f"/api/v1/series/peace/points?as_of={at(t1)}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    download = client.get(f"/api/v1/series/peace/data.csv?as_of={at(t1)}", buffered=True)
    assert "immutable" in download.headers["Cache-Control"]
    assert "immutable" not in client.get("/api/v1/series/peace/data.csv", buffered=True).headers["Cache-Control"]
    package = client.get(f"/api/v1/series/peace/datapackage.json?as_of={at(t1)}")
    assert "immutable" in package.headers["Cache-Control"]
    assert "immutable" not in client.get("/api/v1/series/peace/datapackage.json").headers["Cache-Control"]
    wide = client.get(f"/api/v1/series/peace/datapackage.json?shape=wide&as_of={at(t1)}")
    assert "immutable" in wide.headers["Cache-Control"]


def test_datapackage_as_of_cites_the_version_then(client, auth, peace):
    t1 = now()
    pause()
    points = client.get(f"/api/v1/series/peace/points?as_of={at(t1)}")
    doc = poll_doc(**{k: peace[0][k] for k in ("field_start_date", "field_end_date", "publication_date")},
                   source_url=None, sample_size=1500)
    assert client.put(f"/api/v1/polls/{peace[0]['id']}", json=doc, headers=if_match(client, f"/api/v1/polls/{peace[0]['id']}", auth)).status_code == 200

    package = client.get(f"/api/v1/series/peace/datapackage.json?as_of={at(t1)}").get_json()
    current = client.get("/api/v1/series/peace/datapackage.json").get_json()

    assert package["version"] == points.headers["Pollapp-Data-Version"] != current["version"]
    assert f"data version {package['version']}" in package["citation"]
    assert "as_of=" in package["resources"][0]["path"]
    wide = client.get(f"/api/v1/series/peace/datapackage.json?shape=wide&as_of={at(t1)}").get_json()
    assert wide["version"] == package["version"] and f"data version {package['version']}" in wide["citation"]
    assert wide["resources"][0]["path"].endswith(f"/data.csv?shape=wide&as_of={t1.isoformat().replace('+00:00', 'Z')}")


@pytest.mark.parametrize("value, fragment", [
    ("2024-01-01T00:00:00", "UTC offset"),
    ("yesterday", "not an ISO 8601"),
    ("2999-01-01T00:00:00Z", "future"),
    ("2024-01-01", "not an ISO 8601"),
])
def test_bad_as_of_is_a_400_problem(client, auth, peace, value, fragment):
    for url in ("/api/v1/series/peace/points", "/api/v1/series/peace/data.csv",
                "/api/v1/series/peace/datapackage.json"):
        body = assert_problem(client.get(f"{url}?as_of={urllib.parse.quote(value)}"), 400)
        assert body["errors"] == [{"parameter": "as_of", "detail": body["errors"][0]["detail"]}]
        assert fragment in body["errors"][0]["detail"] or (value == "2024-01-01" and "offset" in body["errors"][0]["detail"])


def test_trend_as_of_instant_is_validated_and_a_day_keeps_its_meaning(client, auth, peace):
    assert_problem(client.get("/api/v1/series/peace/trend?as_of=2024-01-01T00:00:00&min_polls=2"), 400)
    assert_problem(client.get("/api/v1/series/peace/trend?as_of=2999-01-01T00:00:00Z&min_polls=2"), 400)
    day = client.get("/api/v1/series/peace/trend?method=rolling&min_polls=2&as_of=2024-01-25").get_json()
    assert day["parameters"]["as_of"] == "2024-01-25" and day["grid"][-1]["date"] == "2024-01-25"


def test_changes_lists_added_corrected_and_removed(admin, client, auth, peace):
    t1 = now()
    pause()
    doc = poll_doc(**{k: peace[0][k] for k in ("field_start_date", "field_end_date", "publication_date")},
                   source_url=None)
    assert client.put(f"/api/v1/polls/{peace[0]['id']}?reason=fix", json=doc, headers=if_match(client, f"/api/v1/polls/{peace[0]['id']}?reason=fix", auth)).status_code == 200
    assert client.delete(f"/api/v1/polls/{peace[1]['id']}", headers=if_match(client, f"/api/v1/polls/{peace[1]['id']}", admin)).status_code == 204
    question_id = peace[2]["questions"][0]["id"]
    assert client.delete(f"/api/v1/series/peace/members/{question_id}", headers=if_match(client, f"/api/v1/series/peace/members/{question_id}", auth)).status_code == 204
    add_member(client, auth, peace[2])

    body = client.get(f"/api/v1/series/peace/changes?since={at(t1)}").get_json()

    kinds = [(c["poll_id"], c["kind"], c["action"]) for c in body["items"]]
    assert kinds == [
        (peace[0]["id"], "corrected", "update"),
        (peace[1]["id"], "removed", "delete"),
        (peace[2]["id"], "removed", "update"),
        (peace[2]["id"], "added", "update"),
    ]
    assert body["items"][0]["reason"] == "fix"
    assert "/poll/questions/peace_closer/answers/significantly_closer/pct" in body["items"][0]["changed_paths"]
    everything = client.get("/api/v1/series/peace/changes?limit=500").get_json()
    assert everything["total"] == 6 + 4
    assert {c["kind"] for c in everything["items"][:6]} == {"added"}
    assert_problem(client.get("/api/v1/series/peace/changes?since=2024-01-01T00:00:00"), 400)
    assert_problem(client.get("/api/v1/series/nope/changes"), 404)


def test_changes_pages_with_a_cursor(client, auth, peace):
    from factories import walk_pages

    items, pages = walk_pages(client, "/api/v1/series/peace/changes", limit=4)
    assert len(items) == 6 and len(pages) == 2
    assert [i["poll_id"] for i in items] == [p["id"] for p in peace]
