"""What statistics read about a series: its cheap data-version fingerprint, the outcome rows with the
sample sizes and margins the models need, and which series map an outcome of given polls.

Separate from :mod:`pollapp.repository.points` because these rows carry the statistics' columns
(``STAT_ROW_COLUMNS``) rather than the published point columns."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, String, bindparam, func, select, type_coerce
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.orm import Session

from pollapp.models import Answer, Poll, Pollster, Question, Series, SeriesMapping, SeriesMember, SeriesOutcome
from pollapp.repository._base import LIVE, _cursor_columns, _dicts


def series_data_version(session: Session, series_id: int) -> tuple[Any, ...]:
    """A cheap fingerprint of everything a series' statistics depend on, in one aggregate query.

    (series.updated_at, number of member polls, sum of their ids, max(polls.updated_at),
    max(pollsters.updated_at)): a mapping change bumps the series, a poll write bumps the poll
    (``replace_poll`` touches ``updated_at`` even when only answers change), a deleted (soft or not),
    restored or added poll changes the count and the id sum, and a renamed pollster bumps the pollster.
    """
    # Driven from the series' member polls (distinct, computed once), each poll and pollster then found
    # by primary key: the plan stays index lookups even while the planner's statistics still claim
    # empty tables, as inside the transaction that has just loaded them (the commit of a data load
    # reads this fingerprint, pollapp.services.data_version_store). ``polls.id IN (member polls)``
    # could be planned as a rescan of the members per poll there: over a minute on the seed data.
    member_polls = (
        select(Question.poll_id.label("poll_id"))
        .join(SeriesMember, SeriesMember.question_id == Question.id)
        .where(SeriesMember.series_id == series_id)
        .distinct()
        .subquery("member_polls")
    )
    series_updated = select(Series.updated_at).where(Series.id == series_id).scalar_subquery()
    query = (
        select(
            series_updated,
            func.count(Poll.id),
            func.coalesce(func.sum(Poll.id), 0),
            func.max(Poll.updated_at),
            func.max(Pollster.updated_at),
        )
        .select_from(member_polls)
        .join(Poll, Poll.id == member_polls.c.poll_id)
        .join(Pollster, Pollster.id == Poll.pollster_id)
        .where(LIVE)
    )
    return tuple(session.execute(query).one())


STAT_ROW_COLUMNS = (
    "poll_id",
    "question_id",
    "outcome",
    "pct",
    "pollster",
    "field_start_date",
    "field_end_date",
    "publication_date",
    "population",
    "poll_sample_size",
    "base_n",
    "sample_type",
    "design_effect",
    "margin_of_error",
    "confidence_level",
    "tracking",
)


def series_outcome_rows(
    session: Session, series_id: int, outcomes: Sequence[str], *, poll_ids: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """One row per (poll question, outcome) of a series for the given outcomes: the mapped answers
    summed (``pct``) with what statistics need to know about the poll (sample size of the poll and of
    the question base separately, design effect, margin of error and its confidence level, population,
    tracking flag). Every row, ordered by field end date, poll and question."""
    return _dicts(session.connection().execute(_outcome_rows_query(series_id, outcomes, poll_ids)))


#: Rows fetched per round trip by :func:`series_outcome_stat_columns`.
STAT_ROWS_BATCH = 5000


#: The date columns :func:`series_outcome_stat_columns` leaves as the driver gives them.
STAT_DATE_COLUMNS = ("field_start_date", "field_end_date", "publication_date")


def series_outcome_stat_columns(session: Session, series_id: int, outcomes: Sequence[str]) -> dict[str, list[Any]]:
    """:func:`series_outcome_rows` column-wise (name -> values, :data:`STAT_ROW_COLUMNS`), read from the
    DBAPI cursor (what an uncached statistic reads: SQLAlchemy's result rows cost more than the query
    on a large series, issue 7). Same rows, order and values, except that ``population`` and
    ``sample_type`` are their stored strings rather than enum members, and the
    :data:`STAT_DATE_COLUMNS` are as the driver gives them (ISO strings on SQLite, dates on
    PostgreSQL): the frame converts them in one vectorised pass (tests/repository/test_point_stat_rows.py)."""
    return _cursor_columns(
        session, _stat_columns_statement(), STAT_ROW_COLUMNS, raw=STAT_DATE_COLUMNS, batch=STAT_ROWS_BATCH,
        params={"series_id": series_id, "outcomes": list(outcomes)},
    )


@functools.cache
def _stat_columns_statement() -> Select[Any]:
    """The statistics' read, built once with its values bound at execution: SQLAlchemy memoises a
    statement's cache key, so an uncached trend neither rebuilds the SELECT nor walks it to find its
    compiled form (a few milliseconds, a tenth of what a 1,000-poll trend costs besides its fit)."""
    return _outcome_rows_query(bindparam("series_id"), bindparam("outcomes", expanding=True), None, raw=True)


def _outcome_rows_query(
    series_id: Any, outcomes: Any, poll_ids: Sequence[int] | None, *, raw: bool = False
) -> Select[Any]:
    """The statistics' rows SELECT, ordered. ``raw``: enumerations as their stored strings.
    ``series_id`` and ``outcomes`` are values or bound parameters (:func:`_stat_columns_statement`)."""
    population = func.coalesce(Question.population, Poll.population)
    as_stored = (lambda column: type_coerce(column, String)) if raw else (lambda column: column)
    grouped = (
        select(
            Question.id.label("question_id"),
            SeriesOutcome.code.label("outcome"),
            func.sum(Answer.pct).label("pct"),
        )
        .select_from(SeriesMapping)
        .join(SeriesMember, SeriesMapping.member_id == SeriesMember.id)
        .join(SeriesOutcome, SeriesMapping.outcome_id == SeriesOutcome.id)
        .join(Answer, SeriesMapping.answer_id == Answer.id)
        .join(Question, SeriesMember.question_id == Question.id)
        .where(SeriesMember.series_id == series_id,
               SeriesOutcome.code.in_(outcomes if isinstance(outcomes, BindParameter) else list(outcomes)))
        .group_by(Question.id, SeriesOutcome.code)
    )
    if poll_ids is not None:
        grouped = grouped.where(Question.poll_id.in_(list(poll_ids)))
    # Summed once, then joined: a MATERIALIZED CTE is never re-run per outer row, whatever the planner
    # believes about row counts (with statistics claiming empty tables, PostgreSQL re-ran the subquery
    # once per poll question: minutes instead of milliseconds).
    g = grouped.cte("outcome_sums").prefix_with("MATERIALIZED")
    query = (
        select(
            Poll.id.label("poll_id"),
            g.c.question_id,
            g.c.outcome,
            g.c.pct,
            Pollster.slug.label("pollster"),
            Poll.field_start_date,
            Poll.field_end_date,
            Poll.publication_date,
            as_stored(population).label("population"),
            Poll.sample_size.label("poll_sample_size"),
            Question.base_n,
            as_stored(Poll.sample_type).label("sample_type"),
            Poll.design_effect,
            Poll.margin_of_error,
            Poll.confidence_level,
            Poll.tracking,
        )
        .select_from(g)
        .join(Question, Question.id == g.c.question_id)
        .join(Poll, Poll.id == Question.poll_id)
        .join(Pollster, Pollster.id == Poll.pollster_id)
        .where(LIVE)
        .order_by(Poll.field_end_date, Poll.id, g.c.question_id, g.c.outcome)
    )
    return query


def series_slugs_with_outcome(session: Session, poll_ids: Sequence[int], outcome: str) -> dict[str, set[int]]:
    """Series that map an answer of these polls onto an outcome coded ``outcome``: slug -> poll ids."""
    query = (
        select(Series.slug, Question.poll_id)
        .select_from(SeriesMapping)
        .join(SeriesMember, SeriesMapping.member_id == SeriesMember.id)
        .join(Series, SeriesMember.series_id == Series.id)
        .join(SeriesOutcome, SeriesMapping.outcome_id == SeriesOutcome.id)
        .join(Question, SeriesMember.question_id == Question.id)
        .join(Poll, Question.poll_id == Poll.id)
        .where(SeriesOutcome.code == outcome, Question.poll_id.in_(list(poll_ids)), LIVE)
        .distinct()
    )
    out: dict[str, set[int]] = {}
    for slug, poll_id in session.execute(query):
        out.setdefault(slug, set()).add(poll_id)
    return out
