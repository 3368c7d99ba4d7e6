"""What the statistics use cases share: option lists, how a poll's effective sample size is found,
how ``pollapp.stats`` errors become domain errors, and the fast DataFrame -> records path.

The boundary rule lives here: the store and the API speak percent (``pct``, 0-100), ``pollapp.stats``
speaks proportions (0-1); values are divided by 100 on the way in and multiplied by 100 on the way out,
nowhere else. Nothing here imports pandas or statsmodels at module level (``import statsmodels.api``
costs seconds): they are imported inside the functions that need them.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pollapp.exceptions import DomainError, FieldError, InsufficientData, InvalidInput, StatisticsUnavailable

log = logging.getLogger(__name__)

# Option lists, spelled here so that schemas can use them without importing numpy/pandas;
# tests/services/test_stats_cache.py checks them against pollapp.stats.
INTERVAL_METHODS = ("wilson", "beta", "jeffreys", "agresti_coull", "normal")
SIMULTANEOUS_METHODS = ("goodman", "sison-glaz")
TREND_METHODS = ("kalman", "lowess", "weighted", "rolling")
TREND_HOUSE_EFFECTS = ("sum_to_zero", "weighted_sum_to_zero", "reference", "none")
TREND_HOUSE_METHODS = ("auto", "joint", "two_stage")
HOUSE_EFFECT_METHODS = ("auto", "kalman", "fixed_effects")
HOUSE_EFFECT_CONSTRAINTS = ("sum_to_zero", "weighted_sum_to_zero", "reference")
CHANGE_CI_METHODS = ("newcomb", "score", "wald", "agresti-caffo")
CHANGE_TEST_METHODS = ("agresti-caffo", "score", "wald")
#: Population preference when one poll reports a measure for several populations.
DEFAULT_POPULATION_PREFERENCE = ("adults", "registered_voters", "likely_voters", "other")
#: Effective sample size assumed for a poll that reports neither n nor a margin of error, when its
#: pollster has no poll with a known one either (typical national polls interview 1,000-2,000).
DEFAULT_N = 1000

# Where n came from (``n_source``).
N_QUESTION_BASE = "question base"
N_POLL = "poll sample size"
N_FROM_MOE = "implied by the reported margin of error"
N_POLLSTER_MEDIAN = "pollster median"
N_DEFAULT = "default"
# Where the design effect came from (``design_effect_source``).
DEFF_REPORTED = "reported"
DEFF_FROM_MOE = "backed out of the reported margin of error"
DEFF_ASSUMED = "none reported: 1 assumed"
DEFF_IN_MOE = "included in the reported margin of error"
DEFF_IN_FILL = "included in the filled-in effective sample size"


@dataclass(frozen=True)
class SampleInfo:
    """A poll's (or question base's) sample size, design effect and effective sample size.

    ``n_eff`` is None when it cannot be known (no n and no margin of error)."""

    n: int | None
    n_source: str | None
    design_effect: float | None
    design_effect_source: str | None
    n_eff: float | None


def resolve_sample(
    *,
    sample_size: int | None,
    base_n: int | None,
    design_effect: float | None,
    margin_of_error: float | None,
    confidence_level: float | None,
) -> SampleInfo:
    """n_eff = n / design effect for one poll (or question base), with every choice recorded: the
    rules of :func:`resolve_samples`, applied to one row."""
    columns = resolve_samples(sample_size=[sample_size], base_n=[base_n], design_effect=[design_effect],
                              margin_of_error=[margin_of_error], confidence_level=[confidence_level])
    n, deff, n_eff = columns.n[0], columns.design_effect[0], columns.n_eff[0]
    return SampleInfo(
        None if n != n else int(n), columns.n_source[0],
        None if deff != deff else float(deff), columns.design_effect_source[0],
        None if n_eff != n_eff else float(n_eff),
    )


@dataclass(frozen=True)
class SampleColumns:
    """:class:`SampleInfo` as columns (numpy arrays, one row per input row): ``n``, ``design_effect``
    and ``n_eff`` floats with NaN for unknown, the two sources object arrays with None for none."""

    n: Any
    n_source: Any
    design_effect: Any
    design_effect_source: Any
    n_eff: Any


def resolve_samples(
    *, sample_size: Any, base_n: Any, design_effect: Any, margin_of_error: Any, confidence_level: Any
) -> SampleColumns:
    """n_eff = n / design effect for each row of five columns (sequences or arrays; None or NaN for
    unknown), with every choice recorded. The only place these rules are written: one poll's
    :func:`resolve_sample` and a trend's thousands of rows both come here, so they cannot drift apart.

    n: the question base's n, else the poll's sample size (a value of 0 counts as unknown; truncated
    to a whole number). Design effect: the poll's; else backed out of its reported margin of error
    (which describes the whole sample, so the poll's sample size is used;
    :func:`pollapp.stats.intervals.design_effects_from_moe`, floored at 1); else 1. With no n at all
    but a reported margin of error, the margin itself implies the effective sample size
    (``z^2 * 0.25 / moe^2``). Otherwise ``n_eff`` is NaN and the caller decides (single poll: no
    interval; trend: fill in and say so). A margin counts when strictly between 0 and 100 (points);
    its confidence level when strictly between 0 and 100, else 95%.
    """
    import numpy as np

    from pollapp.stats.intervals import design_effects_from_moe

    def column(values: Any) -> Any:
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            return values
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    size, base, deff, moe, level = (column(v) for v in (sample_size, base_n, design_effect, margin_of_error,
                                                         confidence_level))
    rows = len(size)

    def given(values: Any) -> Any:  # neither unknown nor 0
        return ~np.isnan(values) & (values != 0)

    has_base, has_size, has_deff = given(base), given(size), given(deff)
    has_n = has_base | has_size
    with np.errstate(invalid="ignore"):
        has_moe = given(moe) & (moe > 0) & (moe < 100)
        level = np.where(given(level) & (level > 0) & (level < 100), level / 100.0, 0.95)
    n = np.trunc(np.where(has_base, base, np.where(has_size, size, np.nan)))  # int(): towards zero
    n_source = np.full(rows, None, dtype=object)
    n_source[has_size] = N_POLL
    n_source[has_base] = N_QUESTION_BASE
    deff_used = np.where(has_n & ~has_deff, 1.0, deff)  # no n: the design effect as given
    deff_source = np.full(rows, None, dtype=object)
    deff_source[has_deff] = DEFF_REPORTED
    deff_source[has_n & ~has_deff] = DEFF_ASSUMED
    # A sample size but no design effect: backed out of the margin (of the whole sample: the poll's n).
    backed = has_n & ~has_deff & has_size & has_moe
    if backed.any():
        deff_used[backed] = design_effects_from_moe(moe[backed] / 100.0, size[backed], level=level[backed])
        deff_source[backed] = DEFF_FROM_MOE
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(has_n, n / deff_used, np.nan)
    # No n: the margin alone fixes the effective sample size (the design effect for n = 1 is 1 / n_eff).
    implied = ~has_n & has_moe
    if implied.any():
        per_one = design_effects_from_moe(moe[implied] / 100.0, 1.0, level=level[implied], minimum=None)
        n_eff[implied] = 1.0 / per_one
        n_source[implied] = N_FROM_MOE
        deff_used[implied] = np.nan
        deff_source[implied] = DEFF_IN_MOE
    return SampleColumns(n, n_source, deff_used, deff_source, n_eff)


# ---------------------------------------------------------------- errors

#: pollapp.stats parameter names that the API spells differently.
_RENAMED = {"start": "start_date", "end": "end_date", "exclude_pollsters": "exclude_pollster"}


def stats_error(
    exc: Exception, parameters: Iterable[str] = (), renamed: Mapping[str, str] | None = None
) -> DomainError:
    """Map a :mod:`pollapp.stats` error onto a domain error (422), naming the API parameter at fault.

    ``parameters`` are the query parameters of the request (``renamed`` maps further stats names onto
    them); a stats error about something else (a data column) keeps its message but points at no
    parameter."""
    from pollapp.stats import InsufficientDataError

    message = getattr(exc, "message", str(exc))
    name = getattr(exc, "parameter", None)
    names = {**_RENAMED, **(renamed or {})}
    name = names.get(name, name) if name else None
    errors = [FieldError(None, message, name)] if name and name in set(parameters) else []
    if isinstance(exc, InsufficientDataError):
        return InsufficientData(message, errors)
    return InvalidInput(message, errors)


def model_failures() -> tuple[type[BaseException], ...]:
    """What numpy/scipy/statsmodels raise when a model cannot be fitted to data that passed validation:
    a singular matrix, floating-point trouble, a ``ConvergenceWarning`` escalated to an error (as the
    test suite and ``python -W error`` do), or a numerical ``ValueError`` (e.g. non-finite values inside
    an optimiser). Imported lazily, like the rest of the numerical stack."""
    import numpy as np
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    return (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError, OverflowError, ConvergenceWarning, ValueError)


def model_failure(exc: BaseException, what: str) -> StatisticsUnavailable:
    """The 422 for a model that did not fit: says which statistic, why (the library's own message) and
    that the raw values are still available; logged, since a recurring failure is worth a look."""
    reason = str(exc).strip() or type(exc).__name__
    log.warning("%s could not be computed: %s: %s", what, type(exc).__name__, reason)
    return StatisticsUnavailable(
        f"The {what} could not be computed from these polls ({type(exc).__name__}: {reason}). "
        "The raw values remain available from the series' points."
    )


def enum_value(value: Any) -> Any:
    """Enum members (populations, sample types) as their values; anything else unchanged."""
    return value.value if isinstance(value, enum.Enum) else value


def invalid(parameter: str, message: str) -> InvalidInput:
    return InvalidInput(message, [FieldError(None, message, parameter)])


# ---------------------------------------------------------------- fast records

DATE, PCT, FLOAT, INT, OTHER = "date", "pct", "float", "int", "other"
#: Bulk outputs are rounded to this many decimals (of a percentage point for pct columns).
DIGITS = 4


def frame_records(frame: Any, columns: Mapping[str, tuple[str, str]], *, digits: int = DIGITS) -> list[dict[str, Any]]:
    """Rows of ``frame`` as JSON-ready dicts: :func:`column_rows` of :func:`frame_columns`."""
    return column_rows(frame_columns(frame, columns, digits=digits))


def frame_columns(frame: Any, columns: Mapping[str, tuple[str, str]], *, digits: int = DIGITS) -> dict[str, list[Any]]:
    """The columns of ``frame`` as JSON-ready lists, converted column by column (no per-row marshmallow):
    a large result is kept (and cached) this way, and dicts are built only for the rows a response
    lists (:func:`column_rows`).

    ``columns`` maps each output name to ``(frame column, kind)``: ``date`` (ISO ``YYYY-MM-DD``),
    ``pct`` (proportion x 100, rounded), ``float`` (rounded), ``int``, ``other`` (as is). Missing
    values (NaN, NaT, None) become None. Columns absent from the frame are skipped.
    """
    import numpy as np
    import pandas as pd

    out: dict[str, list[Any]] = {}
    days: dict[str, Any] = {}  # the date columns' days, formatted together below
    for name, (column, kind) in columns.items():
        if column not in frame.columns:
            continue
        series = frame[column]  # a pandas Series, or a numpy array (:func:`_poll_columns` joins arrays)
        dtype = series.dtype
        numpy_kind = dtype.kind if isinstance(dtype, np.dtype) else ""  # "" for pandas' own dtypes
        if kind == DATE:
            # Naive datetime64 columns are cast as they are (what to_datetime would return); others parsed.
            stamps = series if numpy_kind == "M" else pd.to_datetime(series)
            days[name] = (np.asarray(stamps).astype("datetime64[D]") if numpy_kind == "M"
                          else stamps.to_numpy(dtype="datetime64[D]"))
            col = []  # placeholder: keeps the column order
        elif kind in (PCT, FLOAT):
            numeric = numpy_kind in ("f", "i", "u", "b")  # else coerced, as to_numeric does (NA, text)
            arr = np.asarray(series if numeric else pd.to_numeric(series, errors="coerce"), dtype=float)
            arr = np.round(arr * 100.0 if kind == PCT else arr, digits)
            missing = np.isnan(arr)  # Python floats, NaN as None (no object array when nothing is missing)
            col = np.where(missing, None, arr).tolist() if missing.any() else arr.tolist()
        elif kind == INT:
            col = _int_list(series)
        elif isinstance(series.dtype, pd.StringDtype) and not series.hasnans:
            col = series.tolist()  # strings, none missing: as they are
        else:
            # Strings (pollsters, sources) pass as they are; anything else through _plain.
            col = [v if type(v) is str else None if (isinstance(v, float) and v != v) else _plain(v)
                   for v in series.tolist()]
        out[name] = col
    if days:  # the date columns of a poll share most days: each distinct day of any is formatted once
        text = iso_days(np.concatenate(list(days.values())))
        start = 0
        for name, values in days.items():
            out[name] = text[start:start + len(values)]
            start += len(values)
    return out


def iso_days(days: Any) -> list[str | None]:
    """``YYYY-MM-DD`` of each day of a ``datetime64[D]`` array (None for NaT). Each distinct day is
    formatted once (polls and grids repeat days; ``datetime_as_string`` and the strings it makes cost
    more than finding the distinct days), and the rows share the strings."""
    import numpy as np

    if len(days) < 64:
        text = np.datetime_as_string(days, unit="D").tolist()
        return [None if t == "NaT" else t for t in text] if np.isnat(days).any() else text
    distinct, inverse = np.unique(days, return_inverse=True)
    table = np.datetime_as_string(distinct, unit="D").astype(object)
    table[np.isnat(distinct)] = None
    return table[inverse.reshape(-1)].tolist()


def _int_list(series: Any) -> list[int | None]:
    """Integers as Python ints, missing values (NaN, NA, None) as None."""
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return np.asarray(series).tolist()  # plain integers: nothing missing
    if isinstance(dtype, pd.Int64Dtype) and not series.hasnans:
        return series.to_numpy(dtype=np.int64).tolist()
    return [None if v is None or v != v else int(v) for v in series.tolist()]


def column_rows(columns: Mapping[str, Sequence[Any]], rows: slice | Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Dicts of the rows of ``columns`` (:func:`frame_columns`), in column order: every row, the rows
    of a slice, or those at the given positions."""
    names = list(columns)
    values: Iterable[Sequence[Any]] = columns.values()
    if isinstance(rows, slice):
        values = [col[rows] for col in values]
    elif rows is not None:
        values = [[col[i] for i in rows] for col in values]
    return [dict(zip(names, row)) for row in zip(*values)]


def column_length(columns: Mapping[str, Sequence[Any]]) -> int:
    """The number of rows of :func:`frame_columns`' columns (0 with no column)."""
    return len(next(iter(columns.values()), ()))


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return enum_value(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):
        return value.item()  # numpy scalars
    return value
