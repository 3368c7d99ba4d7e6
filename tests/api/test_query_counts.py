"""No N+1 queries: the number of SQL statements a list or detail request runs must not grow with the
number of rows it returns (issue 7). Each endpoint is asked for a page of 2 and a page of 20 (or a
poll with 1 and with 12 questions) of SYNTHETIC polls, and the two counts must be equal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from factories import create_pollster, create_sponsor, poll_doc, simple_question
from pollapp.extensions import db

N_POLLS = 20


@contextmanager
def counted(app) -> Iterator[list[str]]:
    """Every statement the app's engine executes inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture(autouse=True)
def computed_responses(app):
    """Count what building a response costs: with the whole-response cache on, the warmed request
    would be one statement (the data generation) whatever the page size (test_response_cache checks that)."""
    app.config["RESPONSE_CACHE"] = False


def statements_for(app, client, url: str) -> int:
    client.get(url)  # warm: a first request may load what every later one reuses
    with counted(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, response.get_json()
    return len(statements)


@pytest.fixture
def store(client, auth) -> None:
    for slug in ("kiis", "razumkov"):
        create_pollster(client, auth, slug, country="UA")
    create_sponsor(client, auth, "sponsor-a")
    for i in range(N_POLLS):
        questions = [simple_question(f"q{j}") for j in range(1 + i % 3)]
        doc = poll_doc(pollster=("kiis", "razumkov")[i % 2], sponsors=["sponsor-a"], self_sponsored=False,
                       partner_pollsters=[("razumkov", "kiis")[i % 2]], questions=questions,
                       field_start_date=f"2024-10-{1 + i:02d}", field_end_date=f"2024-10-{2 + i:02d}")
        assert client.post("/api/v1/polls", json=doc, headers=auth).status_code == 201


@pytest.mark.parametrize("url", [
    "/api/v1/polls?limit={n}",
    "/api/v1/polls?limit={n}&pollster=kiis&pollster=razumkov&sort=-publication_date",
    "/api/v1/pollsters?limit={n}",
    "/api/v1/polls/1/history?limit={n}",
])
def test_list_pages_run_as_many_statements_for_2_rows_as_for_20(app, client, store, url):
    assert statements_for(app, client, url.format(n=2)) == statements_for(app, client, url.format(n=N_POLLS))


def test_a_poll_with_12_questions_runs_as_many_statements_as_one_with_1(app, client, auth, store):
    many = poll_doc(questions=[simple_question(f"m{j}") for j in range(12)], field_start_date="2024-11-01",
                    field_end_date="2024-11-02")
    poll_id = client.post("/api/v1/polls", json=many, headers=auth).get_json()["id"]
    one = client.get("/api/v1/polls?limit=1&sort=field_end_date").get_json()["items"][0]
    assert len(one["questions"]) == 1
    assert statements_for(app, client, f"/api/v1/polls/{one['id']}") == statements_for(app, client, f"/api/v1/polls/{poll_id}")


def test_the_poll_list_is_seven_set_based_statements(app, client, store):
    """Count, page (with the pollster), sponsors, partners, questions, answers, components: the bulk
    JSON path (pollapp.services.poll_rows) builds no ORM objects and runs no per-poll query."""
    assert statements_for(app, client, f"/api/v1/polls?limit={N_POLLS}") == 7
