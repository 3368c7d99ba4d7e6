"""The only place that builds SELECTs. Returns models (or rows) to services; never commits."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import JSON, Integer, String, Select, Table, Text, and_, bindparam, cast, delete, exists, func, insert, literal, or_, select, text, tuple_, type_coerce, update
from sqlalchemy.orm import Session, aliased, defer, scoped_session, selectinload

from pollapp.models import (
    Answer,
    ApiKey,
    DataGeneration,
    IdempotencyRecord,
    Poll,
    PollRevision,
    PollRevisionSeries,
    Pollster,
    Question,
    Series,
    SeriesMapping,
    SeriesMember,
    SeriesOutcome,
    Sponsor,
)

# ---------------------------------------------------------------- organisations


def pollster_by_slug(session: Session, slug: str) -> Pollster | None:
    return session.scalars(select(Pollster).where(Pollster.slug == slug)).one_or_none()


def pollsters_by_slugs(session: Session, slugs: Sequence[str]) -> dict[str, Pollster]:
    if not slugs:
        return {}
    rows = session.scalars(select(Pollster).where(Pollster.slug.in_(set(slugs))))
    return {p.slug: p for p in rows}


def sponsor_by_slug(session: Session, slug: str) -> Sponsor | None:
    return session.scalars(select(Sponsor).where(Sponsor.slug == slug)).one_or_none()


def sponsors_by_slugs(session: Session, slugs: Sequence[str]) -> dict[str, Sponsor]:
    if not slugs:
        return {}
    rows = session.scalars(select(Sponsor).where(Sponsor.slug.in_(set(slugs))))
    return {s.slug: s for s in rows}


def list_by_slug(
    session: Session, model: type[Pollster] | type[Sponsor], *, country: str | None, after: str | None, limit: int
) -> tuple[list[Any], int]:
    """A page of pollsters or sponsors ordered by slug (keyset after ``after``) and the total."""
    query = select(model)
    if country:
        query = query.where(model.country == country)
    total = _count(session, query)
    if after is not None:
        query = query.where(model.slug > after)
    rows = list(session.scalars(query.order_by(model.slug).limit(limit + 1)))
    return rows, total


def pollster_has_polls(session: Session, pollster: Pollster) -> bool:
    from pollapp.models import poll_partners

    return bool(
        session.scalar(select(exists().where(Poll.pollster_id == pollster.id)))
        or session.scalar(select(exists().where(poll_partners.c.pollster_id == pollster.id)))
    )


def sponsor_has_polls(session: Session, sponsor: Sponsor) -> bool:
    from pollapp.models import poll_sponsors

    return bool(session.scalar(select(exists().where(poll_sponsors.c.sponsor_id == sponsor.id))))


# ---------------------------------------------------------------- polls

#: A poll that is not soft-deleted. Every read of polls for lists, series points, statistics, exports
#: and data versions applies it; only single-poll reads (to answer 410) and history see deleted polls.
LIVE = Poll.deleted_at.is_(None)


def _poll_loading() -> list[Any]:
    return [
        selectinload(Poll.pollster),
        selectinload(Poll.sponsors),
        selectinload(Poll.partners),
        selectinload(Poll.questions).selectinload(Question.answers).selectinload(Answer.components),
    ]


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


def _json_list_contains(column: Any, value: str) -> Any:
    """Portable "JSON list contains a token" for the enum-checked token lists (modes, tags):
    the serialised list contains the quoted token on both SQLite and PostgreSQL."""
    return cast(column, String).like(f'%"{value}"%')


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


# ---- poll pages as plain rows (the list's bulk JSON path: pollapp.services.poll_rows)


def poll_page_rows(
    session: Session,
    filters: PollFilters,
    *,
    columns: Sequence[str],
    sort: str,
    after: tuple[dt.date, int] | None,
    limit: int,
) -> tuple[list[Any], int]:
    """:func:`list_polls` as plain rows, without building ORM objects: the ``polls`` ``columns`` named
    (in that order), then ``pollster_slug`` and ``pollster_name``; one SELECT for the page, one for
    the total. JSON columns come as their JSON text (orjson decodes it several times faster than the
    driver's ``json.loads``)."""
    query = _filtered_polls(filters)
    total = _count(session, query)
    owner = aliased(Pollster)  # the pollster filter may have joined Pollster already
    page = _poll_page(query, sort=sort, after=after, limit=limit).join(owner, owner.id == Poll.pollster_id)
    table = Poll.__table__.c
    selected = [cast(table[n], Text).label(n) if isinstance(table[n].type, JSON) else table[n] for n in columns]
    page = page.with_only_columns(
        *selected, owner.slug.label("pollster_slug"), owner.name.label("pollster_name"), maintain_column_froms=True
    )
    return session.connection().execute(page).all(), total  # all(): one fetchall, not a fetch per row


def poll_organisation_rows(session: Session, poll_ids: Sequence[int]) -> tuple[list[Any], list[Any]]:
    """(poll_id, slug, name) of the sponsors and of the partner pollsters of these polls, each
    ordered by poll and slug (as the models' relationships order them)."""
    if not poll_ids:
        return [], []
    sponsors, partners = _organisation_statements()
    conn = session.connection()  # Core rows: no ORM row processing
    ids = {"ids": list(poll_ids)}
    return conn.execute(sponsors, ids).all(), conn.execute(partners, ids).all()


def poll_question_rows(
    session: Session, poll_ids: Sequence[int], *, question_columns: Sequence[str], answer_columns: Sequence[str]
) -> tuple[list[Any], list[Any], list[Any]]:
    """The questions of these polls as (poll_id, *question_columns), ordered by poll, position and id;
    their answers as (question_id, id, *answer_columns), ordered by question, position and id; and
    (net_answer_id, component code) in component position order: three SELECTs, whatever the
    number of polls."""
    if not poll_ids:
        return [], [], []
    questions, answers, components = _question_statements(tuple(question_columns), tuple(answer_columns))
    conn = session.connection()  # Core rows: no ORM row processing
    ids = {"ids": list(poll_ids)}
    return conn.execute(questions, ids).all(), conn.execute(answers, ids).all(), conn.execute(components, ids).all()


# The page's satellite SELECTs are built once, with the poll ids as one expanding parameter: a page of
# 200 polls otherwise coerced 200 literals into bind parameters and rebuilt the statement's cache key,
# for each of the five statements, on every request (a few ms of CPU per page on SQLite).
_POLL_IDS = bindparam("ids", expanding=True)


@functools.cache
def _organisation_statements() -> tuple[Select[Any], Select[Any]]:
    from pollapp.models import poll_partners, poll_sponsors

    sponsors = (
        select(poll_sponsors.c.poll_id, Sponsor.slug, Sponsor.name)
        .join(Sponsor, Sponsor.id == poll_sponsors.c.sponsor_id)
        .where(poll_sponsors.c.poll_id.in_(_POLL_IDS))
        .order_by(poll_sponsors.c.poll_id, Sponsor.slug)
    )
    partners = (
        select(poll_partners.c.poll_id, Pollster.slug, Pollster.name)
        .join(Pollster, Pollster.id == poll_partners.c.pollster_id)
        .where(poll_partners.c.poll_id.in_(_POLL_IDS))
        .order_by(poll_partners.c.poll_id, Pollster.slug)
    )
    return sponsors, partners


@functools.cache
def _question_statements(
    question_columns: tuple[str, ...], answer_columns: tuple[str, ...]
) -> tuple[Select[Any], Select[Any], Select[Any]]:
    from pollapp.models import answer_components

    q, a = Question.__table__.c, Answer.__table__.c
    questions = (
        select(Question.poll_id, *(q[name] for name in question_columns))
        .where(Question.poll_id.in_(_POLL_IDS))
        .order_by(Question.poll_id, Question.position, Question.id)
    )
    answers = (
        select(Answer.question_id, Answer.id, *(a[name] for name in answer_columns))
        .join(Question, Question.id == Answer.question_id)
        .where(Question.poll_id.in_(_POLL_IDS))
        .order_by(Answer.question_id, Answer.position, Answer.id)
    )
    # From the polls' questions to their net answers, then to the components: joined the other way
    # round (components -> answers -> questions), SQLite scanned every answer_components row per page.
    net, component = aliased(Answer), aliased(Answer)
    components = (
        select(answer_components.c.net_answer_id, component.code)
        .select_from(Question)
        .join(net, net.question_id == Question.id)
        .join(answer_components, answer_components.c.net_answer_id == net.id)
        .join(component, component.id == answer_components.c.component_answer_id)
        .where(Question.poll_id.in_(_POLL_IDS))
        .order_by(answer_components.c.net_answer_id, component.position, component.id)
    )
    return questions, answers, components


# ---------------------------------------------------------------- series


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
    members too) and ``modes`` is decoded once per distinct JSON text, not once per row: the
    per-value conversions were most of the cost of reading a large series."""
    query, key = _series_points_query(series_id, PointFilters(), raw=True)
    query = query.add_columns(Poll.sample_size.label("poll_sample_size"), Question.base_n, Poll.confidence_level)
    query = query.order_by(*key).execution_options(stream_results=True, yield_per=STREAM_BATCH)
    result = session.connection().execute(query)
    keys = tuple(result.keys())
    modes_at = POINT_COLUMNS.index("modes")
    pick = operator.itemgetter(*(keys.index(name) for name in (*POINT_COLUMNS, *POINT_STAT_EXTRA_COLUMNS)))
    decoded: dict[Any, Any] = {}  # the decoded lists are shared between rows: read-only
    try:
        for batch in result.partitions():
            rows = []
            for row in batch:
                values = pick(row)
                raw = values[modes_at]
                modes = decoded.get(raw, _MISSING)
                if modes is _MISSING:
                    modes = decoded[raw] = None if raw is None else orjson.loads(raw)
                rows.append((*values[:modes_at], modes, *values[modes_at + 1:]))
            yield rows
    finally:
        result.close()


_MISSING = object()


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


# ---------------------------------------------------------------- keys


def api_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).one_or_none()


def api_key_by_name_or_prefix(session: Session, ident: str) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(or_(ApiKey.name == ident, ApiKey.prefix == ident))))


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


# ---------------------------------------------------------------- idempotency records


def idempotency_record(session: Session, api_key_id: int, key: str) -> IdempotencyRecord | None:
    query = select(IdempotencyRecord).where(IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key)
    return session.scalars(query).one_or_none()


def purge_idempotency_records(session: Session, created_before: dt.datetime) -> int:
    """Delete the records created before ``created_before`` (expired); returns how many."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < created_before),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- helpers


def _dicts(result: Any) -> list[dict[str, Any]]:
    """A Core result's rows as dicts (``dict(row._mapping)`` rebuilds the keys for every row: several
    times slower on the tens of thousands of rows of a large series)."""
    keys = tuple(result.keys())
    return [dict(zip(keys, row)) for row in result]


def _count(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


# ---------------------------------------------------------------- statistics (series data version and values)


def series_data_version(session: Session, series_id: int) -> tuple[Any, ...]:
    """A cheap fingerprint of everything a series' statistics depend on, in one aggregate query.

    (series.updated_at, number of member polls, sum of their ids, max(polls.updated_at),
    max(pollsters.updated_at)): a mapping change bumps the series, a poll write bumps the poll
    (``replace_poll`` touches ``updated_at`` even when only answers change), a deleted (soft or not),
    restored or added poll changes the count and the id sum, and a renamed pollster bumps the pollster.
    """
    member_polls = (
        select(Question.poll_id)
        .join(SeriesMember, SeriesMember.question_id == Question.id)
        .where(SeriesMember.series_id == series_id)
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
        .select_from(Poll)
        .join(Pollster, Pollster.id == Poll.pollster_id)
        .where(Poll.id.in_(member_polls), LIVE)
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
    population = func.coalesce(Question.population, Poll.population)
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
        .where(SeriesMember.series_id == series_id, SeriesOutcome.code.in_(list(outcomes)))
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
            population.label("population"),
            Poll.sample_size.label("poll_sample_size"),
            Question.base_n,
            Poll.sample_type,
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
    return _dicts(session.connection().execute(query))


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


# ---------------------------------------------------------------- poll downloads and imports


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


def series_by_slugs(session: Session, slugs: Sequence[str]) -> dict[str, Series]:
    if not slugs:
        return {}
    query = select(Series).where(Series.slug.in_(set(slugs))).options(selectinload(Series.outcomes))
    return {s.slug: s for s in session.scalars(query)}


def series_slugs_by_id(session: Session, series_ids: Sequence[int]) -> dict[int, str]:
    if not series_ids:
        return {}
    return dict(session.execute(select(Series.id, Series.slug).where(Series.id.in_(set(series_ids)))).all())


# ---------------------------------------------------------------- revision history

#: Bound on the ids in one ``IN (...)`` list (SQLite allows 32,766 variables; PostgreSQL more):
#: bulk readers of the history go through ids in chunks of this size.
CHUNK = 500


def polls_for_history(session: Session, poll_ids: Sequence[int], *, refresh: bool = False) -> list[Poll]:
    """Polls (deleted ones too) with everything :func:`~pollapp.services.polls.poll_document` reads.

    ``refresh`` reloads objects already in the session (after Core statements wrote their rows)."""
    query = select(Poll).where(Poll.id.in_(list(poll_ids))).options(*_poll_loading())
    if refresh:
        query = query.execution_options(populate_existing=True)
    return list(session.scalars(query))


def poll_ids_of_questions(session: Session, question_ids: Sequence[int]) -> set[int]:
    return set(session.scalars(select(Question.poll_id).where(Question.id.in_(list(question_ids)))))


def poll_ids_of_members(session: Session, member_ids: Sequence[int]) -> set[int]:
    query = (
        select(Question.poll_id)
        .join(SeriesMember, SeriesMember.question_id == Question.id)
        .where(SeriesMember.id.in_(list(member_ids)))
    )
    return set(session.scalars(query))


def poll_ids_of_series(session: Session, series_ids: Sequence[int]) -> set[int]:
    query = (
        select(Question.poll_id)
        .join(SeriesMember, SeriesMember.question_id == Question.id)
        .where(SeriesMember.series_id.in_(list(series_ids)))
    )
    return set(session.scalars(query))


def poll_ids_of_organisations(session: Session, pollster_ids: Sequence[int], sponsor_ids: Sequence[int]) -> set[int]:
    """Polls conducted by, partnered with or sponsored by these organisations (their names and slugs
    are part of the polls' documents and series rows)."""
    from pollapp.models import poll_partners, poll_sponsors

    out: set[int] = set()
    if pollster_ids:
        out |= set(session.scalars(select(Poll.id).where(Poll.pollster_id.in_(list(pollster_ids)))))
        out |= set(session.scalars(
            select(poll_partners.c.poll_id).where(poll_partners.c.pollster_id.in_(list(pollster_ids)))
        ))
    if sponsor_ids:
        out |= set(session.scalars(
            select(poll_sponsors.c.poll_id).where(poll_sponsors.c.sponsor_id.in_(list(sponsor_ids)))
        ))
    return out


def membership_rows(session: Session, poll_ids: Sequence[int]) -> list[Any]:
    """Every mapped answer of these polls: (poll_id, series_id, series slug, question code, outcome
    code, outcome position, answer code), ordered so that lists built from it are stable."""
    query = (
        select(
            Question.poll_id,
            Series.id.label("series_id"),
            Series.slug.label("series"),
            Question.code.label("question"),
            SeriesOutcome.code.label("outcome"),
            SeriesOutcome.position.label("outcome_position"),
            Answer.code.label("answer"),
        )
        .select_from(SeriesMapping)
        .join(SeriesMember, SeriesMapping.member_id == SeriesMember.id)
        .join(Series, SeriesMember.series_id == Series.id)
        .join(SeriesOutcome, SeriesMapping.outcome_id == SeriesOutcome.id)
        .join(Answer, SeriesMapping.answer_id == Answer.id)
        .join(Question, SeriesMember.question_id == Question.id)
        .where(Question.poll_id.in_(list(poll_ids)))
        .order_by(Question.poll_id, Series.slug, Question.code, SeriesOutcome.position, Answer.position, Answer.code)
    )
    return list(session.execute(query))


def series_ids_by_slug(session: Session) -> dict[str, int]:
    return {slug: sid for slug, sid in session.execute(select(Series.slug, Series.id))}


def latest_revisions(session: Session, poll_ids: Sequence[int]) -> dict[int, tuple[int, int, str]]:
    """poll_id -> (revision id, revision number, content hash) of each poll's latest revision."""
    latest = (
        select(PollRevision.poll_id, func.max(PollRevision.revision).label("revision"))
        .where(PollRevision.poll_id.in_(list(poll_ids)))
        .group_by(PollRevision.poll_id)
        .subquery()
    )
    query = select(PollRevision.poll_id, PollRevision.id, PollRevision.revision, PollRevision.content_hash).join(
        latest, and_(PollRevision.poll_id == latest.c.poll_id, PollRevision.revision == latest.c.revision)
    )
    return {poll_id: (rid, number, digest) for poll_id, rid, number, digest in session.execute(query)}


def revision_snapshots(session: Session, revision_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    if not revision_ids:
        return {}
    query = select(PollRevision.id, PollRevision.snapshot).where(PollRevision.id.in_(list(revision_ids)))
    return {rid: snapshot for rid, snapshot in session.execute(query)}


def poll_ids_without_revisions(session: Session) -> list[int]:
    query = select(Poll.id).where(~exists().where(PollRevision.poll_id == Poll.id)).order_by(Poll.id)
    return list(session.scalars(query))


def poll_exists(session: Session, poll_id: int) -> bool:
    return bool(session.scalar(select(exists().where(Poll.id == poll_id))))


def poll_revisions(
    session: Session, poll_id: int, *, before: int | None, limit: int
) -> tuple[list[PollRevision], int]:
    """A page of a poll's revisions, newest first (keyset: revision numbers below ``before``), and the total."""
    query = select(PollRevision).where(PollRevision.poll_id == poll_id)
    total = _count(session, query)
    query = query.options(defer(PollRevision.snapshot))
    if before is not None:
        query = query.where(PollRevision.revision < before)
    rows = list(session.scalars(query.order_by(PollRevision.revision.desc()).limit(limit + 1)))
    return rows, total


def series_changes(
    session: Session, series_id: int, *, since: dt.datetime | None, after: tuple[dt.datetime, int] | None, limit: int
) -> tuple[list[Any], int]:
    """A page of the revisions that concerned a series, oldest first (recorded_at, revision id), with
    what each did there (``kind``), and the total."""
    query = (
        select(PollRevision, PollRevisionSeries.kind)
        .join(PollRevisionSeries, PollRevisionSeries.revision_id == PollRevision.id)
        .where(PollRevisionSeries.series_id == series_id)
    )
    if since is not None:
        query = query.where(PollRevision.recorded_at > since)
    total = _count(session, query)
    if after is not None:
        at, rid = after
        query = query.where(
            or_(PollRevision.recorded_at > at, and_(PollRevision.recorded_at == at, PollRevision.id > rid))
        )
    query = query.order_by(PollRevision.recorded_at, PollRevision.id).limit(limit + 1)
    return list(session.execute(query.options(defer(PollRevision.snapshot)))), total


def series_snapshots_as_of(session: Session, series_id: int, as_of: dt.datetime) -> list[dict[str, Any]]:
    """The snapshot of the latest revision recorded by ``as_of`` of every poll that had concerned the
    series by then (the caller drops deleted polls and polls no longer in the series)."""
    concerned = (
        select(PollRevision.poll_id)
        .join(PollRevisionSeries, PollRevisionSeries.revision_id == PollRevision.id)
        .where(PollRevisionSeries.series_id == series_id, PollRevision.recorded_at <= as_of)
        .distinct()
    )
    latest = (
        select(PollRevision.poll_id, func.max(PollRevision.revision).label("revision"))
        .where(PollRevision.poll_id.in_(concerned), PollRevision.recorded_at <= as_of)
        .group_by(PollRevision.poll_id)
        .subquery()
    )
    query = select(PollRevision.snapshot).join(
        latest, and_(PollRevision.poll_id == latest.c.poll_id, PollRevision.revision == latest.c.revision)
    )
    return list(session.scalars(query))


# ---------------------------------------------------------------- backups (whole tables)


def table_rows(session: Session, table: Table, batch: int = 2000) -> Iterator[Any]:
    """Every row of ``table`` in primary-key order, fetched ``batch`` at a time (a server-side cursor
    on PostgreSQL), so a dump's memory does not grow with the table."""
    query = select(table).order_by(*table.primary_key.columns)
    yield from session.execute(query, execution_options={"yield_per": batch})


def tables_with_rows(session: Session, tables: Sequence[Table]) -> list[str]:
    return [t.name for t in tables if session.execute(select(exists().select_from(t))).scalar()]


def reset_sequences(session: Session, tables: Sequence[Table]) -> None:
    """After rows were inserted with their ids, move each PostgreSQL id sequence past the largest id so
    the next row gets a fresh one (SQLite picks max(rowid)+1 by itself)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or not columns[0].autoincrement or not isinstance(columns[0].type, Integer):
            continue
        column = columns[0].name
        session.execute(
            text(f'SELECT setval(pg_get_serial_sequence(:table, :column), coalesce(max("{column}"), 0) + 1, false) '
                 f'FROM "{table.name}"'),
            {"table": table.name, "column": column},
        )  # fmt: skip


def database_answers(session: Session) -> bool:
    """``SELECT 1`` (readiness probe); raises the driver's error when the database is unreachable."""
    return session.execute(text("SELECT 1")).scalar() == 1


def schema_revision(session: Session) -> str | None:
    """The Alembic revision the database is at (None: never migrated, e.g. made by ``create_all``)."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(session.connection()).get_current_revision()


# ---------------------------------------------------------------- bulk writes through the raw driver
#
# The import fast path (services.imports_fte_fast) writes through the DBAPI connection of the session's
# own transaction: sqlite3 ``executemany`` or PostgreSQL ``COPY ... FROM STDIN``, 3-10x faster than
# SQLAlchemy Core executemany. Such writes bypass SQLAlchemy events, so they all go through
# :func:`bulk_insert`, the one place that tells the rest of the app that data changed.

DATA_CHANGED_KEY = "pollapp.data_changed"


def bulk_insert(session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order, values as :func:`timestamp_value` and plain Python
    give them; JSON columns as JSON text) into ``table`` in the session's transaction.

    Marks the session: ``session.info["pollapp.data_changed"] = True`` (a before_commit hook that moves
    the data generation counter reads it; SQLAlchemy events never see these rows)."""
    session.info[DATA_CHANGED_KEY] = True
    if not rows:
        return
    driver = session.connection().connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    if session.get_bind().dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    cursor = driver.cursor()
    try:
        cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)
    finally:
        cursor.close()


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``, ascending, for rows :func:`bulk_insert` will write.

    PostgreSQL: taken from the id sequence (``nextval`` ``count`` times), so concurrent writers never
    collide. SQLite: max(id)+1 onwards, read inside the write transaction (the caller has written in
    it already, so SQLite's write lock keeps other writers out until the commit)."""
    if count <= 0:
        return []
    column = list(table.primary_key.columns)[0].name
    if session.get_bind().dialect.name == "postgresql":
        params = {"table": table.name, "column": column, "n": count}
        taken = "SELECT nextval(pg_get_serial_sequence(:table, :column)) AS v FROM generate_series(1, :n)"
        low, high = session.execute(text(f"SELECT min(v), max(v) FROM ({taken}) AS taken"), params).one()
        if high - low + 1 == count:  # no concurrent writer took a value in between: one range
            return list(range(low, high + 1))
        return sorted(session.execute(text(taken), params).scalars())  # pragma: no cover - a race
    session.execute(text(f'UPDATE "{table.name}" SET "{column}" = "{column}" WHERE 0'))  # takes the write lock
    start = session.execute(text(f'SELECT coalesce(max("{column}"), 0) + 1 FROM "{table.name}"')).scalar_one()
    return list(range(start, start + count))


def timestamp_value(session: Session, value: dt.datetime) -> Any:
    """A UTC timestamp as :func:`bulk_insert` must pass it: SQLite stores SQLAlchemy's text form
    (``YYYY-MM-DD HH:MM:SS.ffffff``, naive UTC), PostgreSQL takes the aware datetime."""
    value = value.astimezone(dt.timezone.utc)
    if session.get_bind().dialect.name == "postgresql":
        return value
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def poll_keys_by_source(session: Session, source: str) -> dict[str, tuple[int, bool]]:
    """source_id -> (poll id, deleted) of every poll imported from ``source`` (deleted ones too)."""
    query = select(Poll.source_id, Poll.id, Poll.deleted_at.is_not(None)).where(Poll.source == source)
    return {source_id: (poll_id, bool(deleted)) for source_id, poll_id, deleted in session.execute(query)}


def latest_snapshot_texts(session: Session, poll_ids: Sequence[int]) -> dict[int, str]:
    """poll id -> its latest revision's snapshot as JSON text (parsed by the caller with orjson, much
    faster than the driver's json); one query per :data:`CHUNK` polls."""
    out: dict[int, str] = {}
    ids = list(poll_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        latest = (
            select(PollRevision.poll_id, func.max(PollRevision.revision).label("revision"))
            .where(PollRevision.poll_id.in_(chunk))
            .group_by(PollRevision.poll_id)
            .subquery()
        )
        query = select(PollRevision.poll_id, cast(PollRevision.snapshot, Text)).join(
            latest, and_(PollRevision.poll_id == latest.c.poll_id, PollRevision.revision == latest.c.revision)
        )
        out.update((poll_id, snapshot) for poll_id, snapshot in session.execute(query))
    return out


# ---------------------------------------------------------------- data generation (pollapp.services.data_generation)

_DATA_GENERATION_SQL = "SELECT value FROM data_generation WHERE id = 1"


def data_generation(session: Session) -> int:
    """The data generation: one primary-key SELECT (0 if the row is missing), in the session's transaction.
    On every cached read, so it skips the ORM's statement machinery (a third of a cached hit's time
    through ``session.execute``)."""
    row = session.connection().exec_driver_sql(_DATA_GENERATION_SQL).first()
    return int(row[0]) if row else 0


def committed_data_generation(session: Session) -> int:
    """The last committed data generation; outside any transaction when the session has none open yet.

    A cached read's only statement: in the session's transaction it costs PostgreSQL three round trips
    (BEGIN, the SELECT, the pool's ROLLBACK on return); on a pooled connection in autocommit it is one.
    What it returns is the same under READ COMMITTED (each statement sees the last commit either way)
    and on SQLite (whose driver opens no transaction for a SELECT). A session already in a transaction
    (it has read or written) is asked in that transaction, which may hold its own uncommitted bump."""
    if (session() if isinstance(session, scoped_session) else session).in_transaction():
        return data_generation(session)
    with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        row = connection.exec_driver_sql(_DATA_GENERATION_SQL).first()
    return int(row[0]) if row else 0


def bump_data_generation(session: Session, at: dt.datetime) -> None:
    """``value = value + 1`` in the session's transaction (the row lock orders concurrent writers);
    the row is created if a database lacks it."""
    result = session.execute(
        update(DataGeneration).where(DataGeneration.id == 1).values(value=DataGeneration.value + 1, changed_at=at),
        execution_options={"synchronize_session": False},
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.execute(insert(DataGeneration).values(id=1, value=1, changed_at=at))


def raise_data_generation(session: Session, floor: int) -> None:
    """``value = max(value, floor)`` (a restore continues after the dumped database's generation)."""
    session.execute(
        update(DataGeneration).where(DataGeneration.id == 1, DataGeneration.value < floor).values(value=floor),
        execution_options={"synchronize_session": False},
    )
