"""Series-wide statistics: the trend line of an outcome, pollster house effects, adjusted points.

Results are cached by ``(kind, series data version, normalised parameters, STATS_VERSION)``
(:func:`result_key`) as the encoded JSON body: a repeat request does not refit, and any write to a
member poll, its pollster or the series' mapping changes the data version (:func:`series_version`,
one aggregate query) and so the key. The same key is the HTTP layer's ETag, so a conditional GET is
answered 304 before any work.

Bulk outputs (the daily grid, the included polls) are built column by column from the DataFrames
(:func:`pollapp.services.stats_inputs.frame_columns`), never row by row through marshmallow. A trend's
full result (every day, every poll) is kept and cached column-wise (kind ``trend-columns``), and each
representation builds dicts only for the rows it lists (:func:`pollapp.services.trend_size.represent`).

Unknown sample sizes: a poll reporting neither n nor a margin of error gets its pollster's median
effective n, else ``n_default`` (1,000), and says so (``n_source``, plus a warning).

The polls a fit uses are loaded by :mod:`pollapp.services.stats_series_polls`, and the records of the
response are built by :mod:`pollapp.services.stats_series_records`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.orm import Session

from pollapp.exceptions import InsufficientData, StatisticsUnavailable
from pollapp.services import series as series_service
from pollapp.services.cache import ResultCache
from pollapp.services.stats_inputs import (
    column_length,
    frame_columns,
    model_failure,
    model_failures,
    stats_error,
)
from pollapp.services import trend_size
from pollapp.services.stats_params import (
    HOUSE_PARAMETERS,
    TREND_PARAMETERS,
    HouseParams,
    TrendParams,
)
from pollapp.services.stats_series_polls import (
    SeriesVersion,
    _load_polls,
    _refuse_insufficient,
    _resolve_outcome,
    _trend_options,
)
from pollapp.services.stats_series_records import (
    GRID_COLUMNS,
    _excluded_records,
    _has_estimate,
    _house_records,
    _poll_columns,
    _poll_records,
)
from pollapp.stats import STATS_VERSION, StatsInputError


# ---------------------------------------------------------------- results and versions


@dataclass(frozen=True)
class EncodedResult:
    """A computed representation, already encoded as JSON (what the cache stores)."""

    body: bytes
    cached: bool
    #: The payload ``body`` encodes, when it was just made (a cached body is decoded on demand).
    payload: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def data(self) -> dict[str, Any]:
        return self.payload if self.payload is not None else orjson.loads(self.body)


def series_version(
    session: Session, slug: str, *, as_of: dt.datetime | None = None, cache: ResultCache | None = None,
    selection: Selection | None = None,
) -> SeriesVersion:
    """The series' data version: cheap when cached (the series row, its outcomes and one aggregate
    query; no poll is loaded). 404 if the series is unknown. When it must be hashed from every row
    and ``selection`` says which outcomes a statistic will use, their rows are kept from that same
    read (``rows``), so that computing the statistic does not read the series a second time; else the
    current fingerprint is kept (``fingerprint``), at which the writing transaction stored them."""
    from pollapp.services import data_version

    series = series_service.get_series(session, slug)
    outcomes = tuple(o.code for o in series.outcomes)
    keep = data_version.StatRows(keep_rows=selection is not None)  # the fingerprint is wanted in any case
    if selection is not None and selection.outcome is not None:
        keep.outcomes = frozenset(o for o in (selection.outcome, selection.decided_against) if o)
    digest = data_version.series_data_version(session, series, as_of=as_of, cache=cache, keep=keep)
    return SeriesVersion(series.id, series.slug, outcomes, digest, as_of, data_version.definition_of(series),
                         keep.rows, keep.fingerprint)


def result_key(kind: str, version: SeriesVersion, params: Any) -> str:
    """Cache key and ETag basis of a computed result."""
    as_of = version.as_of.isoformat() if version.as_of else None
    # The fingerprint too: the data version hashes the published points, and a statistic also reads what
    # they leave out (a poll's confidence level, its sample size beside its question's base): an edit of
    # only those moves the fingerprint, not the version, and must not be answered from the cache.
    basis = json.dumps(
        [kind, version.slug, version.digest, version.definition, as_of, params.as_dict(), STATS_VERSION,
         version.fingerprint], sort_keys=True, default=str
    )
    return f"{kind}:{version.slug}:" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def _parameters(params: Any, outcome: str, version: SeriesVersion) -> dict[str, Any]:
    out = params.as_dict() | {"outcome": outcome}
    if version.as_of is not None:  # an instant: the data as recorded then (a day stays the stats option)
        out["as_of"] = version.as_of.isoformat().replace("+00:00", "Z")
    return out


def _encode(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------- series: trend


def series_trend(
    session: Session,
    slug: str,
    params: TrendParams,
    *,
    cache: ResultCache | None = None,
    version: SeriesVersion | None = None,
) -> EncodedResult:
    """The trend line of one series outcome (see the module docstring for caching).

    Every representation (``step_days``, ``polls``) is made from one full result (every grid day, every
    poll), fitted once and cached column-wise under its own key: dicts are built only for the rows the
    representation lists, and a 20,000-poll series does not build and encode 20,000 poll dicts to send
    the latest 100 (issue 7)."""
    version = version or series_version(session, slug)
    key = result_key("trend", version, params)
    if cache is not None and (hit := cache.get(key)) is not None:
        return EncodedResult(hit, cached=True)
    full_key = result_key("trend-columns", version, params.full())
    if cache is not None and (stored := cache.get(full_key)) is not None:
        full, cached = orjson.loads(stored), True
    else:
        full, cached = _trend_columns(session, version, params.full()), False
        if cache is not None:
            cache.set(full_key, _encode(full))
    payload = trend_size.represent(full, params.step_days, params.polls)
    body = _encode(payload)
    if cache is not None:
        cache.set(key, body)
    return EncodedResult(body, cached=cached, payload=payload)


def _trend_columns(session: Session, version: SeriesVersion, params: TrendParams) -> dict[str, Any]:
    """The full trend result (``params.full()``), with ``included`` and ``grid`` column-wise."""
    from pollapp.stats.trend import fit_trend

    selection = params.selection
    outcome = _resolve_outcome(version, selection)
    loaded = _load_polls(session, version, selection, outcome)
    options = _trend_options(selection)
    settings = dict(params.settings)
    if params.method == "kalman" and settings["reference_pollster"] is None:
        settings.pop("reference_pollster")
    try:
        result = fit_trend(loaded.frame, params.method, options, **settings)
    except StatsInputError as exc:
        raise _refuse_insufficient(stats_error(exc, TREND_PARAMETERS)) from exc
    except model_failures() as exc:
        raise model_failure(exc, "trend line") from exc
    if not _has_estimate(result.grid):
        raise StatisticsUnavailable(
            "The trend model produced no finite estimate for these polls. The raw values remain available "
            "from the series' points."
        )
    included = _poll_columns(result.included, loaded)
    excluded = _excluded_records(loaded, result.excluded)
    warnings = [*loaded.warnings, *result.warnings]
    if result.house_effects is not None and len(result.house_effects) < 2:
        warnings.append("Only one pollster: no house effect can be estimated (shown as 0); the line is that "
                        "pollster's own level.")
    return {
        "series": version.slug,
        "outcome": outcome,
        "decided_against": selection.decided_against,
        "method": result.method,
        "band": result.band,
        "parameters": _parameters(params, outcome, version),
        "settings": result.settings,
        "fitted_params": result.params,
        "n_polls_included": column_length(included),
        "n_polls_excluded": len(excluded),
        "warnings": warnings,
        "data_version": version.digest,
        "stats_version": STATS_VERSION,
        "computed_at": _now(),
        "house_effects": _house_records(result.house_effects),
        "excluded": excluded,
        "included": included,
        "grid": frame_columns(result.grid, GRID_COLUMNS),
    }


# ---------------------------------------------------------------- series: house effects


HOUSE_KINDS = ("house-effects", "adjusted-points")


def house_effects(
    session: Session, slug: str, params: HouseParams, *, cache: ResultCache | None = None,
    version: SeriesVersion | None = None,
) -> EncodedResult:
    """Per-pollster house effects with intervals and poll counts."""
    return _house(session, slug, params, cache, version, "house-effects")


def adjusted_points(
    session: Session, slug: str, params: HouseParams, *, cache: ResultCache | None = None,
    version: SeriesVersion | None = None,
) -> EncodedResult:
    """Each included poll's value with its pollster's house effect removed."""
    return _house(session, slug, params, cache, version, "adjusted-points")


def _house(
    session: Session, slug: str, params: HouseParams, cache: ResultCache | None, version: SeriesVersion | None,
    kind: str,
) -> EncodedResult:
    version = version or series_version(session, slug)
    keys = {k: result_key(k, version, params) for k in HOUSE_KINDS}
    if cache is not None and (hit := cache.get(keys[kind])) is not None:
        return EncodedResult(hit, cached=True)
    from pollapp.stats.house_effects import house_effects as estimate

    selection = params.selection
    outcome = _resolve_outcome(version, selection)
    loaded = _load_polls(session, version, selection, outcome)
    pollsters = set(loaded.frame["pollster"]) - set(selection.exclude_pollsters)
    if len(pollsters) < 2:
        only = ", ".join(sorted(pollsters)) or "none"
        raise InsufficientData(
            f"House effects compare pollsters, and the selected polls come from fewer than two (pollsters: {only})."
        )
    try:
        result = estimate(
            loaded.frame,
            method=params.method,
            constraint=params.constraint,
            reference_pollster=params.reference_pollster,
            options=_trend_options(selection),
            bin_days=params.bin_days,
            extra_variance=params.extra_variance,
        )
    except StatsInputError as exc:
        raise _refuse_insufficient(stats_error(exc, HOUSE_PARAMETERS, {"house_effects": "constraint"})) from exc
    except model_failures() as exc:
        raise model_failure(exc, "house effects") from exc
    excluded = _excluded_records(loaded, result.excluded)
    anchor = {
        "sum_to_zero": "the average pollster",
        "weighted_sum_to_zero": "the average poll",
        "reference": f"pollster '{params.reference_pollster}'",
    }[result.constraint]
    common = {
        "series": version.slug,
        "outcome": outcome,
        "decided_against": selection.decided_against,
        "method": result.method,
        "constraint": result.constraint,
        "reference_pollster": params.reference_pollster,
        "level": result.level,
        "explanation": (
            f"A house effect is how many points a pollster's polls read above (+) or below (-) {anchor}, "
            f"after allowing for the trend; intervals at {result.level * 100:g}%. Adjusted values subtract it."
        ),
        "parameters": _parameters(params, outcome, version),
        "fitted_params": result.params,
        "n_polls_included": int(len(result.adjusted)) if result.adjusted is not None else None,
        "n_polls_excluded": len(excluded),
        "warnings": list(loaded.warnings),
        "data_version": version.digest,
        "stats_version": STATS_VERSION,
        "computed_at": _now(),
        "house_effects": _house_records(result.table),
    }
    bodies = {
        "house-effects": _encode({**common, "excluded": excluded}),
        "adjusted-points": _encode({**common, "excluded": excluded, "points": _poll_records(result.adjusted, loaded)}),
    }
    if cache is not None:
        for k, body in bodies.items():
            cache.set(keys[k], body)
    return EncodedResult(bodies[kind], cached=False)

