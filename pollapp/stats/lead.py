"""The lead of one answer over another within the same poll.

Why not "double the margin of error": both shares come from the same respondents,
so they are negatively correlated (a respondent choosing answer 1 cannot choose 2).
Under the multinomial model ``cov(p1, p2) = -p1 p2 / n``, hence

    var(p1 - p2) = (p1 + p2 - (p1 - p2)^2) / n_eff

Example (statistics notes): p1 = .45, p2 = .40, n = 1000 gives se 0.029112 and a
95% margin of 5.71 points, not 2 x 3.1 = 6.2 and not 3.1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ._validate import check_level, check_positive, check_proportions, z_value
from .errors import StatsInputError

__all__ = ["LeadResult", "lead"]


@dataclass(frozen=True)
class LeadResult:
    """Lead ``p1 - p2`` (proportion units) with its interval.

    ``margin`` is the half-width ``z * se``; ``exceeds_margin`` is True when the lead
    is larger than its own margin (the interval excludes zero).
    """

    p1: float
    p2: float
    n_eff: float
    lead: float
    se: float
    lower: float
    upper: float
    margin: float
    exceeds_margin: bool
    level: float

    def to_dict(self) -> dict:
        return asdict(self)


def lead(p1: float, p2: float, n_eff: float, *, level: float = 0.95) -> LeadResult:
    """Lead of answer 1 over answer 2 of one poll, with the multinomial standard error."""
    level = check_level(level)
    p1 = float(check_proportions(p1, "p1"))
    p2 = float(check_proportions(p2, "p2"))
    n = float(check_positive(n_eff, "n_eff"))
    if p1 + p2 > 1 + 1e-9:
        # More than 100% between two answers of one question: not the same respondents.
        raise StatsInputError("p1 + p2 exceeds 1: the two answers must be exclusive", parameter="p2")
    d = p1 - p2
    se = float(np.sqrt(max(p1 + p2 - d * d, 0.0) / n))
    margin = z_value(level) * se
    return LeadResult(
        p1=p1,
        p2=p2,
        n_eff=n,
        lead=d,
        se=se,
        lower=d - margin,
        upper=d + margin,
        margin=margin,
        exceeds_margin=bool(abs(d) > margin),
        level=level,
    )
