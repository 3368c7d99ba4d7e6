"""Test fixtures: an app with a fresh database per test, a client, an API key and document factories.

The database is SQLite (a new file per test) unless ``TEST_DATABASE_URL`` names another, e.g.
PostgreSQL; ``make test`` runs the suite once on each. On PostgreSQL the schema is created once per
session (``create_all`` is allowed in tests only; the migration test checks it equals the
migrations) and every table is emptied before each test.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from pollapp import create_app
from pollapp.extensions import db
from pollapp.models import Base

_server_schema_ready = False



@pytest.fixture
def database_url(tmp_path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    global _server_schema_ready
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        else:
            if not _server_schema_ready:
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
                db.create_all()
                _server_schema_ready = True
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def make_key(app: Flask, scope: str = "write") -> str:
    from pollapp.services import keys

    with app.app_context():
        _, token = keys.create_key(db.session, f"test-{scope}", scope)
        db.session.commit()
    return token


@pytest.fixture
def auth(app: Flask) -> dict[str, str]:
    """Headers carrying a write key."""
    return {"Authorization": f"Bearer {make_key(app)}"}


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


@pytest.fixture
def pollster(client: FlaskClient, auth: dict[str, str]) -> dict[str, Any]:
    response = client.post(
        "/api/v1/pollsters",
        json={"slug": "kiis", "name": "Kyiv International Institute of Sociology", "country": "UA"},
        headers=auth,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def poll(client: FlaskClient, auth: dict[str, str], pollster: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/polls", json=poll_doc(), headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()
