"""Weighted poll average (538 / Silver Bulletin style), for comparison.

Why: a transparent average a reader can recompute. Each day's value averages the polls
with field midpoint on or before that day (no look-ahead) with weight

    min(n_eff, n_cap) * 0.5 ** (age_days / half_life) * pollster_weight

The cap stops one huge opt-in poll from swamping the average; the half-life makes
old polls fade. Polls older than ``window_days`` are ignored.

The band is the weighted standard deviation of the polls around the average divided
by the square root of the Kish effective number of polls. It ignores trend and house
effects and under-covers the truth (statistics notes: 14-79% on simulated polls); the
result says so. Days with fewer than 2 polls in the window have no band.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._validate import z_value
from ..errors import StatsInputError
from .prepare import TrendOptions, prepare_polls
from .result import TrendResult, band_frame, included_frame

__all__ = ["weighted_trend"]

BAND = ("{pct}% band: weighted spread of recent polls / sqrt(effective number of polls); "
        "ignores trend and house effects and under-covers")


def weighted_trend(
    polls: pd.DataFrame,
    options: TrendOptions | None = None,
    *,
    half_life_days: float = 14.0,
    n_cap: float = 2000.0,
    window_days: int = 90,
    pollster_weights: Mapping[str, float] | None = None,
) -> TrendResult:
    """Recency- and size-weighted average of polls on the daily grid (see module docstring).

    pollster_weights: optional ``{pollster: weight >= 0}``; unlisted pollsters weigh 1.
    """
    options = options or TrendOptions()
    if not float(half_life_days) > 0:
        raise StatsInputError("half_life_days must be positive", parameter="half_life_days")
    if not float(n_cap) > 0:
        raise StatsInputError("n_cap must be positive", parameter="n_cap")
    if isinstance(window_days, bool) or int(window_days) != window_days or window_days < 1:
        raise StatsInputError("window_days must be a positive integer", parameter="window_days")
    pw = dict(pollster_weights or {})
    if any(not np.isfinite(float(v)) or float(v) < 0 for v in pw.values()):
        raise StatsInputError("pollster_weights must be non-negative numbers", parameter="pollster_weights")
    prepared = prepare_polls(polls, options)
    df = prepared.polls
    day = df["day"].to_numpy()
    p = df["p"].to_numpy(dtype=float)
    base = np.minimum(df["n_eff"].to_numpy(dtype=float), float(n_cap))
    base = base * df["pollster"].map(lambda s: float(pw.get(s, 1.0))).to_numpy(dtype=float)
    est = np.full(prepared.n_days, np.nan)
    se = np.full(prepared.n_days, np.nan)
    lo_idx = np.searchsorted(day, np.arange(prepared.n_days) - int(window_days) + 1, side="left")
    hi_idx = np.searchsorted(day, np.arange(prepared.n_days), side="right")
    for d in range(prepared.n_days):
        lo, hi = lo_idx[d], hi_idx[d]
        if hi <= lo:
            continue
        w = base[lo:hi] * 0.5 ** ((d - day[lo:hi]) / float(half_life_days))
        sw = w.sum()
        if sw <= 0:
            continue
        m = float(np.dot(w, p[lo:hi]) / sw)
        est[d] = m
        if hi - lo >= 2:
            k_eff = sw**2 / np.dot(w, w)
            var = np.dot(w, (p[lo:hi] - m) ** 2) / sw
            se[d] = np.sqrt(var / k_eff)
    grid = band_frame(prepared.dates, est, se, z_value(options.level))
    return TrendResult(
        method="weighted",
        grid=grid,
        band=BAND.format(pct=f"{options.level * 100:g}"),
        options=options.to_dict(),
        settings={"half_life_days": float(half_life_days), "n_cap": float(n_cap), "window_days": int(window_days),
                  "pollster_weights": {k: float(v) for k, v in sorted(pw.items())}},
        params={"n_polls": int(len(df))},
        included=included_frame(prepared),
        excluded=prepared.excluded,
    )
