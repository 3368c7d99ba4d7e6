"""Reads of polls as ORM objects: single polls, polls by source, the filtered list (PollFilters and the
keyset page), downloads in chunks and the import's candidates without a natural key.

The filtered SELECT (``_filtered_polls``) and its keyset page (``_poll_page``) live here and are reused
by the plain-row page in :mod:`pollapp.repository.poll_rows`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, selectinload

from pollapp.models import Poll, Pollster, Question, Series, SeriesMapping, SeriesMember, Sponsor
from pollapp.repository._base import LIVE, _count, _json_list_contains, _poll_loading


def poll_by_id(session: Session, poll_id: int) -> Poll | None:
    return session.scalars(select(Poll).where(Poll.id == poll_id).options(*_poll_loading())).one_or_none()


def poll_by_source(session: Session, source: str, source_id: str) -> Poll | None:
    query = select(Poll).where(Poll.source == source, Poll.source_id == source_id).options(*_poll_loading())
    return session.scalars(query).one_or_none()


def polls_by_source(session: Session, source: str) -> list[Poll]:
    return list(session.scalars(select(Poll).where(Poll.source == source).options(*_poll_loading())))


def polls_by_source_ids(session: Session, source: str, source_ids: Sequence[str]) -> list[Poll]:
    """The polls of ``source`` with these source ids, fully loaded (one chunk of a bulk upsert)."""
    if not source_ids:
        return []
    query = select(Poll).where(Poll.source == source, Poll.source_id.in_(list(source_ids))).options(*_poll_loading())
    return list(session.scalars(query))


def series_members_of_polls(session: Session, poll_ids: Sequence[int]) -> list[SeriesMember]:
    """Series memberships of the questions of these polls, with their mappings loaded."""
    if not poll_ids:
        return []
    query = (
        select(SeriesMember)
        .join(Question, SeriesMember.question_id == Question.id)
        .where(Question.poll_id.in_(poll_ids))
        .options(
            selectinload(SeriesMember.mappings).selectinload(SeriesMapping.answer),
            selectinload(SeriesMember.mappings).selectinload(SeriesMapping.outcome),
        )
    )
    return list(session.scalars(query))


@dataclass
class PollFilters:
    pollsters: list[str] = field(default_factory=list)
    sponsors: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    populations: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    field_date_from: dt.date | None = None
    field_date_to: dt.date | None = None
    series: str | None = None
    tag: str | None = None
    text: str | None = None


def _filtered_polls(filters: PollFilters) -> Select[Any]:
    from pollapp.models import poll_sponsors

    query = select(Poll).where(LIVE)
    if filters.pollsters:
        query = query.join(Pollster, Poll.pollster_id == Pollster.id).where(Pollster.slug.in_(filters.pollsters))
    if filters.sponsors:
        query = query.where(
            exists()
            .where(poll_sponsors.c.poll_id == Poll.id)
            .where(poll_sponsors.c.sponsor_id == Sponsor.id)
            .where(Sponsor.slug.in_(filters.sponsors))
        )
    if filters.countries:
        query = query.where(Poll.country.in_(filters.countries))
    if filters.populations:
        query = query.where(Poll.population.in_(filters.populations))
    if filters.modes:
        query = query.where(or_(*(_json_list_contains(Poll.modes, m) for m in filters.modes)))
    if filters.field_date_from:
        query = query.where(Poll.field_end_date >= filters.field_date_from)
    if filters.field_date_to:
        query = query.where(Poll.field_start_date <= filters.field_date_to)
    if filters.series or filters.tag:
        member = (
            select(literal(1))
            .select_from(SeriesMember)
            .join(Question, SeriesMember.question_id == Question.id)
            .join(Series, SeriesMember.series_id == Series.id)
            .where(Question.poll_id == Poll.id)
        )
        if filters.series:
            member = member.where(Series.slug == filters.series)
        if filters.tag:
            member = member.where(_json_list_contains(Series.tags, filters.tag))
        query = query.where(member.exists())
    if filters.text:
        pattern = "%" + filters.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            exists().where(
                Question.poll_id == Poll.id,
                or_(
                    func.lower(Question.wording).like(pattern, escape="\\"),
                    func.lower(func.coalesce(Question.wording_en, "")).like(pattern, escape="\\"),
                ),
            )
        )
    return query


def poll_sort_key(sort: str) -> Any:
    name = sort.lstrip("-")
    if name == "publication_date":
        return func.coalesce(Poll.publication_date, Poll.field_end_date)
    return Poll.field_end_date


def list_polls(
    session: Session, filters: PollFilters, *, sort: str, after: tuple[dt.date, int] | None, limit: int
) -> tuple[list[Poll], int]:
    """A page of polls in ``sort`` order (ties broken by id), keyset after ``after``, and the total."""
    query = _filtered_polls(filters)
    total = _count(session, query)
    query = _poll_page(query, sort=sort, after=after, limit=limit).options(*_poll_loading())
    return list(session.scalars(query)), total


def _poll_page(query: Select[Any], *, sort: str, after: tuple[dt.date, int] | None, limit: int) -> Select[Any]:
    """``query`` (filtered polls) keyset after ``after`` in ``sort`` order, ``limit + 1`` rows (the
    extra row tells whether there is a next page)."""
    key = poll_sort_key(sort)
    descending = sort.startswith("-")
    if after is not None:
        # A row comparison, not ``key < d OR (key = d AND id < i)``: PostgreSQL makes it an index range
        # condition on ix_polls_field_end_id, so a deep page no longer reads every page above it
        # (bench/results/plans.md: cursor in 1986, ~600 ms -> a few ms on the large set).
        position = tuple_(key, Poll.id)
        query = query.where(position < tuple_(*after) if descending else position > tuple_(*after))
    order = (key.desc(), Poll.id.desc()) if descending else (key.asc(), Poll.id.asc())
    return query.order_by(*order).limit(limit + 1)


def poll_chunks(session: Session, filters: PollFilters, *, sort: str, size: int) -> Iterator[list[Poll]]:
    """Every poll matching ``filters`` in ``sort`` order (ties by id), fully loaded, ``size`` at a time:
    one keyset query per chunk, so a download of any size holds one chunk in memory."""
    key = poll_sort_key(sort)
    descending = sort.startswith("-")
    after: tuple[dt.date, int] | None = None
    while True:
        query = _filtered_polls(filters)
        if after is not None:
            last_key, last_id = after
            if descending:
                query = query.where(or_(key < last_key, and_(key == last_key, Poll.id < last_id)))
            else:
                query = query.where(or_(key > last_key, and_(key == last_key, Poll.id > last_id)))
        order = (key.desc(), Poll.id.desc()) if descending else (key.asc(), Poll.id.asc())
        rows = list(session.scalars(query.order_by(*order).limit(size).options(*_poll_loading())))
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = rows[-1]
        last_key = last.field_end_date
        if sort.lstrip("-") == "publication_date" and last.publication_date is not None:
            last_key = last.publication_date
        after = (last_key, last.id)


def poll_sources(session: Session, filters: PollFilters) -> list[tuple[str, str | None]]:
    """(pollster name, source_url) of every poll matching ``filters``, distinct, by name then URL: the
    credits of a poll-list download (one statement, whatever the number of polls)."""
    ids = _filtered_polls(filters).with_only_columns(Poll.id).scalar_subquery()
    query = (
        select(Pollster.name, Poll.source_url)
        .join(Pollster, Poll.pollster_id == Pollster.id)
        .where(Poll.id.in_(ids))
        .distinct()
        .order_by(Pollster.name, Poll.source_url)
    )
    return [(name, url) for name, url in session.execute(query)]


def polls_without_source(session: Session, pollster_slugs: Sequence[str]) -> list[Poll]:
    """Polls of these pollsters that have no natural key (source, source_id), fully loaded: the
    candidates an import matches by pollster, field dates and question wording."""
    if not pollster_slugs:
        return []
    query = (
        select(Poll)
        .join(Pollster, Poll.pollster_id == Pollster.id)
        .where(Poll.source.is_(None), Pollster.slug.in_(set(pollster_slugs)))
        .options(*_poll_loading())
    )
    return list(session.scalars(query))
