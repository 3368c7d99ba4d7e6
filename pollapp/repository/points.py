"""A series' point rows: one row per (poll question, outcome) with the poll's methodology, as a keyset
page, as a stream for exports of any size, and as batches of tuples for the data version and the
statistics in one read.

All three share one SELECT (``_series_points_query``); keeping them together keeps their columns and
order identical, which the data version and the as-of history (:mod:`pollapp.services.history_asof`)
depend on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, Select, Text, and_, cast, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from pollapp.models import Answer, Poll, Pollster, Question, SeriesMapping, SeriesMember, SeriesOutcome
from pollapp.repository._base import LIVE, _count, _cursor_batches, _dicts


@dataclass
class PointFilters:
    outcomes: list[str] = field(default_factory=list)
    pollsters: list[str] = field(default_factory=list)
    populations: list[str] = field(default_factory=list)
    field_date_from: dt.date | None = None
    field_date_to: dt.date | None = None


POINT_COLUMNS = (
    "poll_id",
    "question_id",
    "outcome",
    "pct",
    "pollster",
    "pollster_name",
    "field_start_date",
    "field_end_date",
    "field_dates_precision",
    "publication_date",
    "country",
    "population",
    "sample_size",
    "sample_type",
    "modes",
    "design_effect",
    "margin_of_error",
    "partisan",
    "tracking",
    "source_url",
)

STREAM_BATCH = 2000  # rows fetched per round trip by series_points_stream


def series_points(
    session: Session,
    series_id: int,
    filters: PointFilters,
    *,
    after: tuple[dt.date, int, int, int] | None,
    limit: int | None,
) -> tuple[list[dict[str, Any]], int]:
    """One row per (poll question, outcome): the mapped answers summed, with the poll's methodology.

    Ordered by field end date, poll, question and outcome position; keyset after ``after``
    (field_end_date, poll_id, question_id, outcome position). ``limit=None`` returns every row (as a
    list: use :func:`series_points_stream` for a whole series of any size).
    """
    query, key = _series_points_query(series_id, filters)
    total = _count(session, query)
    if after is not None:
        end, poll_id, question_id, position = after
        query = query.where(
            or_(
                key[0] > end,
                and_(key[0] == end, key[1] > poll_id),
                and_(key[0] == end, key[1] == poll_id, key[2] > question_id),
                and_(key[0] == end, key[1] == poll_id, key[2] == question_id, key[3] > position),
            )
        )
    query = query.order_by(*key)
    if limit is not None:
        query = query.limit(limit + 1)
    return _dicts(session.connection().execute(query)), total


def series_points_stream(session: Session, series_id: int, filters: PointFilters) -> Iterator[dict[str, Any]]:
    """Every point row of :func:`series_points` (same order and columns), fetched :data:`STREAM_BATCH`
    rows at a time: a server-side cursor on PostgreSQL (``stream_results``), ``fetchmany`` on SQLite,
    so an export of any size never holds its rows in memory. No total is counted.

    The query is executed at the first ``next()``; the caller must keep the session (and, in a view,
    the request context: ``stream_with_context``) open until the iterator is exhausted or closed."""
    query, key = _series_points_query(series_id, filters)
    query = query.order_by(*key).execution_options(stream_results=True, yield_per=STREAM_BATCH)
    result = session.connection().execute(query)  # Core rows: no ORM row processing
    keys = tuple(result.keys())
    try:
        for row in result:
            yield dict(zip(keys, row))
    finally:
        result.close()


#: What :func:`series_point_stat_rows` adds to the point columns: the rest of :data:`STAT_ROW_COLUMNS`.
POINT_STAT_EXTRA_COLUMNS = ("poll_sample_size", "base_n", "confidence_level")


def series_point_stat_rows(session: Session, series_id: int) -> Iterator[list[tuple[Any, ...]]]:
    """Every point row of the series (:func:`series_points_stream`'s order and values, all outcomes)
    as a tuple of :data:`POINT_COLUMNS` followed by :data:`POINT_STAT_EXTRA_COLUMNS`, in batches of
    up to :data:`STREAM_BATCH` rows: one read that yields both the data version (the hash of the point
    columns) and the statistics' rows, which would otherwise be a second full read of the series
    (:func:`series_outcome_rows`).

    Enumerations come as their stored values (strings, which is what ``orjson`` writes for the enum
    members too). The rows are read from the DBAPI cursor, not through SQLAlchemy's result rows (which
    cost about as much as the query itself on a large series, issue 7); the values SQLAlchemy would
    convert (dates and booleans on SQLite, the ``modes`` JSON text) are converted here with
    SQLAlchemy's own result processors, once per distinct value and column by column, so the tuples
    equal what a SQLAlchemy read gives (tests/repository/test_point_stat_rows.py)."""
    query, key = _series_points_query(series_id, PointFilters(), raw=True)
    query = query.add_columns(Poll.sample_size.label("poll_sample_size"), Question.base_n, Poll.confidence_level)
    yield from _cursor_batches(session, query.order_by(*key), (*POINT_COLUMNS, *POINT_STAT_EXTRA_COLUMNS),
                               json_columns=("modes",), batch=STREAM_BATCH)


def _series_points_query(
    series_id: int, filters: PointFilters, *, raw: bool = False
) -> tuple[Select[Any], tuple[Any, ...]]:
    """The point rows' SELECT (no order) and its sort key (field end date, poll, question, outcome).
    ``raw``: enumerations as their stored strings and modes as their stored JSON text (no per-row
    conversion by SQLAlchemy)."""
    population = func.coalesce(Question.population, Poll.population)
    as_stored = (lambda column: type_coerce(column, String)) if raw else (lambda column: column)
    grouped = (
        select(
            Poll.id.label("poll_id"),
            Question.id.label("question_id"),
            SeriesOutcome.code.label("outcome"),
            SeriesOutcome.position.label("outcome_position"),
            func.sum(Answer.pct).label("pct"),
        )
        .select_from(SeriesMapping)
        .join(SeriesMember, SeriesMapping.member_id == SeriesMember.id)
        .join(SeriesOutcome, SeriesMapping.outcome_id == SeriesOutcome.id)
        .join(Answer, SeriesMapping.answer_id == Answer.id)
        .join(Question, SeriesMember.question_id == Question.id)
        .join(Poll, Question.poll_id == Poll.id)
        .where(SeriesMember.series_id == series_id, LIVE)
        .group_by(Poll.id, Question.id, SeriesOutcome.code, SeriesOutcome.position)
    )
    if filters.outcomes:
        grouped = grouped.where(SeriesOutcome.code.in_(filters.outcomes))
    g = grouped.subquery()
    query = (
        select(
            g.c.poll_id,
            g.c.question_id,
            g.c.outcome,
            g.c.pct,
            Pollster.slug.label("pollster"),
            Pollster.name.label("pollster_name"),
            Poll.field_start_date,
            Poll.field_end_date,
            as_stored(Poll.field_dates_precision).label("field_dates_precision"),
            Poll.publication_date,
            Poll.country,
            as_stored(population).label("population"),
            func.coalesce(Question.base_n, Poll.sample_size).label("sample_size"),
            as_stored(Poll.sample_type).label("sample_type"),
            cast(Poll.modes, Text).label("modes") if raw else Poll.modes,
            Poll.design_effect,
            Poll.margin_of_error,
            Poll.partisan,
            Poll.tracking,
            Poll.source_url,
            g.c.outcome_position,
        )
        .join(Poll, Poll.id == g.c.poll_id)
        .join(Question, Question.id == g.c.question_id)
        .join(Pollster, Pollster.id == Poll.pollster_id)
    )
    if filters.pollsters:
        query = query.where(Pollster.slug.in_(filters.pollsters))
    if filters.populations:
        query = query.where(population.in_(filters.populations))
    if filters.field_date_from:
        query = query.where(Poll.field_end_date >= filters.field_date_from)
    if filters.field_date_to:
        query = query.where(Poll.field_start_date <= filters.field_date_to)
    return query, (Poll.field_end_date, g.c.poll_id, g.c.question_id, g.c.outcome_position)
