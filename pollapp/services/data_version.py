"""THE data version of a series: a content hash of every point row of its full long export.

It changes exactly when an exported value changes, is served as ``Pollapp-Data-Version`` on points,
downloads and statistics, named in ``datapackage.json``'s citation, and computed for ``as_of`` too, so
that a historical download carries the version that was cited. Hashing every row costs a full read of
the series, so the result is cached: for the current data by the data generation (one primary-key
read, :mod:`pollapp.services.data_generation`) and behind it by the series' fingerprint
(:func:`pollapp.repository.series_data_version`, one aggregate query that moves with every write,
delete and restore of the series), for a settled past instant by the instant alone. The writing
transaction stores the current version with its fingerprint (:mod:`pollapp.services.data_version_store`),
so that the first read after a write, in any process, need not hash either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.models import Series
from pollapp.services import data_generation, history_asof, stats_inputs_store
from pollapp.services.cache import ResultCache

HEADER = "Pollapp-Data-Version"
_N_POINT = len(repository.POINT_COLUMNS)
_POINT_VALUES = operator.itemgetter(*repository.POINT_COLUMNS)
IMMUTABLE = "public, max-age=31536000, immutable"


class Hasher:
    """The data version fed one point row at a time (a streamed export hashes as it goes)."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def add(self, point: dict[str, Any]) -> None:
        # One orjson call on the row's values as a tuple: orjson writes enum members by value, as
        # the per-value conversion before it did: same digests (tests/services/test_data_version.py).
        self._digest.update(orjson.dumps(_POINT_VALUES(point)) + b"\n")

    def add_many(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """:meth:`add` for rows given as tuples that begin with their :data:`repository.POINT_COLUMNS`
        values (the same bytes, fed in one update)."""
        self._digest.update(b"".join([orjson.dumps(row[:_N_POINT]) + b"\n" for row in rows]))

    def hexdigest(self) -> str:
        return self._digest.hexdigest()[:16]


_OUTCOME = repository.POINT_COLUMNS.index("outcome")
_COMBINED = (*repository.POINT_COLUMNS, *repository.POINT_STAT_EXTRA_COLUMNS)
_STAT_VALUES = operator.itemgetter(*(_COMBINED.index(c) for c in repository.STAT_ROW_COLUMNS))


@dataclass
class StatRows:
    """A request to keep, while the version is hashed from every point row, the statistics' rows
    (:data:`repository.STAT_ROW_COLUMNS` tuples: :func:`repository.series_outcome_rows`' rows and order,
    except that the outcomes of one question come by position, not code) of some outcomes: an uncached trend then reads the series once, not twice. ``rows`` stays None when
    the version came from a cache (or is of a past instant): the caller reads the rows itself."""

    outcomes: frozenset[str] | None = None  # None: every outcome
    rows: list[tuple[Any, ...]] | None = None
    #: The fingerprint of the current data (None for a past instant). The statistics' rows stored at it
    #: (:func:`stored_stat_columns`) are the current ones, and it moves with what the statistics read
    #: beyond the version (a poll's confidence level, its sample size beside its question's base): a
    #: cached statistic is keyed on it too (pollapp.services.stats_series.result_key).
    fingerprint: str | None = None
    #: False: tell the fingerprint only; a hash of every point row keeps no rows.
    keep_rows: bool = True


def stored_stat_columns(
    session: Session, series_id: int, print_: str, outcomes: Iterable[str] | None
) -> dict[str, Any] | None:
    """The statistics' rows of these outcomes stored with the series' data version at this fingerprint
    (:mod:`pollapp.services.stats_inputs_store`), as columns; None when none are stored there (or they
    are of another format, or unreadable): the caller reads them with SQL. Read only when a statistic
    is computed, not when its cached result is served."""
    found = repository.stored_stat_inputs(session, series_id, print_)
    if found is None or found[1] != stats_inputs_store.FORMAT:
        return None
    try:
        return stats_inputs_store.unpack(found[0], outcomes)
    except stats_inputs_store.StatInputsError:
        return None


def _version_keeping(session: Session, series: Series, keep: StatRows) -> str:
    hasher, rows, wanted = Hasher(), [], keep.outcomes
    for batch in repository.series_point_stat_rows(session, series.id):
        hasher.add_many(batch)
        rows.extend(_STAT_VALUES(row) for row in batch if wanted is None or row[_OUTCOME] in wanted)
    keep.rows = rows
    return hasher.hexdigest()


def version_of(points: Iterable[dict[str, Any]]) -> str:
    """Content hash of point rows (repository or :mod:`history_asof` rows, in their order)."""
    hasher = Hasher()
    for p in points:
        hasher.add(p)
    return hasher.hexdigest()


def points(
    session: Session, series: Series, filters: repository.PointFilters, as_of: dt.datetime | None
) -> Iterable[dict[str, Any]]:
    """Every point row of the series (filtered), now (streamed from the database: constant memory)
    or as of an instant (rebuilt from the revisions)."""
    if as_of is None:
        return repository.series_points_stream(session, series.id, filters)
    rows, _ = history_asof.series_points(session, series, filters, as_of=as_of)
    return rows


def fingerprint(session: Session, series_id: int) -> str:
    """The series' cheap fingerprint (:func:`pollapp.repository.series_data_version`, one aggregate
    query that moves with every write, delete and restore of the series) as a short string: what the
    cache of versions and the stored version (:mod:`pollapp.services.data_version_store`) are keyed on."""
    basis = [str(v) for v in repository.series_data_version(session, series_id)]
    return hashlib.sha256(orjson.dumps(basis)).hexdigest()[:32]


def hash_and_pack_series(session: Session, series_id: int) -> tuple[str, bytes]:
    """The data version of the series' current data, hashed from every point row, and, from the same
    read, the statistics' rows of every outcome packed (:func:`pollapp.services.stats_inputs_store.pack`):
    what the writing transaction stores."""
    hasher, rows = Hasher(), []
    for batch in repository.series_point_stat_rows(session, series_id):
        hasher.add_many(batch)
        rows.extend(map(_STAT_VALUES, batch))
    return hasher.hexdigest(), stats_inputs_store.pack(rows)


def cache_key(session: Session, series: Series, as_of: dt.datetime | None, print_: str | None = None) -> str:
    """What the version depends on, cheaply: the fingerprint (``print_`` when already read), unless
    ``as_of`` is settled."""
    basis: list[Any] = [series.id, series.slug]
    if as_of is not None:
        basis.append(as_of.isoformat())
    if not history_asof.is_settled(as_of):
        basis.append(print_ or fingerprint(session, series.id))
    return "data-version:" + hashlib.sha256(orjson.dumps(basis)).hexdigest()[:32]


def generation_key(session: Session, series: Series, as_of: dt.datetime | None) -> str | None:
    """The cheapest key: the data generation (one primary-key read, memoised per request), which moves
    with every write anywhere. None for a settled ``as_of`` (its own key is free) or when the session
    holds uncommitted changes."""
    if history_asof.is_settled(as_of):
        return None
    generation = data_generation.current(session)
    if generation is None:
        return None
    basis = [series.id, series.slug, as_of.isoformat() if as_of else None, generation]
    return "data-version-generation:" + hashlib.sha256(orjson.dumps(basis)).hexdigest()[:32]


def series_data_version(
    session: Session, series: Series, *, as_of: dt.datetime | None = None, cache: ResultCache | None = None,
    keep: StatRows | None = None,
) -> str:
    """Cache levels, cheapest first: by data generation (O(1): no query about the series); by the
    fingerprint (one aggregate over the series: a write elsewhere moved the generation but the hash is
    still known, so nothing is rehashed or refitted); for the current data, the version stored by the
    transaction that last wrote the series, if computed at this fingerprint; else the hash of every
    point row (keeping the statistics' rows that ``keep`` asks for, when the data are current; else
    telling ``keep`` the current fingerprint, at which they may be stored)."""
    fast = generation_key(session, series, as_of) if cache is not None else None
    if fast is not None and (hit := cache.get(fast)) is not None:  # type: ignore[union-attr]
        version, _, print_ = hit.decode().partition(" ")
        if keep is not None and as_of is None:  # no write since that fingerprint was read
            keep.fingerprint = print_ or fingerprint(session, series.id)
        return version
    print_ = None if history_asof.is_settled(as_of) else fingerprint(session, series.id)
    key = cache_key(session, series, as_of, print_)
    if cache is not None and (hit := cache.get(key)) is not None:
        version = hit.decode()
    else:
        stored = repository.stored_data_version(session, series.id, print_) if as_of is None and print_ else None
        if stored is not None:
            version = stored
        elif keep is not None and keep.keep_rows and as_of is None:
            version = _version_keeping(session, series, keep)
        else:
            version = version_of(points(session, series, repository.PointFilters(), as_of))
        if cache is not None:
            cache.set(key, version.encode())
    if keep is not None and as_of is None:
        keep.fingerprint = print_
    if fast is not None:  # with the fingerprint: the statistics' rows stored at it are current too
        cache.set(fast, f"{version} {print_ or ''}".strip().encode())  # type: ignore[union-attr]
    return version


def definition_of(series: Series) -> str:
    """Hash of what a series' representations show besides its data (title, description, country,
    tags, outcome codes, labels and order): the data version leaves these out on purpose (a citation
    names the data), so validators and caches of rendered results combine the two."""
    basis = [
        series.slug, series.title, series.description, series.country, list(series.tags or []),
        [(o.code, o.label, o.position) for o in series.outcomes],
    ]
    return hashlib.sha256(orjson.dumps(basis)).hexdigest()[:16]


def validator(version: str, as_of: dt.datetime | None, request_key: str, definition: str = "") -> str:
    """A strong ETag for a representation of the series: its data version, its definition
    (:func:`definition_of`), the instant asked for and the normalised request (format, filters,
    parameters)."""
    basis = orjson.dumps([version, definition, as_of.isoformat() if as_of else None, request_key])
    return hashlib.sha256(basis).hexdigest()[:40]
