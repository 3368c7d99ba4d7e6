"""Change in one answer between two independent polls.

Why a separate test: the change between two polls has a larger margin than either
poll's own margin (the variances add), and readers routinely over-read a few points
of movement. statsmodels' two-independent-proportions routines give an interval
(``confint_proportions_2indep``, Newcomb's hybrid score interval by default) and a test
(``test_proportions_2indep``, Agresti-Caffo by default); both run on the *effective*
counts ``p * n_eff``, which may be fractional.

The "margin of error" of the change printed in the sentence is the distance from the
estimated change to the end of its interval nearer zero, so that "larger than its
margin of error" is exactly "the interval excludes zero" even though score intervals
are not symmetric.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ._validate import check_level, check_option, check_positive, check_proportions
from .errors import StatsInputError

__all__ = ["ChangeResult", "change", "CI_METHODS", "TEST_METHODS", "format_points"]

CI_METHODS = ("newcomb", "score", "wald", "agresti-caffo")
TEST_METHODS = ("agresti-caffo", "score", "wald")


@dataclass(frozen=True)
class ChangeResult:
    """Change ``p_b - p_a`` from poll A (earlier) to poll B (later), proportion units."""

    p_a: float
    n_a: float
    p_b: float
    n_b: float
    diff: float
    lower: float
    upper: float
    margin: float
    p_value: float
    significant: bool
    level: float
    ci_method: str
    test_method: str
    sentence: str

    def to_dict(self) -> dict:
        return asdict(self)


def format_points(x: float) -> str:
    """Format a proportion as points for prose: 0.06 -> '6', 0.041 -> '4.1'."""
    text = f"{abs(x) * 100:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _sentence(diff: float, margin: float, significant: bool) -> str:
    pts, moe = format_points(diff), format_points(margin)
    if pts == "0":
        return f"there is no measurable change; the margin of error of the change is {moe} points"
    word = "rise" if diff > 0 else "fall"
    verdict = "larger than" if significant else "within"
    return f"the {pts}-point {word} is {verdict} its margin of error of {moe} points"


def change(
    p_a: float,
    n_a: float,
    p_b: float,
    n_b: float,
    *,
    level: float = 0.95,
    ci_method: str = "newcomb",
    test_method: str = "agresti-caffo",
) -> ChangeResult:
    """Difference ``p_b - p_a`` between two independent polls, with interval, p-value and a sentence.

    ``n_a`` and ``n_b`` are effective sample sizes. ``significant`` means the ``level``
    interval excludes zero; ``p_value`` comes from the two-sided test and may, for a
    different method, disagree near the boundary (both are reported).
    """
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

    level = check_level(level)
    ci_method = check_option(ci_method, CI_METHODS, "ci_method")
    test_method = check_option(test_method, TEST_METHODS, "test_method")
    p_a = float(check_proportions(p_a, "p_a"))
    p_b = float(check_proportions(p_b, "p_b"))
    n_a = float(check_positive(n_a, "n_a"))
    n_b = float(check_positive(n_b, "n_b"))
    if p_a in (0.0, 1.0) and p_a == p_b:
        raise StatsInputError("both polls are at the same boundary (0 or 1): no change to test", parameter="p_b")

    count_a, count_b = p_a * n_a, p_b * n_b
    lower, upper = confint_proportions_2indep(
        count_b, n_b, count_a, n_a, method=ci_method, compare="diff", alpha=1.0 - level
    )
    test = test_proportions_2indep(count_b, n_b, count_a, n_a, method=test_method, compare="diff")
    diff = p_b - p_a
    lower, upper = float(lower), float(upper)
    significant = bool(lower > 0 or upper < 0)
    margin = (diff - lower) if diff >= 0 else (upper - diff)
    return ChangeResult(
        p_a=p_a,
        n_a=n_a,
        p_b=p_b,
        n_b=n_b,
        diff=diff,
        lower=lower,
        upper=upper,
        margin=float(margin),
        p_value=float(test.pvalue),
        significant=significant,
        level=level,
        ci_method=ci_method,
        test_method=test_method,
        sentence=_sentence(diff, margin, significant),
    )
