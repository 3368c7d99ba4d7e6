"""Reads for the revision history: the polls (deleted ones too) a revision snapshot is built from, the
polls concerned by changes to questions, members, series or organisations, latest revisions and
snapshots, the revision log of a poll, the changes of a series and its snapshots as of a date.

Together because the history services (:mod:`pollapp.services.history`, ``history_log``,
``history_asof``) are their callers; ``CHUNK`` bounds their ``IN (...)`` lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, defer

from pollapp.models import (
    Answer,
    Poll,
    PollRevision,
    PollRevisionSeries,
    Question,
    Series,
    SeriesMapping,
    SeriesMember,
    SeriesOutcome,
)
from pollapp.repository._base import _count, _poll_loading


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
