"""Reads of series and their members: by slug, the keyset list, summaries (counts, span, pollsters),
members with their mappings, a question with its answers, and slug/id lookups in bulk.

The series' data (point rows and statistics' rows) are in :mod:`pollapp.repository.points` and
:mod:`pollapp.repository.stat_rows`; this module only reads the series' own definition."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from pollapp.models import Poll, Pollster, Question, Series, SeriesMapping, SeriesMember
from pollapp.repository._base import LIVE, _count, _json_list_contains


def series_by_slug(session: Session, slug: str) -> Series | None:
    query = select(Series).where(Series.slug == slug).options(selectinload(Series.outcomes))
    return session.scalars(query).one_or_none()


def list_series(
    session: Session, *, country: str | None, tag: str | None, after: str | None, limit: int
) -> tuple[list[Series], int]:
    query = select(Series)
    if country:
        query = query.where(Series.country == country)
    if tag:
        query = query.where(_json_list_contains(Series.tags, tag))
    total = _count(session, query)
    if after is not None:
        query = query.where(Series.slug > after)
    query = query.order_by(Series.slug).limit(limit + 1).options(selectinload(Series.outcomes))
    return list(session.scalars(query)), total


@dataclass
class SeriesSummary:
    poll_count: int = 0
    first_field_end_date: dt.date | None = None
    last_field_end_date: dt.date | None = None
    pollsters: list[str] = field(default_factory=list)


def series_summaries(session: Session, series_ids: Sequence[int]) -> dict[int, SeriesSummary]:
    """Poll counts, date span and pollsters of several series in two queries."""
    summaries = {sid: SeriesSummary() for sid in series_ids}
    if not series_ids:
        return summaries
    span = (
        select(
            SeriesMember.series_id,
            func.count(func.distinct(Poll.id)),
            func.min(Poll.field_end_date),
            func.max(Poll.field_end_date),
        )
        .join(Question, SeriesMember.question_id == Question.id)
        .join(Poll, Question.poll_id == Poll.id)
        .where(SeriesMember.series_id.in_(series_ids), LIVE)
        .group_by(SeriesMember.series_id)
    )
    for series_id, count, first, last in session.execute(span):
        summary = summaries[series_id]
        summary.poll_count, summary.first_field_end_date, summary.last_field_end_date = count, first, last
    names = (
        select(SeriesMember.series_id, Pollster.slug)
        .join(Question, SeriesMember.question_id == Question.id)
        .join(Poll, Question.poll_id == Poll.id)
        .join(Pollster, Poll.pollster_id == Pollster.id)
        .where(SeriesMember.series_id.in_(series_ids), LIVE)
        .distinct()
        .order_by(SeriesMember.series_id, Pollster.slug)
    )
    for series_id, slug in session.execute(names):
        summaries[series_id].pollsters.append(slug)
    return summaries


def series_member(session: Session, series_id: int, question_id: int) -> SeriesMember | None:
    query = select(SeriesMember).where(SeriesMember.series_id == series_id, SeriesMember.question_id == question_id)
    return session.scalars(query).one_or_none()


def series_members(session: Session, series_id: int) -> list[SeriesMember]:
    query = (
        select(SeriesMember)
        .join(Question, SeriesMember.question_id == Question.id)
        .join(Poll, Question.poll_id == Poll.id)
        .where(SeriesMember.series_id == series_id, LIVE)
        .options(
            selectinload(SeriesMember.question),
            selectinload(SeriesMember.mappings).selectinload(SeriesMapping.answer),
            selectinload(SeriesMember.mappings).selectinload(SeriesMapping.outcome),
        )
        .order_by(SeriesMember.question_id)
    )
    return list(session.scalars(query))


def question_by_id(session: Session, question_id: int) -> Question | None:
    query = select(Question).where(Question.id == question_id).options(selectinload(Question.answers))
    return session.scalars(query).one_or_none()


def series_by_slugs(session: Session, slugs: Sequence[str]) -> dict[str, Series]:
    if not slugs:
        return {}
    query = select(Series).where(Series.slug.in_(set(slugs))).options(selectinload(Series.outcomes))
    return {s.slug: s for s in session.scalars(query)}


def series_slugs_by_id(session: Session, series_ids: Sequence[int]) -> dict[int, str]:
    if not series_ids:
        return {}
    return dict(session.execute(select(Series.id, Series.slug).where(Series.id.in_(set(series_ids)))).all())
