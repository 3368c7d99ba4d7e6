"""SYNTHETIC series for the statistics API tests, created through the HTTP API.

Nothing here is real data: pollsters, dates and shares are made up (a slow upward drift plus a fixed
offset per pollster and a little deterministic noise), so that the expected house-effect signs are
known. Helpers only; the tests live in test_intervals/test_trend/test_house_effects/test_compare.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from flask.testing import FlaskClient

from factories import poll_doc, if_match

SERIES = "synthetic-approval"
#: Synthetic house effects (points) of the synthetic pollsters.
OFFSETS = {"alpha": 3.0, "beta": -3.0, "gamma": 0.0}


def create_pollsters(client: FlaskClient, auth: dict[str, str], slugs: Any = OFFSETS) -> None:
    for slug in slugs:
        response = client.post(
            "/api/v1/pollsters", json={"slug": slug, "name": f"Synthetic pollster {slug}"}, headers=auth
        )
        assert response.status_code == 201, response.get_json()


def create_series(client: FlaskClient, auth: dict[str, str], slug: str = SERIES,
                  outcomes: tuple[str, ...] = ("approve", "disapprove")) -> dict[str, Any]:
    response = client.post(
        "/api/v1/series",
        json={
            "slug": slug,
            "title": "Synthetic approval",
            "outcomes": [{"code": code, "label": code.title()} for code in outcomes],
        },
        headers=auth,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def approval_question(approve: float, disapprove: float, *, code: str = "approval", **fields: Any) -> dict[str, Any]:
    question = {
        "code": code,
        "wording": "Synthetic: do you approve of the synthetic leader?",
        "language": "en",
        "answers": [
            {"code": "approve", "label": "Approve", "pct": approve},
            {"code": "disapprove", "label": "Disapprove", "pct": disapprove},
            {"code": "dont_know", "label": "Don't know", "pct": round(100 - approve - disapprove, 1),
             "substantive": False},
        ],
    }
    question.update(fields)
    return question


def add_poll(
    client: FlaskClient,
    auth: dict[str, str],
    *,
    pollster: str,
    start: dt.date,
    approve: float,
    disapprove: float | None = None,
    days: int = 3,
    published_after: int = 2,
    series: str | None = SERIES,
    questions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Create one synthetic poll (and map its questions onto the series' approve/disapprove)."""
    disapprove = round(90 - approve, 1) if disapprove is None else disapprove
    end = start + dt.timedelta(days=days)
    doc = poll_doc(
        pollster=pollster,
        field_start_date=start.isoformat(),
        field_end_date=end.isoformat(),
        publication_date=(end + dt.timedelta(days=published_after)).isoformat(),
        sample_size=fields.pop("sample_size", 1000),
        design_effect=fields.pop("design_effect", None),
        questions=questions or [approval_question(approve, disapprove)],
        **fields,
    )
    response = client.post("/api/v1/polls", json=doc, headers=auth)
    assert response.status_code == 201, response.get_json()
    poll = response.get_json()
    if series:
        for question in poll["questions"]:
            codes = {a["code"] for a in question["answers"]}
            mapping = {o: [o] for o in ("approve", "disapprove") if o in codes}
            member = client.post(
                f"/api/v1/series/{series}/members",
                json={"question_id": question["id"], "outcomes": mapping},
                headers=auth,
            )
            assert member.status_code == 200, member.get_json()
    return poll


def build_world(client: FlaskClient, auth: dict[str, str], *, rounds: int = 4, seed: int = 7) -> list[dict[str, Any]]:
    """``rounds`` x 3 synthetic polls, one per pollster every 10 days from 2024-01-01."""
    create_pollsters(client, auth)
    create_series(client, auth)
    rng = random.Random(seed)
    polls = []
    for r in range(rounds):
        for i, (pollster, offset) in enumerate(OFFSETS.items()):
            start = dt.date(2024, 1, 1) + dt.timedelta(days=10 * r + 3 * i)
            approve = round(40 + 0.2 * r + offset + rng.uniform(-0.5, 0.5), 1)
            polls.append(add_poll(client, auth, pollster=pollster, start=start, approve=approve))
    return polls


def put_poll(client: FlaskClient, auth: dict[str, str], poll: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """PUT a poll back with ``changes`` (a whole-document replace, as a newsroom editor would)."""
    keep = ("self_sponsored", "field_start_date", "field_end_date", "field_dates_precision", "publication_date",
            "country", "population", "sample_size", "sample_type", "design_effect", "margin_of_error", "tracking")
    doc = {name: poll[name] for name in keep}
    doc["pollster"] = poll["pollster"]["slug"]
    doc["questions"] = [
        {
            "code": q["code"],
            "wording": q["wording"],
            "language": q["language"],
            "answers": [
                {"code": a["code"], "label": a["label"], "pct": a["pct"], "substantive": a["substantive"],
                 "components": a["components"]}
                for a in q["answers"]
            ],
        }
        for q in poll["questions"]
    ]
    doc.update(changes)
    response = client.put(f"/api/v1/polls/{poll['id']}", json=doc, headers=if_match(client, f"/api/v1/polls/{poll['id']}", auth))
    assert response.status_code == 200, response.get_json()
    return response.get_json()
