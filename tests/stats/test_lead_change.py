"""Lead within one poll and change between two polls."""

from __future__ import annotations

import numpy as np
import pytest

from pollapp.stats.change import change, format_points
from pollapp.stats.errors import StatsInputError
from pollapp.stats.lead import lead


def test_lead_reference_value():
    # statistics notes: p1 = .45, p2 = .40, n = 1000 -> se 0.029112, 95% margin 5.71 points
    res = lead(0.45, 0.40, 1000)
    assert res.se == pytest.approx(0.029112, abs=1e-6)
    assert res.margin * 100 == pytest.approx(5.71, abs=0.005)
    assert res.lead == pytest.approx(0.05)
    assert not res.exceeds_margin
    # larger than the single-answer margin (3.1), smaller than twice it
    single = 1.959964 * np.sqrt(0.45 * 0.55 / 1000)
    assert single < res.margin < 2 * single


def test_lead_exceeds_margin_and_level():
    res = lead(0.50, 0.40, 1000)
    assert res.exceeds_margin and res.lower > 0
    assert lead(0.50, 0.40, 1000, level=0.99).margin > res.margin


def test_lead_refuses_non_exclusive_answers():
    with pytest.raises(StatsInputError):
        lead(0.6, 0.5, 1000)


def test_change_sentence_significant_rise():
    # Example of the issue text: "the 6-point rise is larger than its margin of error of 4.1 points"
    # (Newcomb interval, statsmodels confint_proportions_2indep, 40% -> 46% at n = 1100 each)
    res = change(0.40, 1100, 0.46, 1100)
    assert res.sentence == "the 6-point rise is larger than its margin of error of 4.1 points"
    assert res.significant and res.lower > 0
    assert res.p_value < 0.05


def test_change_sentence_within_margin_fall():
    res = change(0.45, 800, 0.42, 900)
    assert res.sentence == "the 3-point fall is within its margin of error of 4.7 points"
    assert not res.significant and res.lower < 0 < res.upper
    assert res.p_value > 0.05


def test_change_matches_statsmodels_directly():
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

    res = change(0.40, 1000, 0.43, 1200, level=0.9, ci_method="score", test_method="score")
    lo, hi = confint_proportions_2indep(0.43 * 1200, 1200, 400, 1000, method="score", alpha=0.1)
    assert (res.lower, res.upper) == pytest.approx((lo, hi), abs=1e-12)
    t = test_proportions_2indep(0.43 * 1200, 1200, 400, 1000, method="score")
    assert res.p_value == pytest.approx(t.pvalue, abs=1e-12)


def test_change_margin_is_consistent_with_interval():
    for p_b in np.linspace(0.36, 0.44, 17):
        res = change(0.40, 1000, float(p_b), 1000)
        assert res.significant == (abs(res.diff) > res.margin)


def test_format_points():
    assert format_points(0.06) == "6"
    assert format_points(0.041) == "4.1"


def test_change_validation():
    with pytest.raises(StatsInputError) as info:
        change(40, 1000, 46, 1000)
    assert info.value.parameter == "p_a"
    with pytest.raises(StatsInputError):
        change(0.4, 1000, 0.46, 1000, ci_method="bootstrap")
