"""Confidence intervals for the answers of a single poll.

Why this module exists: a published share means little without its uncertainty,
and the uncertainty of a weighted poll is larger than the textbook ``sqrt(p(1-p)/n)``.
Everything here therefore works on the *effective* sample size
``n_eff = n / deff`` (Kish design effect), and in proportions (0-1), never percent.

Methods (statsmodels ``proportion_confint`` names, R equivalents in brackets):

``wilson`` (default)
    Wilson score interval [``prop.test(correct=FALSE)``]; good coverage even near 0 or 1.
``beta``
    Clopper-Pearson exact interval [``binom.test``]; conservative.
``jeffreys``
    Equal-tailed Beta(x + 1/2, n - x + 1/2) interval [``binom::binom.confint(method="bayes")``];
    at x = 0 the lower bound is set to 0 and at x = n the upper bound to 1, as in R and
    Brown, Cai & DasGupta (2001).
``agresti_coull``
    Agresti-Coull ("add two successes and two failures") [``binom.confint(method="ac")``], clipped to [0, 1].
``normal``
    Wald interval [``binom.confint(method="asymptotic")``]; collapses to [0, 0] at 0/n, so never the default.

Counts may be fractional (``p * n_eff``): statsmodels accepts non-integer counts for
all of the methods above.

Labels: for probability samples the half-width is the "margin of sampling error";
for opt-in (non-probability) samples AAPOR warns that a margin of sampling error is
misleading, so the same interval is labelled a modelled "credibility interval".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ._validate import (
    as_float_array,
    check_level,
    check_option,
    check_positive,
    check_proportions,
)
from .errors import StatsInputError

__all__ = [
    "METHODS",
    "SIMULTANEOUS_METHODS",
    "MARGIN_OF_SAMPLING_ERROR",
    "CREDIBILITY_INTERVAL",
    "SMALL_SAMPLE_N",
    "proportion_ci",
    "answer_intervals",
    "simultaneous_ci",
    "interval_label",
    "kish_design_effect",
    "design_effect_from_moe",
    "design_effects_from_moe",
    "effective_n",
]

METHODS = ("wilson", "beta", "jeffreys", "agresti_coull", "normal")
SIMULTANEOUS_METHODS = ("goodman", "sison-glaz")
MARGIN_OF_SAMPLING_ERROR = "margin of sampling error"
CREDIBILITY_INTERVAL = "credibility interval"
#: Below this effective sample size a share is flagged as a small (sub)group.
SMALL_SAMPLE_N = 100


def interval_label(probability_sample: bool) -> str:
    """What to call a poll's interval, following AAPOR's guidance.

    A probability sample has a margin of sampling error; an opt-in panel does not
    (its interval rests on a model of who answered), so it gets a "credibility interval".
    """
    return MARGIN_OF_SAMPLING_ERROR if probability_sample else CREDIBILITY_INTERVAL


def _broadcast_index(p, n_eff) -> pd.Index | None:
    for value in (p, n_eff):
        if isinstance(value, pd.Series):
            return value.index
    return None


def proportion_ci(p, n_eff, *, method: str = "wilson", level: float = 0.95) -> pd.DataFrame:
    """Confidence interval for proportion(s) ``p`` observed on effective sample size(s) ``n_eff``.

    Vectorised: ``p`` and ``n_eff`` are scalars, arrays or Series (broadcast together).
    Returns a DataFrame with columns ``p, n_eff, lower, upper`` whose index is that of the
    first Series argument (or a RangeIndex).
    """
    from statsmodels.stats.proportion import proportion_confint

    method = check_option(method, METHODS, "method")
    level = check_level(level)
    index = _broadcast_index(p, n_eff)
    p_arr = check_proportions(p, "p")
    n_arr = check_positive(n_eff, "n_eff")
    p_arr, n_arr = (np.array(a, dtype=float) for a in np.broadcast_arrays(np.atleast_1d(p_arr), np.atleast_1d(n_arr)))
    count = p_arr * n_arr
    lower, upper = proportion_confint(count, n_arr, alpha=1.0 - level, method=method)
    lower = np.clip(np.asarray(lower, dtype=float), 0.0, 1.0)
    upper = np.clip(np.asarray(upper, dtype=float), 0.0, 1.0)
    if method == "jeffreys":
        lower = np.where(p_arr <= 0.0, 0.0, lower)
        upper = np.where(p_arr >= 1.0, 1.0, upper)
    if index is not None and len(index) != len(p_arr):
        index = None
    return pd.DataFrame(
        {"p": p_arr, "n_eff": n_arr, "lower": lower, "upper": upper},
        index=index,
    )


def answer_intervals(
    shares,
    n_eff: float,
    *,
    method: str = "wilson",
    level: float = 0.95,
    probability_sample: bool = True,
) -> pd.DataFrame:
    """Intervals for every answer of one question of one poll.

    ``shares`` is a Series of proportions indexed by answer code (net answers may be
    included; they are just another proportion of the same respondents). Returns the
    ``proportion_ci`` columns plus ``margin`` (the larger half-width, in proportion units),
    ``label`` (see :func:`interval_label`), ``small_sample`` (``n_eff < 100``: prefer
    wilson or jeffreys and say the base is small), ``method`` and ``level``.
    """
    if not isinstance(shares, pd.Series):
        shares = pd.Series(shares)
    n = float(check_positive(n_eff, "n_eff"))
    out = proportion_ci(shares, n, method=method, level=level)
    out["margin"] = np.maximum(out["p"] - out["lower"], out["upper"] - out["p"])
    out["label"] = interval_label(probability_sample)
    out["small_sample"] = n < SMALL_SAMPLE_N
    out["method"] = method
    out["level"] = level
    return out


def simultaneous_ci(shares, n_eff: float, *, method: str = "goodman", level: float = 0.95) -> pd.DataFrame:
    """Simultaneous intervals covering all answers of a question at once.

    Uses statsmodels ``multinomial_proportions_confint`` (``goodman`` or ``sison-glaz``),
    which needs integer counts: counts are ``round(p * n_eff)``. If the published shares
    leave a remainder (don't know, rounding), that remainder ``round(n_eff) - sum(counts)``
    is added as an implicit extra category, so the answers are not silently renormalised;
    if they sum to more than 100% through rounding, the total is the sum of the counts.
    Sison-Glaz needs at least 3 categories and is intended for many categories;
    Goodman works for any number >= 2.
    """
    from statsmodels.stats.proportion import multinomial_proportions_confint

    method = check_option(method, SIMULTANEOUS_METHODS, "method")
    level = check_level(level)
    if not isinstance(shares, pd.Series):
        shares = pd.Series(shares)
    p = check_proportions(shares.to_numpy(), "shares")
    n = float(check_positive(n_eff, "n_eff"))
    counts = np.rint(p * n)
    remainder = np.rint(n) - counts.sum()
    all_counts = np.append(counts, remainder) if remainder > 0 else counts
    if len(all_counts) < 2:
        raise StatsInputError("simultaneous intervals need at least 2 categories", parameter="shares")
    if method == "sison-glaz" and len(all_counts) < 3:
        raise StatsInputError("sison-glaz needs at least 3 categories; use goodman", parameter="method")
    if (all_counts <= 0).any() and method == "goodman":
        # Goodman's interval degenerates at zero counts; refuse rather than return [0, 0].
        raise StatsInputError("goodman intervals need every answer to have a positive count", parameter="shares")
    ci = multinomial_proportions_confint(all_counts.astype(int), alpha=1.0 - level, method=method)
    ci = np.clip(np.asarray(ci, dtype=float)[: len(counts)], 0.0, 1.0)
    total = all_counts.sum()
    return pd.DataFrame(
        {
            "p": p,
            "count": counts,
            "lower": ci[:, 0],
            "upper": ci[:, 1],
            "method": method,
            "level": level,
            "total": total,
        },
        index=shares.index,
    )


def kish_design_effect(weights) -> float:
    """Kish's design effect from weights: ``n * sum(w^2) / (sum w)^2`` (1 for equal weights)."""
    w = as_float_array(weights, "weights")
    if w.ndim != 1 or len(w) == 0:
        raise StatsInputError("weights must be a non-empty 1-d array", parameter="weights")
    if (w < 0).any() or w.sum() <= 0:
        raise StatsInputError("weights must be non-negative with a positive sum", parameter="weights")
    return float(len(w) * np.sum(w**2) / np.sum(w) ** 2)


def design_effect_from_moe(
    moe: float, n: float, *, level: float = 0.95, p: float = 0.5, minimum: float | None = 1.0
) -> float:
    """Back the design effect out of a reported margin of error.

    ``moe`` is a proportion (0.035 for "+/- 3.5 points"); ``n`` the raw sample size;
    ``p`` the share the pollster assumed (0.5, the usual worst case):
    ``deff = n * moe^2 / (z^2 * p * (1 - p))``. Example: n = 1000, moe = 0.035 gives 1.276.

    Reported margins are rounded (e.g. "+/-3" for n = 1000, whose simple-random-sample
    margin is 3.1), which would give a design effect below 1, i.e. claim better than
    simple random sampling; by default the result is therefore floored at ``minimum=1``.
    Pass ``minimum=None`` for the raw value.
    """
    level = check_level(level)
    moe = float(check_positive(moe, "moe"))
    if moe >= 1:
        raise StatsInputError("moe must be a proportion (0.035 for 3.5 points)", parameter="moe")
    n = float(check_positive(n, "n"))
    p = float(check_proportions(p, "p"))
    if p in (0.0, 1.0):
        raise StatsInputError("p must be strictly between 0 and 1", parameter="p")
    return float(design_effects_from_moe(moe, n, level=level, p=p, minimum=minimum))


def design_effects_from_moe(moe, n, *, level=0.95, p: float = 0.5, minimum: float | None = 1.0) -> np.ndarray:
    """:func:`design_effect_from_moe` over arrays (broadcast together): one design effect per margin
    of error, sample size and confidence level, the same formula and floor. Why: a trend reads
    thousands of polls whose margins must be turned into design effects, and one call per poll would
    cost more than the fit's own input preparation.

    ``moe`` (proportions) and ``n`` must be positive, ``moe`` below 1, ``level`` strictly between 0 and 1.
    """
    moe = as_float_array(moe, "moe")
    n = as_float_array(n, "n")
    level = as_float_array(level, "level")
    if (moe <= 0).any() or (moe >= 1).any():
        raise StatsInputError("moe must be a proportion (0.035 for 3.5 points)", parameter="moe")
    if (n <= 0).any():
        raise StatsInputError("n must be positive", parameter="n")
    if (level <= 0).any() or (level >= 1).any():
        raise StatsInputError("level must be strictly between 0 and 1 (e.g. 0.95)", parameter="level")
    p = float(check_proportions(p, "p"))
    if p in (0.0, 1.0):
        raise StatsInputError("p must be strictly between 0 and 1", parameter="p")
    z = ndtri(0.5 + level / 2.0)  # _validate.z_value, over an array
    deff = n * moe**2 / (z**2 * p * (1 - p))
    if minimum is not None:
        deff = np.maximum(deff, float(minimum))
    return deff


def effective_n(n, deff=1.0):
    """``n / deff``; vectorised over arrays/Series (index preserved)."""
    check_positive(n, "n")
    check_positive(deff, "deff")
    return n / deff
