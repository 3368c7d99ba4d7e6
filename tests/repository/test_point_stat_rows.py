"""``repository.series_point_stat_rows`` reads the DBAPI cursor and converts values itself (issue 7): its
tuples must equal, value for value and type for type, what the same SELECT gives through SQLAlchemy's
result rows, and the data version hashed from them must equal the one of the streamed export. SYNTHETIC
polls with NULLs, dates, booleans, unicode, modes JSON and an outcome summing several answers."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from pollapp import repository
from pollapp.extensions import db
from pollapp.models import Poll, Question, Series
from pollapp.repository.points import POINT_COLUMNS, POINT_STAT_EXTRA_COLUMNS, _series_points_query
from pollapp.services import data_version

from factories import PEACE_SERIES as SERIES, create_pollster, poll_doc

MAPPING = {  # "closer" and "further" sum two answers each
    "closer": ["significantly_closer", "slightly_closer"],
    "further": ["slightly_further", "significantly_further"],
    "undecided": ["no_change_or_undecided"],
}


@pytest.fixture
def series(client, auth, poll) -> int:
    assert client.post("/api/v1/series", json=SERIES, headers=auth).status_code == 201
    create_pollster(client, auth, "rating", name="Синтетична «Рейтинг» \"група\" 😀", country="UA")
    others = [
        poll_doc(pollster="rating", field_start_date="2025-01-10", field_end_date="2025-01-15", publication_date=None,
                 sample_size=None, design_effect=None, margin_of_error=3.1, confidence_level=None,
                 modes=["online_panel", "phone_live"], population="registered_voters", source_url=None,
                 sample_type=None),
        poll_doc(pollster="rating", field_start_date="2025-01-10", field_end_date="2025-01-15",
                 publication_date="2025-01-20", partisan=True, tracking=True, modes=[],
                 source_url="https://example.org/опитування?q=«1»"),
    ]
    polls = [poll]
    for doc in others:
        response = client.post("/api/v1/polls", json=doc, headers=auth)
        assert response.status_code == 201, response.get_json()
        polls.append(response.get_json())
    for i, created in enumerate(polls):
        outcomes = MAPPING if i != 1 else {k: MAPPING[k] for k in ("closer", "further")}
        response = client.post("/api/v1/series/peace-closer/members",
                               json={"question_id": created["questions"][0]["id"], "outcomes": outcomes}, headers=auth)
        assert response.status_code == 200, response.get_json()
    return poll["id"]  # any value: the tests look the series up by slug


def through_sqlalchemy(series_id: int) -> list[tuple[Any, ...]]:
    """The same SELECT read through SQLAlchemy's result rows (the implementation before issue 7's
    cursor read): the reference."""
    query, key = _series_points_query(series_id, repository.PointFilters(), raw=True)
    query = query.add_columns(Poll.sample_size.label("poll_sample_size"), Question.base_n, Poll.confidence_level)
    result = db.session.connection().execute(query.order_by(*key))
    keys = tuple(result.keys())
    out = []
    for row in result:
        values = dict(zip(keys, row))
        values["modes"] = None if values["modes"] is None else orjson.loads(values["modes"])
        out.append(tuple(values[c] for c in (*POINT_COLUMNS, *POINT_STAT_EXTRA_COLUMNS)))
    return out


def typed(rows: list[tuple[Any, ...]]) -> list[tuple[tuple[type, Any], ...]]:
    return [tuple((type(v), v) for v in row) for row in rows]


def test_rows_equal_the_sqlalchemy_read_value_and_type(app, series, monkeypatch):
    monkeypatch.setattr(repository.points, "STREAM_BATCH", 3)  # several batches
    with app.app_context():
        series_id = db.session.query(Series.id).filter_by(slug="peace-closer").scalar()
        batches = list(repository.series_point_stat_rows(db.session, series_id))
        expected = through_sqlalchemy(series_id)
    assert [len(b) for b in batches] == [3, 3, 2]
    rows = [row for batch in batches for row in batch]
    assert typed(rows) == typed(expected)
    assert {row[POINT_COLUMNS.index("pollster_name")] for row in rows} >= {"Синтетична «Рейтинг» \"група\" 😀"}
    assert any(row[POINT_COLUMNS.index("publication_date")] is None for row in rows)
    assert any(row[POINT_COLUMNS.index("partisan")] is True for row in rows)


def test_the_version_and_kept_rows_equal_the_streamed_exports(app, series):
    with app.app_context():
        series = db.session.query(Series).filter_by(slug="peace-closer").one()
        for outcomes, n_rows in ((None, 8), (frozenset({"closer"}), 3), (frozenset({"further", "undecided"}), 5)):
            keep = data_version.StatRows(outcomes)
            version = data_version._version_keeping(db.session, series, keep)
            exported = list(repository.series_points_stream(db.session, series.id, repository.PointFilters()))
            assert version == data_version.version_of(exported)
            combined = (*POINT_COLUMNS, *POINT_STAT_EXTRA_COLUMNS)
            expected = [tuple(row[combined.index(c)] for c in repository.STAT_ROW_COLUMNS)
                        for row in through_sqlalchemy(series.id) if outcomes is None or row[2] in outcomes]
            assert typed(keep.rows) == typed(expected)
            assert len(keep.rows) == n_rows


@pytest.mark.parametrize("outcomes, n_rows", [(["closer"], 3), (["further", "undecided"], 5), (["closer", "nobody"], 3)])
def test_outcome_stat_columns_equal_the_sqlalchemy_read(app, series, monkeypatch, outcomes, n_rows):
    """The statistics' own read (an uncached trend once the data version is stored), column by column:
    the values of ``series_outcome_rows``' dicts read through SQLAlchemy, value for value and type for
    type, enumerations as their stored strings, except the date columns, which are the driver's own
    (ISO text on SQLite, dates on PostgreSQL) and mean the same days."""
    import numpy as np

    monkeypatch.setattr(repository.stat_rows, "STAT_ROWS_BATCH", 2)  # several batches
    with app.app_context():
        series_id = db.session.query(Series.id).filter_by(slug="peace-closer").scalar()
        columns = repository.series_outcome_stat_columns(db.session, series_id, outcomes)
        expected = [[getattr(row[c], "value", row[c]) for row in repository.series_outcome_rows(db.session, series_id, outcomes)]
                    for c in repository.STAT_ROW_COLUMNS]
    assert list(columns) == list(repository.STAT_ROW_COLUMNS)
    assert len(columns["poll_id"]) == n_rows
    for name, values in zip(repository.STAT_ROW_COLUMNS, expected):
        if name in repository.STAT_DATE_COLUMNS:
            days = [np.datetime_as_string(np.array(v, dtype="datetime64[D]")).tolist() for v in (columns[name], values)]
            assert days[0] == days[1], name
        else:
            assert [(type(v), v) for v in columns[name]] == [(type(v), v) for v in values], name
    assert None in columns["publication_date"]
    assert set(columns["population"]) == {"adults", "registered_voters"}
