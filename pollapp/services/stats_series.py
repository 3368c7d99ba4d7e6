"""Series-wide statistics: the trend line of an outcome, pollster house effects, adjusted points.

Results are cached by ``(kind, series data version, normalised parameters, STATS_VERSION)``
(:func:`result_key`) as the encoded JSON body: a repeat request does not refit, and any write to a
member poll, its pollster or the series' mapping changes the data version (:func:`series_version`,
one aggregate query) and so the key. The same key is the HTTP layer's ETag, so a conditional GET is
answered 304 before any work.

Bulk outputs (the daily grid, the included polls) are built column by column from the DataFrames
(:func:`pollapp.services.stats_inputs.frame_records`), never row by row through marshmallow.

Unknown sample sizes: a poll reporting neither n nor a margin of error gets its pollster's median
effective n, else ``n_default`` (1,000), and says so (``n_source``, plus a warning).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import DomainError, InsufficientData, StatisticsUnavailable
from pollapp.services import series as series_service
from pollapp.services.cache import ResultCache
from pollapp.services.stats_inputs import (
    DATE,
    DEFF_IN_FILL,
    FLOAT,
    INT,
    N_DEFAULT,
    N_POLLSTER_MEDIAN,
    OTHER,
    PCT,
    SampleInfo,
    enum_value,
    frame_records,
    invalid,
    model_failure,
    model_failures,
    resolve_sample,
    stats_error,
)
from pollapp.services import trend_size
from pollapp.services.stats_params import (
    HOUSE_PARAMETERS,
    SELECTION_PARAMETERS,
    TREND_PARAMETERS,
    HouseParams,
    Selection,
    TrendParams,
)
from pollapp.stats import STATS_VERSION, StatsInputError


# ---------------------------------------------------------------- results and versions


@dataclass(frozen=True)
class EncodedResult:
    """A computed representation, already encoded as JSON (what the cache stores)."""

    body: bytes
    cached: bool
    #: The payload ``body`` encodes, when it was just computed (a cached body is decoded on demand):
    #: a smaller representation of a fresh fit is then made without decoding megabytes just encoded.
    payload: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def data(self) -> dict[str, Any]:
        return self.payload if self.payload is not None else orjson.loads(self.body)


@dataclass(frozen=True)
class SeriesVersion:
    """The series and its data version (:mod:`pollapp.services.data_version`): ``digest`` is the
    content hash of its points, now or as served at the instant ``as_of``."""

    series_id: int
    slug: str
    outcomes: tuple[str, ...]
    digest: str
    as_of: dt.datetime | None = None
    definition: str = ""  # title, outcome labels...: shown by results, not part of the data version
    #: The statistics' rows read while hashing (``selection`` given and the version not cached), else None.
    rows: list[tuple[Any, ...]] | None = field(default=None, compare=False, repr=False)


def series_version(
    session: Session, slug: str, *, as_of: dt.datetime | None = None, cache: ResultCache | None = None,
    selection: Selection | None = None,
) -> SeriesVersion:
    """The series' data version: cheap when cached (the series row, its outcomes and one aggregate
    query; no poll is loaded). 404 if the series is unknown. When it must be hashed from every row
    and ``selection`` says which outcomes a statistic will use, their rows are kept from that same
    read (``rows``), so that computing the statistic does not read the series a second time."""
    from pollapp.services import data_version

    series = series_service.get_series(session, slug)
    outcomes = tuple(o.code for o in series.outcomes)
    keep = None
    if selection is not None and selection.outcome is not None:
        keep = data_version.StatRows(frozenset(o for o in (selection.outcome, selection.decided_against) if o))
    elif selection is not None:
        keep = data_version.StatRows()
    digest = data_version.series_data_version(session, series, as_of=as_of, cache=cache, keep=keep)
    return SeriesVersion(series.id, series.slug, outcomes, digest, as_of, data_version.definition_of(series),
                         keep.rows if keep is not None else None)


def result_key(kind: str, version: SeriesVersion, params: Any) -> str:
    """Cache key and ETag basis of a computed result."""
    as_of = version.as_of.isoformat() if version.as_of else None
    basis = json.dumps(
        [kind, version.slug, version.digest, version.definition, as_of, params.as_dict(), STATS_VERSION], sort_keys=True, default=str
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


# ---------------------------------------------------------------- series: loading polls


@dataclass
class _Loaded:
    frame: Any  # stats input: poll_id, pollster, start_date, end_date, publication_date, p, n_eff, population, tracking
    info: Any  # per poll_id: what the response reports about each poll
    excluded: list[dict[str, Any]]
    warnings: list[str]


def _resolve_outcome(version: SeriesVersion, selection: Selection) -> str:
    outcome = selection.outcome
    codes = ", ".join(version.outcomes)
    if outcome is None:
        if len(version.outcomes) == 1:
            return version.outcomes[0]
        raise invalid("outcome", f"Series '{version.slug}' has several outcomes: choose one ({codes}).")
    if outcome not in version.outcomes:
        raise invalid("outcome", f"Series '{version.slug}' has no outcome '{outcome}' (it has: {codes}).")
    if selection.decided_against is not None and selection.decided_against not in version.outcomes:
        raise invalid("decided_against", f"Series '{version.slug}' has no outcome '{selection.decided_against}'.")
    return outcome


def _load_polls(session: Session, version: SeriesVersion, selection: Selection, outcome: str) -> _Loaded:
    import numpy as np
    import pandas as pd

    from pollapp.stats.trend import decided_share

    against = selection.decided_against
    wanted = [outcome, *([against] if against else [])]
    if version.as_of is not None:
        from pollapp.services import history_asof

        series = series_service.get_series(session, version.slug)
        rows = history_asof.series_outcome_rows(session, series, wanted, as_of=version.as_of)
    elif version.rows is not None:  # read with the data version (same rows and order, maybe more outcomes)
        position = repository.STAT_ROW_COLUMNS.index("outcome")
        rows = [r for r in version.rows if r[position] in wanted]
    else:
        rows = repository.series_outcome_rows(session, version.series_id, wanted)
    df = pd.DataFrame(rows, columns=list(repository.STAT_ROW_COLUMNS))
    for column in ("pct", "poll_sample_size", "base_n", "design_effect", "margin_of_error", "confidence_level"):
        df[column] = pd.to_numeric(df[column], errors="coerce").astype(float)
    excluded: list[dict[str, Any]] = []
    warnings: list[str] = []

    def drop(mask: Any, reason: Any) -> None:
        nonlocal main
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            reasons = reason if isinstance(reason, list) else [reason] * int(mask.sum())
            for (poll_id, pollster), why in zip(main.loc[mask, ["poll_id", "pollster"]].itertuples(index=False), reasons):
                excluded.append({"poll_id": int(poll_id), "pollster": pollster, "reason": why})
            main = main.loc[~mask].reset_index(drop=True)

    main = df.loc[df["outcome"] == outcome].drop(columns="outcome").reset_index(drop=True)
    main["population"] = [enum_value(v) for v in main["population"].tolist()]
    if against:
        other = df.loc[df["outcome"] == against, ["question_id", "pct"]].rename(columns={"pct": "pct_against"})
        main = main.merge(other, on="question_id", how="left")
        drop(main["pct_against"].isna(), f"no value for outcome '{against}' (needed for the decided-only share)")
        drop((main["pct"] + main["pct_against"]) <= 0, f"neither '{outcome}' nor '{against}' has a positive share")
    drop(main["pct"] > 100, "the outcome sums answers to more than 100% (multi-select question)")

    # Several questions of one poll measuring the outcome for the same population: keep one.
    n_known = main["base_n"].fillna(main["poll_sample_size"]).fillna(0)
    order = main.assign(_n=n_known).sort_values(["poll_id", "population", "_n", "question_id"],
                                                 ascending=[True, True, False, True], kind="stable")
    dup = order.duplicated(["poll_id", "population"]).to_numpy()
    if dup.any():
        kept = order.loc[~dup].set_index(["poll_id", "population"])["question_id"]
        reasons = [
            f"another question of this poll measures it for the same population (kept question {kept[(p, pop)]})"
            for p, pop in order.loc[dup, ["poll_id", "population"]].itertuples(index=False)
        ]
        main = order.drop(columns="_n")
        drop(dup, reasons)
    else:
        main = main.reset_index(drop=True)

    samples: dict[tuple[Any, ...], SampleInfo] = {}
    resolved = []
    # Float columns (to_numeric above): NaN -> None, value by value on plain Python floats (no pd.isna).
    columns = [[None if v != v else v for v in main[c].to_numpy(dtype=float).tolist()]
               for c in ("poll_sample_size", "base_n", "design_effect", "margin_of_error", "confidence_level")]
    for key in zip(*columns):
        if key not in samples:
            samples[key] = resolve_sample(sample_size=key[0], base_n=key[1], design_effect=key[2],
                                          margin_of_error=key[3], confidence_level=key[4])
        resolved.append(samples[key])
    main["n"] = pd.array([s.n for s in resolved], dtype="Int64")
    main["n_source"] = [s.n_source for s in resolved]
    main["design_effect_used"] = [s.design_effect for s in resolved]
    main["design_effect_source"] = [s.design_effect_source for s in resolved]
    main["n_eff"] = np.array([np.nan if s.n_eff is None else s.n_eff for s in resolved], dtype=float)
    if main["n_eff"].isna().any():
        main = _fill_unknown_n(main, selection, warnings)
    main["p"] = main["pct"] / 100.0
    if against:
        p1, p2 = main["pct"] / 100.0, main["pct_against"] / 100.0
        over = (p1 + p2) > 1
        if over.any():
            # Rounded published shares may sum to a little over 100%: the ratio is unaffected.
            total = (p1 + p2).where(over, 1.0)
            p1, p2 = p1 / total, p2 / total
            warnings.append(f"{int(over.sum())} poll(s): '{outcome}' and '{against}' sum to more than 100% "
                            "(rounding); treated as all respondents decided.")
        main = decided_share(main.assign(p1=p1, p2=p2), "p1", "p2")
    frame = pd.DataFrame({
        "poll_id": main["poll_id"].astype(int),
        "pollster": main["pollster"].astype(str),
        "start_date": pd.to_datetime(main["field_start_date"]),
        "end_date": pd.to_datetime(main["field_end_date"]),
        "publication_date": pd.to_datetime(main["publication_date"]),
        "p": main["p"].astype(float),
        "n_eff": main["n_eff"].astype(float),
        "population": main["population"].astype(str),
        "tracking": main["tracking"].astype(bool),
    })
    # The row stats keeps for a poll reported for several populations: the best-ranked population
    # (same rule as pollapp.stats.trend.prepare), so that the response describes the row used.
    rank = {p: i for i, p in enumerate(selection.population_preference)}
    info = main.assign(_rank=[rank.get(str(p).lower(), len(rank)) for p in main["population"].tolist()])
    info = info.sort_values(["poll_id", "_rank"], kind="stable").drop_duplicates("poll_id").set_index("poll_id")
    return _Loaded(frame, info, excluded, warnings)


def _fill_unknown_n(main: Any, selection: Selection, warnings: list[str]) -> Any:
    """Fill unknown effective sample sizes with the pollster's median (of the polls published by
    ``as_of``, so that no later poll informs an earlier estimate), else ``n_default``; say so."""
    import pandas as pd

    from pollapp.stats.trend import fill_missing_n

    filled_frame = fill_missing_n(main, selection.n_default, strategy="pollster_median")
    if selection.as_of is not None:
        published = pd.to_datetime(main["publication_date"]).fillna(pd.to_datetime(main["field_end_date"]))
        known_then = (published <= pd.Timestamp(selection.as_of)).to_numpy()
        if known_then.any():
            then = fill_missing_n(main.loc[known_then], selection.n_default, strategy="pollster_median")
            filled_frame.loc[known_then, then.columns] = then
    main = filled_frame
    filled = main["n_eff_imputed"].to_numpy(dtype=bool)
    source = main["n_eff_source"].map({"pollster median": N_POLLSTER_MEDIAN, "default": N_DEFAULT})
    main.loc[filled, "n_source"] = source[filled]
    main.loc[filled, "design_effect_used"] = None
    main.loc[filled, "design_effect_source"] = DEFF_IN_FILL
    counts = main.loc[filled, "n_source"].value_counts()
    how = []
    if counts.get(N_POLLSTER_MEDIAN):
        how.append(f"their pollster's median for {counts[N_POLLSTER_MEDIAN]}")
    if counts.get(N_DEFAULT):
        how.append(f"n_default = {selection.n_default} for {counts[N_DEFAULT]}")
    warnings.append(
        f"{int(filled.sum())} of {len(main)} poll(s) report neither a sample size nor a margin of error; their "
        f"effective sample size was filled in ({' and '.join(how)}), so their weight is an assumption (n_source)."
    )
    return main


def _trend_options(selection: Selection) -> Any:
    from pollapp.stats.trend import TrendOptions

    try:
        return TrendOptions(
            level=selection.level,
            min_polls=selection.min_polls,
            start=selection.start_date,
            end=selection.end_date,
            as_of=selection.as_of,
            exclude_pollsters=selection.exclude_pollsters,
            population_preference=selection.population_preference,
            drop_overlapping_tracking=selection.drop_overlapping_tracking,
        )
    except StatsInputError as exc:
        raise stats_error(exc, SELECTION_PARAMETERS) from exc


def _refuse_insufficient(exc: DomainError) -> DomainError:
    if isinstance(exc, InsufficientData):
        exc.detail = (
            f"{exc.detail}. No line is drawn through so few polls; the raw values remain available from "
            "the series' points."
        )
        exc.args = (exc.detail,)
    return exc


EXCLUDED_COLUMNS = {"poll_id": ("poll_id", INT), "pollster": ("pollster", OTHER), "reason": ("reason", OTHER)}
INCLUDED_COLUMNS = {
    "poll_id": ("poll_id", INT),
    "question_id": ("question_id", INT),
    "pollster": ("pollster", OTHER),
    "field_start_date": ("field_start_date", DATE),
    "field_end_date": ("field_end_date", DATE),
    "mid_date": ("mid_date", DATE),
    "publication_date": ("publication_date", DATE),
    "population": ("population", OTHER),
    "pct": ("p", PCT),
    "published_pct": ("published_pct", FLOAT),
    "decided_pct": ("decided", PCT),
    "n": ("n", INT),
    "n_source": ("n_source", OTHER),
    "design_effect": ("design_effect_used", FLOAT),
    "design_effect_source": ("design_effect_source", OTHER),
    "n_eff": ("n_eff", FLOAT),
    "house_effect_pct": ("house_effect", PCT),
    "house_effect_se_pct": ("house_effect_se", PCT),
    "adjusted_pct": ("adjusted_p", PCT),
}
GRID_COLUMNS = {
    "date": ("date", DATE),
    **{
        f"{name}_pct": (name, PCT)
        for name in ("estimate", "se", "lower", "upper", "filtered_estimate", "filtered_se", "filtered_lower",
                     "filtered_upper")
    },
}
HOUSE_COLUMNS = {
    "pollster": ("pollster", OTHER),
    "estimate_pct": ("estimate", PCT),
    "se_pct": ("se", PCT),
    "lower_pct": ("lower", PCT),
    "upper_pct": ("upper", PCT),
    "n_polls": ("n_polls", INT),
}


def _poll_records(polls: Any, loaded: _Loaded) -> list[dict[str, Any]]:
    """Included polls: the stats columns joined with what the store says about each poll."""
    info = loaded.info
    pairs = [("question_id", "question_id"), ("field_start_date", "field_start_date"),
             ("field_end_date", "field_end_date"), ("publication_date", "publication_date"),
             ("population", "population"), ("published_pct", "pct"), ("n", "n"), ("n_source", "n_source"),
             ("design_effect_used", "design_effect_used"), ("design_effect_source", "design_effect_source")]
    if "decided" in info.columns:
        pairs.append(("decided", "decided"))
    joined = info[[source for _, source in pairs]].reindex(polls["poll_id"].to_numpy())  # one lookup, not one per column
    frame = polls.copy()
    for column, source in pairs:
        frame[column] = joined[source].to_numpy()
    return frame_records(frame, INCLUDED_COLUMNS)


def _excluded_records(loaded: _Loaded, stats_excluded: Any) -> list[dict[str, Any]]:
    out = list(loaded.excluded)
    if stats_excluded is not None and len(stats_excluded):
        out.extend(frame_records(stats_excluded, EXCLUDED_COLUMNS))
    return out


def _house_records(table: Any) -> list[dict[str, Any]] | None:
    if table is None:
        return None
    return frame_records(table.reset_index(), HOUSE_COLUMNS)


def _has_estimate(grid: Any) -> bool:
    """A fit that "succeeded" with not one finite estimate (NaN everywhere) is a failure, not a line."""
    import numpy as np

    estimates = np.asarray(grid["estimate"], dtype=float) if "estimate" in grid else np.array([])
    return bool(np.isfinite(estimates).any())


# ---------------------------------------------------------------- series: trend


def series_trend(
    session: Session,
    slug: str,
    params: TrendParams,
    *,
    cache: ResultCache | None = None,
    version: SeriesVersion | None = None,
) -> EncodedResult:
    """The trend line of one series outcome (see the module docstring for caching)."""
    version = version or series_version(session, slug)
    key = result_key("trend", version, params)
    if cache is not None and (hit := cache.get(key)) is not None:
        return EncodedResult(hit, cached=True)
    if not params.is_full():  # a smaller representation of the full result, which is fitted (or cached) once
        full = series_trend(session, slug, params.full(), cache=cache, version=version)
        body = _encode(trend_size.represent(full.data, params.step_days, params.polls))
        if cache is not None:
            cache.set(key, body)
        return EncodedResult(body, cached=full.cached)
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
    included = _poll_records(result.included, loaded)
    excluded = _excluded_records(loaded, result.excluded)
    warnings = [*loaded.warnings, *result.warnings]
    if result.house_effects is not None and len(result.house_effects) < 2:
        warnings.append("Only one pollster: no house effect can be estimated (shown as 0); the line is that "
                        "pollster's own level.")
    payload = {
        "series": version.slug,
        "outcome": outcome,
        "decided_against": selection.decided_against,
        "method": result.method,
        "band": result.band,
        "parameters": _parameters(params, outcome, version),
        "settings": result.settings,
        "fitted_params": result.params,
        "n_polls_included": len(included),
        "n_polls_excluded": len(excluded),
        "warnings": warnings,
        "data_version": version.digest,
        "stats_version": STATS_VERSION,
        "computed_at": _now(),
        "house_effects": _house_records(result.house_effects),
        "excluded": excluded,
        "included": included,
        "grid": frame_records(result.grid, GRID_COLUMNS),
    }
    body = _encode(payload)
    if cache is not None:
        cache.set(key, body)
    return EncodedResult(body, cached=False, payload=payload)


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

