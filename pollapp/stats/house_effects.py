"""Pollster house effects with confidence intervals, and house-adjusted poll values.

Why: pollsters differ systematically (method, weighting, question wording). A
pollster's house effect is its average deviation from the common level, which needs
an anchor: the average pollster (sum to zero), the average poll (weighted sum to zero),
a reference pollster, or an election result (``anchored``, Kalman method only).

Two estimators:

``kalman`` (joint, exact): house effects as constant states of the local-level model
(:func:`pollapp.stats.trend.kalman_trend`); the effects and their uncertainty account
for the trend. Memory grows with polls x pollsters: use for up to a few thousand polls.

``fixed_effects`` (fast, two-stage first step): weighted least squares of each poll on
time-bin fixed effects (bins of ``bin_days``) and pollster contrasts, with weights
``1 / (p(1-p)/n_eff)`` and the scale estimated from the residuals. The time fixed
effects are absorbed by weighted within-bin demeaning (Frisch-Waugh), so the cost is
O(polls x pollsters) time and memory (about 20k polls x 20 pollsters in tens of
milliseconds); no dense polls x polls matrix is ever formed. Only pollsters that share
a bin with another pollster are informative; if a pollster never does, the estimate is
refused with a StatsInputError (widen ``bin_days`` or use ``kalman``).

``method="auto"`` uses kalman up to 40,000 polls x pollsters, fixed_effects beyond.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import check_level, check_option, z_value
from .errors import InsufficientDataError, StatsInputError

__all__ = ["HouseEffectsResult", "house_effects", "fixed_effects", "METHODS", "CONSTRAINTS"]

METHODS = ("auto", "kalman", "fixed_effects")
CONSTRAINTS = ("sum_to_zero", "weighted_sum_to_zero", "reference", "anchored")


@dataclass
class HouseEffectsResult:
    """table: index ``pollster``; columns ``estimate, se, lower, upper, n_polls`` (proportions).
    adjusted: one row per included poll, ``poll_id, pollster, mid_date, p, n_eff,
    house_effect, house_effect_se, adjusted_p`` (``adjusted_p = p - house_effect``).
    excluded: polls left out with the reason. params: fitted quantities."""

    method: str
    constraint: str
    table: pd.DataFrame
    adjusted: pd.DataFrame | None
    excluded: pd.DataFrame | None
    params: dict
    level: float


def _contrast(pollsters: list[str], counts: np.ndarray, constraint: str, reference: str | None) -> np.ndarray:
    from .trend.kalman import house_mapping

    return house_mapping(pollsters, counts, constraint, reference)


def fixed_effects(
    polls: pd.DataFrame,
    *,
    constraint: str = "sum_to_zero",
    reference_pollster: str | None = None,
    bin_days: int = 7,
    level: float = 0.95,
    prepared: bool = False,
    options=None,
) -> HouseEffectsResult:
    """House effects by WLS with time-bin fixed effects (see module docstring).

    ``polls`` follows the trend input contract (:mod:`pollapp.stats.trend.prepare`); with
    ``prepared=True`` it must already be the output of ``prepare_polls(...).polls``.
    """
    from .trend.kalman import sampling_variance
    from .trend.prepare import TrendOptions, prepare_polls

    constraint = check_option(constraint, CONSTRAINTS[:3], "constraint")
    level = check_level(level)
    if isinstance(bin_days, bool) or int(bin_days) != bin_days or bin_days < 1:
        raise StatsInputError("bin_days must be a positive integer", parameter="bin_days")
    excluded = None
    if prepared:
        df = polls
    else:
        prep = prepare_polls(polls, options or TrendOptions(level=level))
        df, excluded = prep.polls, prep.excluded
    pollsters = sorted(df["pollster"].unique())
    if constraint == "reference" and reference_pollster not in pollsters:
        raise StatsInputError(f"reference_pollster {reference_pollster!r} has no included poll",
                              parameter="reference_pollster")
    if len(pollsters) < 2:
        raise InsufficientDataError("house effects need at least 2 pollsters", count=len(pollsters), minimum=2,
                                    parameter="pollster")
    code = pd.Categorical(df["pollster"], categories=pollsters).codes
    counts = np.bincount(code, minlength=len(pollsters))
    mapping = _contrast(pollsters, counts, constraint, reference_pollster)
    p = df["p"].to_numpy(dtype=float)
    w = 1.0 / sampling_variance(p, df["n_eff"].to_numpy(dtype=float))
    x = mapping[code]  # polls x free effects (dense but only O(n k))
    day = df["day"].to_numpy() if "day" in df.columns else (df["mid_date"] - df["mid_date"].min()).dt.days.to_numpy()
    bins = np.unique(day // int(bin_days), return_inverse=True)[1]
    n_bins = bins.max() + 1
    sw = np.bincount(bins, weights=w, minlength=n_bins)

    def demean(v: np.ndarray) -> np.ndarray:
        if v.ndim == 1:
            return v - (np.bincount(bins, weights=w * v, minlength=n_bins) / sw)[bins]
        out = np.empty_like(v)
        for j in range(v.shape[1]):
            out[:, j] = v[:, j] - (np.bincount(bins, weights=w * v[:, j], minlength=n_bins) / sw)[bins]
        return out

    # Pollsters that never share a bin with another pollster carry no information.
    pollsters_per_bin = pd.Series(code).groupby(bins).nunique().to_numpy()
    shared = pollsters_per_bin[bins] > 1
    lonely = [pollsters[j] for j in range(len(pollsters)) if not shared[code == j].any()]
    if lonely:
        raise StatsInputError(
            f"pollster(s) {', '.join(lonely)} never poll within the same {bin_days}-day bin as another "
            "pollster; widen bin_days or use method='kalman'",
            parameter="bin_days",
        )
    yt, xt = demean(p), demean(x)
    xtw = xt.T * w
    xwx = xtw @ xt
    beta = np.linalg.solve(xwx, xtw @ yt)
    resid = yt - xt @ beta
    dof = len(p) - n_bins - x.shape[1]
    if dof < 1:
        raise InsufficientDataError("too few polls for the fixed-effects house estimate", count=len(p),
                                    minimum=n_bins + x.shape[1] + 1, parameter="polls")
    scale = float(np.sum(w * resid**2) / dof)
    cov = scale * np.linalg.inv(xwx)
    est = mapping @ beta
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", mapping, cov, mapping), 0.0))
    z = z_value(level)
    table = pd.DataFrame(
        {"estimate": est, "se": se, "lower": est - z * se, "upper": est + z * se, "n_polls": counts},
        index=pd.Index(pollsters, name="pollster"),
    )
    adjusted = _adjusted(df, table, code)
    return HouseEffectsResult(
        method="fixed_effects",
        constraint=constraint,
        table=table,
        adjusted=adjusted,
        excluded=excluded,
        params={"scale": scale, "dof": int(dof), "n_bins": int(n_bins), "bin_days": int(bin_days),
                "n_polls": int(len(p))},
        level=level,
    )


def _adjusted(df: pd.DataFrame, table: pd.DataFrame, code: np.ndarray) -> pd.DataFrame:
    out = df.loc[:, ["poll_id", "pollster", "mid_date", "p", "n_eff"]].reset_index(drop=True)
    out["house_effect"] = table["estimate"].to_numpy()[code]
    out["house_effect_se"] = table["se"].to_numpy()[code]
    out["adjusted_p"] = np.clip(out["p"] - out["house_effect"], 0.0, 1.0)
    return out


def house_effects(
    polls: pd.DataFrame,
    *,
    method: str = "auto",
    constraint: str = "sum_to_zero",
    reference_pollster: str | None = None,
    anchors: Mapping | None = None,
    options=None,
    bin_days: int = 7,
    extra_variance: bool = True,
) -> HouseEffectsResult:
    """Per-pollster house effects (with CIs and poll counts) and house-adjusted poll values.

    ``options`` is a :class:`~pollapp.stats.trend.TrendOptions` (level, as_of, filters...).
    ``anchors`` (``{date: share}``) requires ``constraint="anchored"`` and the kalman method.
    """
    from .trend.kalman import JOINT_LIMIT, kalman_trend
    from .trend.prepare import TrendOptions

    method = check_option(method, METHODS, "method")
    constraint = check_option(constraint, CONSTRAINTS, "constraint")
    options = options or TrendOptions()
    if method == "auto":
        k = polls["pollster"].nunique() if "pollster" in polls.columns else 0
        method = "kalman" if len(polls) * max(k, 1) <= JOINT_LIMIT or constraint == "anchored" else "fixed_effects"
    if method == "fixed_effects":
        if constraint == "anchored":
            raise StatsInputError("anchored house effects need method='kalman'", parameter="method")
        return fixed_effects(polls, constraint=constraint, reference_pollster=reference_pollster,
                             bin_days=bin_days, level=options.level, options=options)
    trend = kalman_trend(polls, options, house_effects=constraint, reference_pollster=reference_pollster,
                         anchors=anchors, house_method="joint", extra_variance=extra_variance)
    adjusted = trend.included
    return HouseEffectsResult(
        method="kalman",
        constraint=constraint,
        table=trend.house_effects,
        adjusted=adjusted,
        excluded=trend.excluded,
        params=trend.params,
        level=options.level,
    )
