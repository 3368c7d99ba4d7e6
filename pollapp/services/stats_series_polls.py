"""The polls a series statistic is fitted on (and the series' data version they were read at): the outcome asked for, each poll's share and effective
sample size (unknown sizes filled, and said so), the polls left out before the model and why, and
the trend options. Split from :mod:`pollapp.services.stats_series`, which fits and encodes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import DomainError, InsufficientData
from pollapp.services import data_version, series as series_service
from pollapp.services.stats_inputs import (
    DEFF_IN_FILL,
    N_DEFAULT,
    N_POLLSTER_MEDIAN,
    enum_value,
    invalid,
    resolve_samples,
    stats_error,
)
from pollapp.services.stats_params import SELECTION_PARAMETERS, Selection
from pollapp.stats import StatsInputError


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
    #: The fingerprint of the current data when known (``selection`` given): the statistics' rows
    #: stored with the version at it are read instead of selected (pollapp.services.stats_inputs_store).
    fingerprint: str | None = field(default=None, compare=False, repr=False)


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
    elif version.fingerprint is not None and (
        stored := data_version.stored_stat_columns(session, version.series_id, version.fingerprint, wanted)
    ) is not None:  # stored with the data version by the transaction that wrote the series
        rows = stored
    else:
        rows = repository.series_outcome_stat_columns(session, version.series_id, wanted)  # DBAPI cursor: cheap
    df = _rows_frame(rows)  # the numeric columns already floats
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

    outcomes = df.pop("outcome").to_numpy()
    wanted_rows = outcomes == outcome
    # One outcome read: every row is the outcome's, none to take out.
    main = df if wanted_rows.all() else df.loc[wanted_rows].reset_index(drop=True)
    if main["population"].dtype == object:  # enum members (SQLAlchemy rows); stored strings are kept as they are
        main["population"] = [enum_value(v) for v in main["population"].tolist()]
    if against:
        other = df.loc[outcomes == against, ["question_id", "pct"]].rename(columns={"pct": "pct_against"})
        main = main.merge(other, on="question_id", how="left")
        drop(main["pct_against"].isna(), f"no value for outcome '{against}' (needed for the decided-only share)")
        drop((main["pct"] + main["pct_against"]) <= 0, f"neither '{outcome}' nor '{against}' has a positive share")
    drop(main["pct"] > 100, "the outcome sums answers to more than 100% (multi-select question)")

    # Several questions of one poll measuring the outcome for the same population: keep one (the sort
    # that chooses which is only done when there is a choice).
    dup = main["poll_id"].duplicated().to_numpy()  # (hashing the ids alone is cheaper than id and population)
    if dup.any():
        dup = main.duplicated(["poll_id", "population"]).to_numpy()
    if dup.any():
        n_known = main["base_n"].fillna(main["poll_sample_size"]).fillna(0)
        order = main.assign(_n=n_known).sort_values(["poll_id", "population", "_n", "question_id"],
                                                     ascending=[True, True, False, True], kind="stable")
        dup = order.duplicated(["poll_id", "population"]).to_numpy()
        kept = order.loc[~dup].set_index(["poll_id", "population"])["question_id"]
        reasons = [
            f"another question of this poll measures it for the same population (kept question {kept[(p, pop)]})"
            for p, pop in order.loc[dup, ["poll_id", "population"]].itertuples(index=False)
        ]
        main = order.drop(columns="_n")
        drop(dup, reasons)
    else:
        main = main.reset_index(drop=True)

    # One insertion of five columns, not five; the two of text as object columns (an arrow string array
    # would be built, and read back element by element, for nothing: they are read as Python values).
    main = main.assign(**{name: pd.Series(values, index=main.index, dtype=object) if values.dtype == object else values
                          for name, values in _resolve_samples(main).items()})
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
    # What to_datetime and astype(str) give: a text column is kept only where astype(str) makes pandas'
    # string dtype (pandas 3; before, it converts every object to str, so it always runs).
    day, text = np.dtype("datetime64[s]"), pd.Series([], dtype=object).astype(str).dtype
    text = text if isinstance(text, pd.StringDtype) else None
    frame = pd.DataFrame({
        "poll_id": _as(main["poll_id"], np.dtype(int), lambda s: s.astype(int)),
        "pollster": _as(main["pollster"], text, lambda s: s.astype(str)),
        "start_date": _as(main["field_start_date"], day, pd.to_datetime),
        "end_date": _as(main["field_end_date"], day, pd.to_datetime),
        "publication_date": _as(main["publication_date"], day, pd.to_datetime),
        "p": _as(main["p"], np.dtype(float), lambda s: s.astype(float)),
        "n_eff": _as(main["n_eff"], np.dtype(float), lambda s: s.astype(float)),
        "population": _as(main["population"], text, lambda s: s.astype(str)),
        "tracking": _as(main["tracking"], np.dtype(bool), lambda s: s.astype(bool)),
    }, index=main.index)
    # The row stats keeps for a poll reported for several populations: the best-ranked population
    # (same rule as pollapp.stats.trend.prepare), so that the response describes the row used.
    info = main
    if main["poll_id"].duplicated().any():  # a poll reported for several populations: keep the best-ranked
        rank = {p: i for i, p in enumerate(selection.population_preference)}
        populations = main["population"].tolist()
        ranks = {p: rank.get(str(p).lower(), len(rank)) for p in set(populations)}  # per distinct population
        info = main.assign(_rank=[ranks[p] for p in populations])
        info = info.sort_values(["poll_id", "_rank"], kind="stable").drop_duplicates("poll_id")
    index = pd.Index(info["poll_id"].to_numpy(), name="poll_id")
    info = info.drop(columns="poll_id")  # what set_index gives, without copying every column
    info.index = index
    return _Loaded(frame, info, excluded, warnings)


def _as(series: Any, dtype: Any, convert: Any) -> Any:
    """``series``' values as they are when already of ``dtype`` (None: never), else ``convert(series)``:
    the same column, without a pandas conversion (and its copy) per column of the statistics' input."""
    return series.array if dtype is not None and series.dtype == dtype else convert(series)


_SAMPLE_COLUMNS = ("poll_sample_size", "base_n", "design_effect", "margin_of_error", "confidence_level")


def _rows_frame(rows: Any) -> Any:
    """The statistics' rows (tuples of ``STAT_ROW_COLUMNS``, dicts from the as-of history, or the
    columns of :func:`repository.series_outcome_stat_columns`) as a frame, built column by column (a
    frame made from row tuples infers every cell), with the numeric columns as floats and the dates as
    datetime64 (numpy parses ISO strings and converts dates alike, in one pass per column)."""
    import numpy as np
    import pandas as pd

    names = repository.STAT_ROW_COLUMNS
    if isinstance(rows, dict):
        columns = [rows[name] for name in names]
    else:
        if rows and isinstance(rows[0], dict):
            rows = [tuple(row[name] for name in names) for row in rows]
        columns = list(zip(*rows)) if rows else [() for _ in names]
    data: dict[str, Any] = {}
    for name, values in zip(names, columns):
        if isinstance(values, np.ndarray) and values.dtype.kind in "iMfbO":  # typed already (stored inputs)
            data[name] = values.astype(float) if name == "pct" or name in _SAMPLE_COLUMNS else values
        elif name in repository.STAT_DATE_COLUMNS:
            data[name] = np.array(values, dtype="datetime64[D]")  # None -> NaT
        elif name == "pct" or name in _SAMPLE_COLUMNS:
            try:  # None -> NaN; ints, floats and Decimals as floats
                data[name] = np.array(values, dtype=float)
            except (TypeError, ValueError):
                data[name] = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype(float).to_numpy()
        else:
            data[name] = list(values)
    return pd.DataFrame(data, columns=list(names))


def _resolve_samples(main: Any) -> dict[str, Any]:
    """The columns :func:`resolve_samples` gives the rows (``n``, ``n_source``, ``design_effect_used``,
    ``design_effect_source``, ``n_eff``), ``n`` as a nullable integer column."""
    import numpy as np
    import pandas as pd

    size, base, deff, moe, level = (main[name].to_numpy(dtype=float) for name in _SAMPLE_COLUMNS)
    columns = resolve_samples(sample_size=size, base_n=base, design_effect=deff, margin_of_error=moe,
                              confidence_level=level)
    missing = np.isnan(columns.n)
    return {
        "n": pd.arrays.IntegerArray(np.where(missing, 0, columns.n).astype(np.int64), missing),
        "n_source": columns.n_source,
        "design_effect_used": columns.design_effect,
        "design_effect_source": columns.design_effect_source,
        "n_eff": columns.n_eff,
    }


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
