"""LOWESS trend (Pollster.com 2007-10, TPM, Wikipedia charts), for comparison.

Why offered although it is not the default: it is what many readers know, and it
makes no distributional assumption about the trend. Its limits, stated in the result:
statsmodels ``lowess`` takes no weights (a 300-person poll counts as much as a
3,000-person one), ignores house effects, and gives no standard error.

It runs on integer days (continuous x such as timestamps is O(n^2) in statsmodels;
see the performance notes). ``frac`` is the span: the share of polls in each local fit.

Optional band (``bootstrap=B``): a parametric bootstrap that redraws each poll from
its own sampling distribution ``N(p, p(1-p)/n_eff)`` and refits; the band shows
*sampling variability only* (no non-sampling error, no house effects, no uncertainty
about the span), so it under-covers the truth and is labelled that way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validate import z_value
from ..errors import StatsInputError
from .prepare import TrendOptions, prepare_polls
from .result import TrendResult, band_frame, included_frame

__all__ = ["lowess_trend"]

NO_BAND = "no band: LOWESS has no standard error"
BOOT_BAND = "{pct}% band from {b} bootstrap redraws of each poll: sampling variability only, not total error"


def _smooth(y: np.ndarray, x: np.ndarray, grid: np.ndarray, frac: float, it: int) -> np.ndarray:
    from statsmodels.nonparametric.smoothers_lowess import lowess

    return np.asarray(lowess(y, x, frac=frac, it=it, xvals=grid), dtype=float)


def lowess_trend(
    polls: pd.DataFrame,
    options: TrendOptions | None = None,
    *,
    frac: float = 0.3,
    it: int = 0,
    bootstrap: int = 0,
    seed: int = 0,
) -> TrendResult:
    """LOWESS of poll shares on field-midpoint days, evaluated on the daily grid.

    frac: span in (0, 1]. it: robustifying iterations (0 = none; 3 downweights outliers).
    bootstrap: number of parametric bootstrap refits for a band (0 = no band). seed: RNG
    seed of the bootstrap, so the same request gives the same band. Grid days outside the
    range of the polls are NaN (no extrapolation).
    """
    options = options or TrendOptions()
    if not 0 < float(frac) <= 1:
        raise StatsInputError("frac must be in (0, 1]", parameter="frac")
    if isinstance(it, bool) or int(it) != it or it < 0:
        raise StatsInputError("it must be a non-negative integer", parameter="it")
    if isinstance(bootstrap, bool) or int(bootstrap) != bootstrap or not (bootstrap == 0 or 20 <= bootstrap <= 2000):
        raise StatsInputError("bootstrap must be 0 or between 20 and 2000", parameter="bootstrap")
    prepared = prepare_polls(polls, options)
    df = prepared.polls
    x = df["day"].to_numpy(dtype=float)
    y = df["p"].to_numpy(dtype=float)
    grid_x = np.arange(prepared.n_days, dtype=float)
    inside = (grid_x >= x.min()) & (grid_x <= x.max())
    est = np.full(prepared.n_days, np.nan)
    est[inside] = _smooth(y, x, grid_x[inside], frac, it)
    se = np.full(prepared.n_days, np.nan)
    band = NO_BAND
    if bootstrap:
        rng = np.random.default_rng(seed)
        sd = np.sqrt(y * (1 - y) / df["n_eff"].to_numpy(dtype=float))
        draws = np.empty((int(bootstrap), int(inside.sum())))
        for b in range(int(bootstrap)):
            draws[b] = _smooth(np.clip(y + rng.normal(0.0, 1.0, len(y)) * sd, 0, 1), x, grid_x[inside], frac, it)
        se[inside] = draws.std(axis=0, ddof=1)
        band = BOOT_BAND.format(pct=f"{options.level * 100:g}", b=int(bootstrap))
    grid = band_frame(prepared.dates, est, se, z_value(options.level))
    return TrendResult(
        method="lowess",
        grid=grid,
        band=band,
        options=options.to_dict(),
        settings={"frac": float(frac), "it": int(it), "bootstrap": int(bootstrap), "seed": int(seed)},
        params={"n_polls": int(len(df))},
        included=included_frame(prepared),
        excluded=prepared.excluded,
    )
