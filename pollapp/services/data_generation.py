"""The data generation: one number that moves, in the writing transaction, whenever public data changes.

Why: caches of public representations need a key that says "nothing changed" in one primary-key read,
whatever the size of the data (a per-series aggregate costs O(series) and broke the latency target on a
100,000-poll series). Every write path goes through a SQLAlchemy session, so session events see them
all and no view or importer has to remember to bump:

* ``after_flush`` flags the session when the flush wrote an object of a data table (net changes only:
  an object touched without a change flushes nothing and flags nothing);
* ``do_orm_execute`` flags it for INSERT / UPDATE / DELETE statements on data tables (Core bulk
  inserts, restores, ORM bulk updates);
* writers that bypass the session (a raw-driver COPY or ``executemany``) set
  ``session.info[DATA_CHANGED] = True`` themselves (:func:`mark_changed`);
* ``before_commit`` then runs one ``UPDATE data_generation SET value = value + 1`` in the same
  transaction, so readers see the new data and the new number together or neither.

Tables that are not public data never flag: API keys (every keyed request updates ``last_used_at``),
Idempotency-Key records and the generation row itself.

:func:`current` is the per-session (per-request) read: memoised in ``session.info`` so the response
cache and the data-version services ask once, and ``None`` while the session holds uncommitted data
changes (nothing computed from them may be cached under a committed generation).

The lease (:func:`set_lease`, ``GENERATION_LEASE_MS``): the cached-hit path may answer with a
generation it read up to a lease ago (:class:`pollapp.repository.CommittedGenerationReader`), instead
of one round trip to the database per hit. In exchange, ``after_commit`` waits one lease after every
commit that moved the generation, before the writer (a view, a CLI command) can answer: whoever learns
of the write learns it after every instance's lease on the older generation has run out, so a read
that follows a write, through any instance, sees it. Every instance on one database must use the same
lease (0 turns both sides off).
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

from pollapp import repository
from pollapp.models import utcnow
from pollapp.services import session_events

DATA_CHANGED = "pollapp.data_changed"  # the contract with raw-driver writers (bulk import, restore)
#: Set with DATA_CHANGED by :func:`mark_changed`: the rows written are unknown, so the stored data
#: versions of every series are checked at commit (:mod:`pollapp.services.data_version_store`).
SCOPE_UNKNOWN = "pollapp.data_scope_unknown"
_MEMO = "pollapp.data_generation"
_MOVED = "pollapp.data_generation_moved"  # the engine whose generation this transaction moves
_wait = time.sleep  # the commit wait's clock (tests replace it, not time.sleep itself)
#: The lease of each database's generation (by engine: an app, or a test's second app, has its own).
_LEASES: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
#: Tables whose writes do not change what any public read shows.
NOT_DATA = frozenset({"api_keys", "idempotency_records", "data_generation", "series_data_versions"})


def current(session: Session) -> int | None:
    """The committed generation this session reads (one SELECT per session), or ``None`` when the
    session has written data it has not committed (do not cache anything then)."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # as a query's autoflush would: pending data changes set the flag
    value = session.info.get(_MEMO)
    if value is None:
        value = session.info[_MEMO] = repository.committed_data_generation(session)
    return None if session.info.get(DATA_CHANGED) else value


def set_lease(engine: Engine, seconds: float) -> None:
    """How long a generation read on ``engine``'s database may be trusted (see the module docstring);
    commits through sessions bound to ``engine`` that move the generation wait as long."""
    _LEASES[engine] = max(float(seconds), 0.0)


def lease_of(engine: Engine) -> float:
    return _LEASES.get(engine, 0.0)


def committed_reader(engine: Any) -> repository.CommittedGenerationReader:
    """A reader of the committed generation on a connection of its own (shared by the threads), for
    the cached-hit path that opens no session (:mod:`pollapp.web.hit_path`), with the engine's lease."""
    return repository.CommittedGenerationReader(engine, lease=lease_of(engine))


def mark_changed(session: Session) -> None:
    """Say that the session wrote public data by a path no session event sees (raw driver)."""
    session.info[DATA_CHANGED] = True
    session.info[SCOPE_UNKNOWN] = True


def install() -> None:
    """Listen on every SQLAlchemy session (idempotent); called by the application factory after
    :func:`pollapp.services.history.install`, so that the bump is the commit's last statement."""
    session_events.listen({
        "after_flush": _after_flush,
        "do_orm_execute": _on_execute,
        "before_commit": _before_commit,
        "after_commit": _after_commit,
        "after_soft_rollback": _forget_on_rollback,
    })


def _is_data(table: Any) -> bool:
    name = getattr(table, "name", None)
    return name is None or name not in NOT_DATA  # unknown target (a join, an alias): assume data


def _after_flush(session: Session, flush_context: Any) -> None:
    if session.info.get(DATA_CHANGED):
        return
    for obj in (*session.new, *session.deleted):
        if _is_data(obj.__table__):
            session.info[DATA_CHANGED] = True
            return
    for obj in session.dirty:
        if _is_data(obj.__table__) and session.is_modified(obj):
            session.info[DATA_CHANGED] = True
            return


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if _is_data(getattr(state.statement, "table", None)):
        state.session.info[DATA_CHANGED] = True


def _before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush comes after this event: flag its changes now
    if session.info.pop(DATA_CHANGED, None):
        repository.bump_data_generation(session, utcnow())
        session.info[_MOVED] = session.connection().engine
    session.info.pop(_MEMO, None)


def _after_commit(session: Session) -> None:
    """The commit wait (see the module docstring): the new generation is committed; readers that read
    the former one before it may trust it one lease more, so the writer answers after that."""
    moved = session.info.pop(_MOVED, None)
    _forget(session)
    lease = lease_of(moved) if moved is not None else 0.0
    if lease:
        _wait(lease)


def _forget(session: Session) -> None:
    session.info.pop(DATA_CHANGED, None)
    session.info.pop(SCOPE_UNKNOWN, None)
    session.info.pop(_MEMO, None)


def _forget_on_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        _forget(session)
        session.info.pop(_MOVED, None)
