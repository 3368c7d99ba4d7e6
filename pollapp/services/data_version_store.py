"""Keeps each series' data version stored (:class:`pollapp.models.SeriesDataVersion`), computed by the
transaction that writes the series' data, so that reads need not hash every point row (issue 7: on a
20,000-poll series the hash cost more than everything else an uncached trend request does besides the fit).

Which series a transaction touched is learnt from the same session events that move the data
generation (:mod:`pollapp.services.data_generation`):

* ``before_flush``: rows about to be deleted (a poll, question, answer, member or mapping), whose
  series must be found while the rows still exist;
* ``after_flush``: ids of new and changed rows of the tables a point row is made of (polls, questions,
  answers, pollsters, series and their outcomes, members and mappings);
* ``do_orm_execute``: a Core INSERT / UPDATE / DELETE on one of those tables (bulk import, restore)
  names no rows: every series is checked then; so does :func:`pollapp.services.data_generation.mark_changed`.

At commit (``before_commit``, after the generation bump: on PostgreSQL its row lock serialises
writers, so what is hashed is exactly what this commit leaves) each touched series' fingerprint is
read; unless its stored version was computed at that fingerprint, every point row is hashed and the
pair stored, with the statistics' rows of that same read packed beside it
(:mod:`pollapp.services.stats_inputs_store`: an uncached statistic then reads them instead of running
its SELECT). A series that a write path misses keeps an old fingerprint, so readers hash and select as
before: the store can be missed, never wrong.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import ORMExecuteState, Session

from pollapp import repository
from pollapp.models import (
    Answer,
    Poll,
    Pollster,
    Question,
    Series,
    SeriesMapping,
    SeriesMember,
    SeriesOutcome,
    utcnow,
)
from pollapp.services import data_generation, data_version, session_events, stats_inputs_store

_TOUCHED = "pollapp.touched_series"
#: The tables a point row is made of: a Core statement on one of them may change any series.
POINT_TABLES = frozenset(
    m.__tablename__ for m in (Poll, Question, Answer, Pollster, Series, SeriesOutcome, SeriesMember, SeriesMapping)
)


#: Beyond this many ids a write is large (an import, a series deleted): every series is checked
#: instead, which costs one fingerprint query per series and keeps the IN lists within the drivers' limits.
MAX_IDS = 2000


class _Touched:
    """What one transaction wrote, as ids to resolve into series at commit."""

    def __init__(self) -> None:
        self.series: set[int] = set()
        self.polls: set[int] = set()
        self.questions: set[int] = set()
        self.pollsters: set[int] = set()
        self.members: set[int] = set()
        self.everything = False

    def add(self, obj: Any) -> None:
        if isinstance(obj, Poll):
            self.polls.add(obj.id)
        elif isinstance(obj, Question):
            self.polls.add(obj.poll_id)
            self.questions.add(obj.id)
        elif isinstance(obj, Answer):
            self.questions.add(obj.question_id)
        elif isinstance(obj, Pollster):
            self.pollsters.add(obj.id)
        elif isinstance(obj, Series):
            self.series.add(obj.id)
        elif isinstance(obj, (SeriesOutcome, SeriesMember)):
            self.series.add(obj.series_id)
        elif isinstance(obj, SeriesMapping):
            self.members.add(obj.member_id)

    def resolve(self, session: Session) -> set[int]:
        """The series these ids reach in the database now (the ids of removed rows included)."""
        if len(self.polls) + len(self.questions) + len(self.pollsters) + len(self.members) > MAX_IDS:
            self.everything = True
        if self.everything:
            return set(repository.all_series_ids(session))
        found = repository.series_ids_touching(
            session, poll_ids=_ids(self.polls), question_ids=_ids(self.questions),
            pollster_ids=_ids(self.pollsters), member_ids=_ids(self.members),
        )
        self.polls.clear(), self.questions.clear(), self.pollsters.clear(), self.members.clear()
        self.series |= found
        return self.series


def _ids(values: set[Any]) -> set[int]:
    return {v for v in values if v is not None}


def install() -> None:
    """Listen on every session (idempotent); called by the application factory AFTER
    :func:`pollapp.services.data_generation.install`, so that the refresh follows the bump."""
    session_events.listen({
        "before_flush": _before_flush,
        "after_flush": _after_flush,
        "do_orm_execute": _on_execute,
        "before_commit": _before_commit,
        "after_commit": _forget,
        "after_soft_rollback": _forget_on_rollback,
    })


def _touched(session: Session) -> _Touched:
    touched = session.info.get(_TOUCHED)
    if touched is None:
        touched = session.info[_TOUCHED] = _Touched()
    return touched


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    deleted = [obj for obj in session.deleted if type(obj).__tablename__ in POINT_TABLES]
    if not deleted:
        return
    touched = _touched(session)
    for obj in deleted:
        touched.add(obj)
    with session.no_autoflush:  # the rows still exist: their series can be found now, not after the flush
        touched.resolve(session)


def _after_flush(session: Session, flush_context: Any) -> None:
    # ``session.new`` builds a new set of every pending object on each access: read once, not once per
    # object (that made a flush of n new rows cost n^2: a third of a seed load's time).
    for obj in session.new:
        if type(obj).__tablename__ in POINT_TABLES:
            _touched(session).add(obj)
    for obj in session.dirty:
        if type(obj).__tablename__ in POINT_TABLES and session.is_modified(obj):
            _touched(session).add(obj)


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in POINT_TABLES:
            _touched(state.session).everything = True


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer commit refreshes once for everything
    if session.new or session.dirty or session.deleted:
        session.flush()
    touched: _Touched | None = session.info.pop(_TOUCHED, None)
    if session.info.pop(data_generation.SCOPE_UNKNOWN, None):
        touched = touched or _Touched()
        touched.everything = True
    if touched is None:
        return
    refresh(session, touched.resolve(session))


def refresh(session: Session, series_ids: set[int] | list[int]) -> list[int]:
    """Store the data version, with the statistics' rows packed (:mod:`pollapp.services.stats_inputs_store`),
    of each of these series whose stored pair is not at its current fingerprint (or of another packing
    format); returns the ids rehashed."""

    if not series_ids:
        return []
    series_ids = repository.all_series_ids(session, among=series_ids)  # a deleted series has no version
    stored = repository.stored_fingerprints(session, series_ids)
    current = stats_inputs_store.FORMAT
    rows = []
    for series_id in series_ids:
        fingerprint = data_version.fingerprint(session, series_id)
        if stored.get(series_id) != (fingerprint, current):
            version, packed = data_version.hash_and_pack_series(session, series_id)
            rows.append(repository.StoredDataVersion(series_id, fingerprint, version, packed, current))
    repository.store_data_versions(session, rows, utcnow())
    return [r[0] for r in rows]


def refresh_all(session: Session) -> tuple[int, int]:
    """:func:`refresh` every series (``flask data versions``): (versions stored, series already current)."""
    series_ids = repository.all_series_ids(session)
    stored = refresh(session, series_ids)
    return len(stored), len(series_ids) - len(stored)


def _forget(session: Session) -> None:
    if session.in_transaction():
        return  # a savepoint released (its after_commit): the outer transaction goes on
    session.info.pop(_TOUCHED, None)


def _forget_on_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        _forget(session)
