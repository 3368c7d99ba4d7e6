"""The common output of every trend method.

Why a single shape: the API serves any method through one schema and one CSV
export, and a reader must always be told which polls were used, which were left
out and why, what the band means, and every parameter (chosen or fitted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .prepare import PreparedPolls

__all__ = ["TrendResult", "GRID_COLUMNS", "KALMAN_GRID_COLUMNS", "INCLUDED_COLUMNS"]

GRID_COLUMNS = ("date", "estimate", "se", "lower", "upper")
KALMAN_GRID_COLUMNS = GRID_COLUMNS + ("filtered_estimate", "filtered_se", "filtered_lower", "filtered_upper")
INCLUDED_COLUMNS = ("poll_id", "pollster", "mid_date", "p", "n_eff")


@dataclass
class TrendResult:
    """A trend line on a daily grid.

    grid: one row per day with ``date, estimate, se, lower, upper`` (proportions; band
    columns are NaN where a method has no band), plus for kalman the real-time
    ``filtered_estimate, filtered_se, filtered_lower, filtered_upper`` (NaN until the
    level is identified). method: "kalman", "lowess", "weighted" or "rolling".
    band: plain-words meaning of the band. options: the normalised common options.
    settings: the method's own chosen settings. params: fitted quantities.
    included: the polls used (``poll_id, pollster, mid_date, p, n_eff`` and, for kalman
    with house effects, ``house_effect`` and ``adjusted_p``). excluded: ``poll_id,
    pollster, reason``. house_effects: per-pollster table or None.
    """

    method: str
    grid: pd.DataFrame
    band: str
    options: dict
    settings: dict
    params: dict
    included: pd.DataFrame
    excluded: pd.DataFrame
    house_effects: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)


def included_frame(prepared: PreparedPolls) -> pd.DataFrame:
    return prepared.polls.loc[:, list(INCLUDED_COLUMNS)].reset_index(drop=True)


def band_frame(dates: pd.DatetimeIndex, estimate, se, z: float) -> pd.DataFrame:
    """Grid with a symmetric normal band (clipped to [0, 1]); NaN se gives a NaN band."""
    estimate = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    return pd.DataFrame(
        {
            "date": dates,
            "estimate": estimate,
            "se": se,
            "lower": np.clip(estimate - z * se, 0.0, 1.0),
            "upper": np.clip(estimate + z * se, 0.0, 1.0),
        }
    )
