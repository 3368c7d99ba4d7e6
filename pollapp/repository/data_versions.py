"""Stored series data versions (:class:`pollapp.models.SeriesDataVersion`) and the question "which
series does this write touch?", asked by :mod:`pollapp.services.data_version_store` at commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import NamedTuple

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from pollapp.models import Poll, Question, Series, SeriesDataVersion, SeriesMember


class StoredDataVersion(NamedTuple):
    """What the writing transaction stores for a series (:class:`pollapp.models.SeriesDataVersion`)."""

    series_id: int
    fingerprint: str
    version: str
    stat_inputs: bytes | None = None
    stat_inputs_format: int | None = None


def stored_stat_inputs(session: Session, series_id: int, fingerprint: str) -> tuple[bytes, int | None] | None:
    """(packed statistics' rows, their format) stored with the series' version at this fingerprint, else None."""
    query = select(SeriesDataVersion.stat_inputs, SeriesDataVersion.stat_inputs_format).where(
        SeriesDataVersion.series_id == series_id, SeriesDataVersion.fingerprint == fingerprint,
        SeriesDataVersion.stat_inputs.is_not(None),
    )
    row = session.execute(query).one_or_none()
    return None if row is None else (bytes(row[0]), row[1])


def stored_data_version(session: Session, series_id: int, fingerprint: str) -> str | None:
    """The stored version of the series if it was computed at this fingerprint, else None."""
    query = select(SeriesDataVersion.version).where(
        SeriesDataVersion.series_id == series_id, SeriesDataVersion.fingerprint == fingerprint
    )
    return session.execute(query).scalar_one_or_none()


def stored_fingerprints(session: Session, series_ids: Collection[int]) -> dict[int, tuple[str, int | None]]:
    """series id -> (the fingerprint its stored version was computed at, the format of the statistics'
    rows stored with it, None without): series without a stored version left out."""
    query = select(
        SeriesDataVersion.series_id, SeriesDataVersion.fingerprint, SeriesDataVersion.stat_inputs_format
    ).where(SeriesDataVersion.series_id.in_(list(series_ids)))
    return {series_id: (fingerprint, packed_format) for series_id, fingerprint, packed_format in session.execute(query)}


def store_data_versions(session: Session, rows: Sequence[StoredDataVersion], at: dt.datetime) -> None:
    """Replace what is stored for these series."""
    if not rows:
        return
    session.execute(delete(SeriesDataVersion).where(SeriesDataVersion.series_id.in_([r.series_id for r in rows])))
    session.execute(insert(SeriesDataVersion), [{**r._asdict(), "computed_at": at} for r in rows])


def all_series_ids(session: Session, among: Collection[int] | None = None) -> list[int]:
    """Every series id (or those of ``among`` that still exist), in order."""
    query = select(Series.id).order_by(Series.id)
    if among is not None:
        query = query.where(Series.id.in_(list(among)))
    return list(session.scalars(query))


def series_ids_touching(
    session: Session,
    *,
    poll_ids: Collection[int] = (),
    question_ids: Collection[int] = (),
    pollster_ids: Collection[int] = (),
    member_ids: Collection[int] = (),
) -> set[int]:
    """Series with a member question of one of these polls, one of these questions, a poll of one of
    these pollsters, or one of these member rows (as the database holds them now)."""
    conditions = []
    if poll_ids:
        conditions.append(Question.poll_id.in_(list(poll_ids)))
    if question_ids:
        conditions.append(Question.id.in_(list(question_ids)))
    if pollster_ids:
        conditions.append(Question.poll_id.in_(select(Poll.id).where(Poll.pollster_id.in_(list(pollster_ids)))))
    if member_ids:
        conditions.append(SeriesMember.id.in_(list(member_ids)))
    if not conditions:
        return set()
    query = (
        select(SeriesMember.series_id)
        .join(Question, Question.id == SeriesMember.question_id)
        .where(or_(*conditions))
        .distinct()
    )
    return set(session.scalars(query))
