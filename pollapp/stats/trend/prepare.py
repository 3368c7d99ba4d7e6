"""Input contract, options and poll selection shared by every trend method.

Why one module: every trend method must see the *same* polls for the same options
(so that methods can be compared and a cached result can be explained), and every
excluded poll must come with a reason a reader can check.

Input: a DataFrame with one row per poll (per population, see below):

=====================  ========  ==========================================================
column                 required  meaning
=====================  ========  ==========================================================
``pollster``           yes       pollster name (str); house effects are per pollster
``start_date``         yes       first field day (anything ``pd.to_datetime`` reads)
``end_date``           yes       last field day (>= start_date)
``p``                  yes       share of the answer being trended, proportion 0-1
``n_eff``              yes       effective sample size n / deff, > 0 (fill unknown ones with
                                 :func:`fill_missing_n`; missing values are refused)
``poll_id``            no        unique id (default: the DataFrame index)
``publication_date``   no        used by ``as_of``; if absent or missing, ``end_date``
``population``         no        e.g. "a", "rv", "lv", "v": several rows may share a poll_id,
                                 one is kept by ``population_preference``
``tracking``           no        bool; overlapping releases of a tracking poll are dropped
=====================  ========  ==========================================================

Polls are dated at their field-period midpoint (``start + (end - start) / 2``, floored to the day).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .._validate import check_level, check_positive, check_proportions
from ..errors import InsufficientDataError, StatsInputError

__all__ = [
    "REQUIRED_COLUMNS",
    "TrendOptions",
    "PreparedPolls",
    "prepare_polls",
    "fill_missing_n",
    "decided_share",
    "normalise_anchors",
]

REQUIRED_COLUMNS = ("pollster", "start_date", "end_date", "p", "n_eff")
DEFAULT_POPULATION_PREFERENCE = ("a", "rv", "lv", "v")


def _to_timestamp(value, parameter: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise StatsInputError(f"{parameter} is not a date: {value!r}", parameter=parameter) from None
    if ts is pd.NaT:
        raise StatsInputError(f"{parameter} is not a date", parameter=parameter)
    return ts.tz_localize(None).normalize() if ts.tzinfo else ts.normalize()


@dataclass(frozen=True)
class TrendOptions:
    """Options common to all trend methods (validated on construction).

    level: confidence level of the band. min_polls: refuse (InsufficientDataError)
    below this many usable polls. start/end: date range of the grid; polls whose
    midpoint falls outside are excluded. as_of: keep only polls published on or before
    this date (and end the grid there unless ``end`` is given). exclude_pollsters:
    names to leave out. population_preference: when one poll reports several
    populations, keep the first listed (unlisted populations rank after the listed
    ones). drop_overlapping_tracking: keep only non-overlapping releases of polls
    flagged ``tracking``, newest first.
    """

    level: float = 0.95
    min_polls: int = 5
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    as_of: pd.Timestamp | None = None
    exclude_pollsters: tuple[str, ...] = ()
    population_preference: tuple[str, ...] = DEFAULT_POPULATION_PREFERENCE
    drop_overlapping_tracking: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", check_level(self.level))
        if isinstance(self.min_polls, bool) or int(self.min_polls) != self.min_polls or self.min_polls < 2:
            raise StatsInputError("min_polls must be an integer >= 2", parameter="min_polls")
        object.__setattr__(self, "min_polls", int(self.min_polls))
        for name in ("start", "end", "as_of"):
            object.__setattr__(self, name, _to_timestamp(getattr(self, name), name))
        if self.start is not None and self.end is not None and self.start > self.end:
            raise StatsInputError("start must not be after end", parameter="start")
        for name in ("exclude_pollsters", "population_preference"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(str(v) for v in value))

    def to_dict(self) -> dict:
        """Normalised, JSON-friendly options (for responses and cache keys)."""
        out = asdict(self)
        for name in ("start", "end", "as_of"):
            out[name] = None if out[name] is None else out[name].date().isoformat()
        out["exclude_pollsters"] = sorted(out["exclude_pollsters"])
        out["population_preference"] = list(out["population_preference"])
        return out


@dataclass
class PreparedPolls:
    """Polls ready for a trend method.

    ``polls``: included polls (original columns plus ``poll_id``, ``mid_date`` and ``day``,
    the integer day of the midpoint counted from ``grid_start``), sorted by midpoint.
    ``excluded``: ``poll_id, pollster, reason``. ``dates``: the daily grid.
    """

    polls: pd.DataFrame
    excluded: pd.DataFrame
    grid_start: pd.Timestamp
    grid_end: pd.Timestamp
    options: TrendOptions = field(default_factory=TrendOptions)

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.date_range(self.grid_start, self.grid_end, freq="D")

    @property
    def n_days(self) -> int:
        return int((self.grid_end - self.grid_start).days) + 1


def _dates(df: pd.DataFrame, column: str) -> pd.Series:
    raw = df[column]
    try:
        if pd.api.types.is_datetime64_any_dtype(raw):
            values = raw
        else:
            # "mixed": parse each value on its own (ISO strings, date objects) without pandas'
            # format-guessing warning; anything unparseable raises.
            values = pd.to_datetime(raw, format="mixed")
    except (TypeError, ValueError):
        raise StatsInputError(f"column {column!r} contains values that are not dates", parameter=column) from None
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.dt.normalize()


def _validate_frame(polls: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(polls, pd.DataFrame):
        raise StatsInputError("polls must be a pandas DataFrame", parameter="polls")
    missing = [c for c in REQUIRED_COLUMNS if c not in polls.columns]
    if missing:
        raise StatsInputError(f"polls is missing column(s): {', '.join(missing)}", parameter=missing[0])
    df = polls.copy()
    if "poll_id" not in df.columns:
        df["poll_id"] = df.index
    if df["pollster"].isna().any():
        raise StatsInputError("column 'pollster' has missing values", parameter="pollster")
    df["pollster"] = df["pollster"].astype(str)
    if df["n_eff"].isna().any():
        raise StatsInputError(
            "column 'n_eff' has missing values; fill them explicitly with fill_missing_n()", parameter="n_eff"
        )
    df["p"] = check_proportions(df["p"].to_numpy(), "p")
    df["n_eff"] = check_positive(df["n_eff"].to_numpy(), "n_eff")
    for col in ("start_date", "end_date"):
        df[col] = _dates(df, col)
        if df[col].isna().any():
            raise StatsInputError(f"column {col!r} has missing dates", parameter=col)
    if (df["end_date"] < df["start_date"]).any():
        raise StatsInputError("end_date is before start_date for some polls", parameter="end_date")
    if "publication_date" in df.columns:
        df["publication_date"] = _dates(df, "publication_date").fillna(df["end_date"])
    else:
        df["publication_date"] = df["end_date"]
    df["mid_date"] = df["start_date"] + ((df["end_date"] - df["start_date"]) / 2).dt.floor("D")
    return df


def _exclude(df: pd.DataFrame, mask, reason: str, excluded: list) -> pd.DataFrame:
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        excluded.append(df.loc[mask, ["poll_id", "pollster"]].assign(reason=reason))
    return df.loc[~mask]


def _choose_population(df: pd.DataFrame, preference: Sequence[str], excluded: list) -> pd.DataFrame:
    if "population" not in df.columns or not df["poll_id"].duplicated().any():
        return df
    rank_map = {pop: i for i, pop in enumerate(preference)}
    rank = df["population"].map(lambda v: rank_map.get(str(v).lower(), len(rank_map)))
    order = df.assign(_rank=rank.to_numpy()).sort_values(["poll_id", "_rank"], kind="stable")
    kept_pop = order.drop_duplicates("poll_id").set_index("poll_id")["population"]
    dup = order["poll_id"].duplicated().to_numpy()
    if dup.any():
        dropped = order.loc[dup, ["poll_id", "pollster", "population"]]
        kept = dropped["poll_id"].map(kept_pop)
        reasons = [f"population {a!r} not preferred (kept {b!r})" for a, b in zip(dropped["population"], kept)]
        excluded.append(dropped[["poll_id", "pollster"]].assign(reason=reasons))
    return order.loc[~dup].drop(columns="_rank")


def _drop_overlapping_tracking(df: pd.DataFrame, excluded: list) -> pd.DataFrame:
    if "tracking" not in df.columns:
        return df
    tracking = df["tracking"].fillna(False).astype(bool).to_numpy()
    if not tracking.any():
        return df
    drop = np.zeros(len(df), dtype=bool)
    sub = df.loc[tracking].sort_values("end_date", ascending=False, kind="stable")
    positions = {label: i for i, label in enumerate(df.index)}
    for _, group in sub.groupby("pollster", sort=False):
        earliest_kept_start = None
        for label, start, end in zip(group.index, group["start_date"], group["end_date"]):
            if earliest_kept_start is None or end < earliest_kept_start:
                earliest_kept_start = start
            else:
                drop[positions[label]] = True
    return _exclude(df, drop, "overlaps a later release of the same tracking poll", excluded)


def prepare_polls(
    polls: pd.DataFrame,
    options: TrendOptions | None = None,
    *,
    extra_dates: Sequence[pd.Timestamp] = (),
) -> PreparedPolls:
    """Validate ``polls``, apply the options' filters and build the daily grid.

    ``extra_dates`` (e.g. election anchors) are included in the grid.
    Raises StatsInputError for malformed input and InsufficientDataError when fewer than
    ``options.min_polls`` polls survive the filters.
    """
    options = options or TrendOptions()
    df = _validate_frame(polls)
    excluded: list[pd.DataFrame] = []

    if options.as_of is not None:
        df = _exclude(df, df["publication_date"] > options.as_of, "published after as_of", excluded)
    if options.exclude_pollsters:
        df = _exclude(df, df["pollster"].isin(options.exclude_pollsters), "pollster excluded", excluded)
    grid_end_limit = options.end if options.end is not None else options.as_of
    outside = np.zeros(len(df), dtype=bool)
    if options.start is not None:
        outside |= (df["mid_date"] < options.start).to_numpy()
    if grid_end_limit is not None:
        outside |= (df["mid_date"] > grid_end_limit).to_numpy()
    df = _exclude(df, outside, "field midpoint outside the date range", excluded)
    df = _choose_population(df, options.population_preference, excluded)
    if df["poll_id"].duplicated().any():
        raise StatsInputError(
            "poll_id must be unique (one row per poll, or per poll and population)", parameter="poll_id"
        )
    if options.drop_overlapping_tracking:
        df = _drop_overlapping_tracking(df, excluded)

    if len(df) < options.min_polls:
        raise InsufficientDataError(
            f"{len(df)} usable poll(s), at least {options.min_polls} needed for a trend",
            count=len(df),
            minimum=options.min_polls,
            parameter="min_polls",
        )
    df = df.sort_values(["mid_date", "poll_id"], kind="stable")
    extra = [_to_timestamp(d, "anchors") for d in extra_dates]
    candidates_start = [df["mid_date"].min(), *extra]
    candidates_end = [df["mid_date"].max(), *extra]
    grid_start = options.start if options.start is not None else min(candidates_start)
    grid_end = grid_end_limit if grid_end_limit is not None else max(candidates_end)
    grid_start = min([grid_start, *extra]) if extra else grid_start
    grid_end = max([grid_end, *extra]) if extra else grid_end
    df["day"] = (df["mid_date"] - grid_start).dt.days.astype(int)
    excl = (
        pd.concat(excluded, ignore_index=True)
        if excluded
        else pd.DataFrame({"poll_id": pd.Series(dtype=object), "pollster": pd.Series(dtype=object),
                           "reason": pd.Series(dtype=object)})
    )
    return PreparedPolls(
        polls=df, excluded=excl, grid_start=grid_start, grid_end=grid_end, options=options
    )


def fill_missing_n(
    polls: pd.DataFrame,
    default: float | None = None,
    *,
    strategy: str = "constant",
    column: str = "n_eff",
) -> pd.DataFrame:
    """Fill unknown effective sample sizes explicitly, recording how each was filled.

    strategy ``"constant"``: use ``default``. ``"pollster_median"``: the median of the same
    pollster's known values, falling back to ``default`` (which must then be given if any
    pollster has no known value). Returns a copy with two added columns:
    ``{column}_imputed`` (bool) and ``{column}_source`` ("reported", "default", "pollster median").
    Imputed sizes understate or overstate precision; the trend methods treat them as known.
    """
    if strategy not in ("constant", "pollster_median"):
        raise StatsInputError("strategy must be 'constant' or 'pollster_median'", parameter="strategy")
    if column not in polls.columns:
        raise StatsInputError(f"polls has no column {column!r}", parameter=column)
    if default is not None:
        default = float(check_positive(default, "default"))
    out = polls.copy()
    values = pd.to_numeric(out[column], errors="coerce").astype(float)
    missing = values.isna()
    source = pd.Series(np.where(missing, "", "reported"), index=out.index, dtype=object)
    if strategy == "pollster_median" and missing.any():
        if "pollster" not in out.columns:
            raise StatsInputError("pollster_median needs a 'pollster' column", parameter="pollster")
        med = values.groupby(out["pollster"]).transform("median")
        use = missing & med.notna()
        values = values.where(~use, med)
        source[use] = "pollster median"
        missing = values.isna()
    if missing.any():
        if default is None:
            raise StatsInputError(f"{int(missing.sum())} missing {column} value(s) and no default given",
                                  parameter="default")
        values = values.where(~missing, default)
        source[missing] = "default"
    out[column] = values
    out[f"{column}_imputed"] = (source != "reported").to_numpy()
    out[f"{column}_source"] = source.to_numpy()
    return out


def decided_share(
    polls: pd.DataFrame, first: str = "p1", second: str = "p2", *, n_column: str = "n_eff"
) -> pd.DataFrame:
    """Decided-only share of answer ``first`` against ``second``: ``p1 / (p1 + p2)``.

    The effective sample size is scaled by ``p1 + p2`` (only the decided respondents
    count). Returns a copy with ``p`` and ``n_eff`` replaced and ``decided`` (= p1 + p2)
    added. Never mix decided-only and all-respondent shares in one series.
    """
    for col in (first, second, n_column):
        if col not in polls.columns:
            raise StatsInputError(f"polls has no column {col!r}", parameter=col)
    p1 = check_proportions(polls[first].to_numpy(), first)
    p2 = check_proportions(polls[second].to_numpy(), second)
    n = check_positive(polls[n_column].to_numpy(), n_column)
    decided = p1 + p2
    if (decided <= 0).any():
        raise StatsInputError("p1 + p2 must be positive for every poll", parameter=second)
    if (decided > 1 + 1e-9).any():
        raise StatsInputError("p1 + p2 exceeds 1 for some polls", parameter=second)
    out = polls.copy()
    out["p"] = p1 / decided
    out["n_eff"] = n * decided
    out["decided"] = decided
    return out


def normalise_anchors(anchors: Mapping | None) -> dict[pd.Timestamp, float]:
    """``{date: proportion}`` with validated values (election results used as anchors)."""
    if not anchors:
        return {}
    out = {}
    for key, value in anchors.items():
        out[_to_timestamp(key, "anchors")] = float(check_proportions(value, "anchors"))
    return out
