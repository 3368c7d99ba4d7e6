"""Factories (synthetic test data) and helpers shared by the API, CLI and migration tests.

Import them with ``from factories import ...`` (pytest puts ``tests/`` on ``sys.path`` for the
rootdir conftest); ``conftest`` itself is not importable by name because ``tests/stats`` has one too.
"""

from __future__ import annotations

import copy
from http import HTTPStatus
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from pollapp.extensions import db
from pollapp.models import Base


# ---------------------------------------------------------------- factories (synthetic test data)

KIIS_LIKE_POLL: dict[str, Any] = {
    # Shaped like KIIS's December 2024 release, used as a template for synthetic test polls.
    "pollster": "kiis",
    "self_sponsored": True,
    "field_start_date": "2024-12-02",
    "field_end_date": "2024-12-17",
    "publication_date": "2024-12-27",
    "country": "UA",
    "population": "adults",
    "population_description": "Adults 18+ living in government-controlled territory of Ukraine",
    "coverage_exclusions": "Occupied territories; people who left Ukraine after 24 February 2022",
    "sample_size": 985,
    "sample_type": "probability",
    "sampling_frame": "Random mobile phone numbers",
    "recruitment": "Random digit dialling of mobile numbers",
    "modes": ["phone_live"],
    "languages": ["uk", "ru"],
    "weighted": True,
    "weighting_variables": ["age", "sex", "region"],
    "design_effect": 1.1,
    "source_url": "https://example.org/poll",
    "questions": [
        {
            "code": "peace_closer",
            "wording": "Is the election of Donald Trump bringing the end of hostilities closer or further away?",
            "language": "en",
            "answers": [
                {"code": "significantly_closer", "label": "Significantly closer", "pct": 15},
                {"code": "slightly_closer", "label": "Slightly closer", "pct": 30},
                {"code": "slightly_further", "label": "Slightly further", "pct": 9},
                {"code": "significantly_further", "label": "Significantly further", "pct": 5},
                {"code": "no_change_or_undecided", "label": "No change / hard to say", "pct": 40, "substantive": False},
                {
                    "code": "closer",
                    "label": "Closer (net)",
                    "pct": 45,
                    "components": ["significantly_closer", "slightly_closer"],
                },
            ],
        }
    ],
}


def poll_doc(**overrides: Any) -> dict[str, Any]:
    doc = copy.deepcopy(KIIS_LIKE_POLL)
    doc.update(overrides)
    return doc


# ---------------------------------------------------------------- helpers shared by the API tests


def make_key(app: Flask, scope: str = "write", name: str | None = None) -> str:
    """Create an API key with ``scope`` directly through the service; returns the token."""
    from pollapp.services import keys

    with app.app_context():
        _, token = keys.create_key(db.session, name or f"test-{scope}", scope)
        db.session.commit()
    return token


def if_match(client: FlaskClient, url: str, headers: dict[str, str]) -> dict[str, str]:
    """``headers`` plus the ``If-Match`` that updates and deletes of ``url`` require: the ETag of a
    fresh GET (of the members list for a series member). Unchanged when the GET fails (the write
    then answers 404/410 before asking for If-Match)."""
    path = url.split("?", 1)[0]
    parts = path.rstrip("/").split("/")
    if len(parts) >= 3 and parts[-2] == "members":
        path = "/".join(parts[:-1])
    response = client.get(path)
    if response.status_code != 200:
        return dict(headers)
    return {**headers, "If-Match": response.headers["ETag"]}


PROBLEM = "application/problem+json"
#: A SYNTHETIC three-outcome series (the exports' and the point-row read's tests build on it).
PEACE_SERIES = {
    "slug": "peace-closer",
    "title": "Synthetic: is peace getting closer?",
    "description": "Synthetic series for the tests.",
    "country": "UA",
    "outcomes": [
        {"code": "closer", "label": "Closer"},
        {"code": "further", "label": "Further"},
        {"code": "undecided", "label": "No change / hard to say"},
    ],
}


def assert_problem(response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with ``status``; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM, response.headers
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"]
    # RFC 9457: "about:blank" means the title is the status phrase; pollapp's own kinds use a URN.
    if body["type"] == "about:blank":
        assert body["title"].lower() == HTTPStatus(status).phrase.lower(), body
    else:
        assert body["type"].startswith("urn:pollapp:problem:"), body
    return body


def error_pointers(body: dict[str, Any]) -> set[str]:
    return {e["pointer"] for e in body.get("errors", []) if "pointer" in e}


def error_parameters(body: dict[str, Any]) -> set[str]:
    return {e["parameter"] for e in body.get("errors", []) if "parameter" in e}


def row_counts(app: Flask) -> dict[str, int]:
    """Rows per table, to prove that a refused write wrote nothing."""
    from sqlalchemy import func, select

    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
            if table.name != "data_generation"  # always its one row (tests/api/test_data_generation.py)
        }


def create_pollster(client: FlaskClient, auth: dict[str, str], slug: str, **fields: Any) -> dict[str, Any]:
    body = {"slug": slug, "name": fields.pop("name", f"Synthetic pollster {slug}"), **fields}
    response = client.post("/api/v1/pollsters", json=body, headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def create_sponsor(client: FlaskClient, auth: dict[str, str], slug: str, **fields: Any) -> dict[str, Any]:
    body = {"slug": slug, "name": fields.pop("name", f"Synthetic sponsor {slug}"), **fields}
    response = client.post("/api/v1/sponsors", json=body, headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def create_poll(client: FlaskClient, auth: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/polls", json=poll_doc(**overrides), headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def simple_question(code: str = "approve", wording: str = "Synthetic: do you approve?", **fields: Any) -> dict[str, Any]:
    """A small synthetic single-choice question (approve/disapprove/don't know = 100)."""
    question = {
        "code": code,
        "wording": wording,
        "language": "en",
        "answers": [
            {"code": "approve", "label": "Approve", "pct": 40},
            {"code": "disapprove", "label": "Disapprove", "pct": 50},
            {"code": "dont_know", "label": "Don't know", "pct": 10, "substantive": False},
        ],
    }
    question.update(fields)
    return question


def walk_pages(client: FlaskClient, url: str, limit: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Follow ``next_cursor`` from the first page to the last; returns (items, page bodies)."""
    separator = "&" if "?" in url else "?"
    pages: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        query = f"{separator}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url + query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert set(body) == {"items", "next_cursor", "total"}
        assert len(body["items"]) <= limit
        pages.append(body)
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
        assert len(body["items"]) == limit, "a page before the last one is full"
    raise AssertionError("pagination does not end")


def load_report(result) -> dict[str, tuple[int, int, int]]:
    """The (created, updated, unchanged) counts a `flask data load|import` run printed, by kind."""
    import re

    counts = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"(.+): (\d+) created, (\d+) updated, (\d+) unchanged", line.strip())
        if match:
            counts[match.group(1)] = tuple(int(g) for g in match.groups()[1:])
    return counts


def db_fingerprint(app: Flask) -> str:
    """A hash of every row of every table (in primary-key order): equal before and after a refused
    write proves that nothing at all was written, not only that the row counts match."""
    import hashlib

    from sqlalchemy import select

    digest = hashlib.sha256()
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest.update(f"{table.name}:{rows!r}".encode())
        db.session.remove()
    return digest.hexdigest()
