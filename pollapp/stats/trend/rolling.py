"""Latest-polls average (RealClearPolitics style), for comparison.

Why: the simplest aggregate readers meet. For each day: among polls with field
midpoint in the last ``window_days`` days (up to and including the day), take each
pollster's most recent poll, keep the ``k`` most recent of those, and average them
unweighted. No band: the method has no model of uncertainty, and the result says so.
Days with no poll in the window are NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import StatsInputError
from .prepare import TrendOptions, prepare_polls
from .result import TrendResult, band_frame, included_frame

__all__ = ["rolling_trend"]

BAND = "no band: a simple average of the latest polls has no model of uncertainty"


def rolling_trend(
    polls: pd.DataFrame,
    options: TrendOptions | None = None,
    *,
    k: int = 5,
    window_days: int = 30,
) -> TrendResult:
    """Average of the latest ``k`` polls, one per pollster, within ``window_days``."""
    options = options or TrendOptions()
    for name, value in (("k", k), ("window_days", window_days)):
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise StatsInputError(f"{name} must be a positive integer", parameter=name)
    prepared = prepare_polls(polls, options)
    df = prepared.polls
    day = df["day"].to_numpy()
    p = df["p"].to_numpy(dtype=float)
    code = pd.factorize(df["pollster"])[0]
    est = np.full(prepared.n_days, np.nan)
    days = np.arange(prepared.n_days)
    lo_idx = np.searchsorted(day, days - int(window_days) + 1, side="left")
    hi_idx = np.searchsorted(day, days, side="right")
    for d in days:
        lo, hi = lo_idx[d], hi_idx[d]
        seen: set[int] = set()
        values = []
        for i in range(hi - 1, lo - 1, -1):  # newest first (input sorted by midpoint)
            if code[i] in seen:
                continue
            seen.add(code[i])
            values.append(p[i])
            if len(values) == k:
                break
        if values:
            est[d] = float(np.mean(values))
    grid = band_frame(prepared.dates, est, np.full(prepared.n_days, np.nan), 1.96)
    return TrendResult(
        method="rolling",
        grid=grid,
        band=BAND,
        options=options.to_dict(),
        settings={"k": int(k), "window_days": int(window_days)},
        params={"n_polls": int(len(df))},
        included=included_frame(prepared),
        excluded=prepared.excluded,
    )
