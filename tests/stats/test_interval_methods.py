"""Single-poll and simultaneous intervals against published reference values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from pollapp.stats.errors import StatsInputError
from pollapp.stats.intervals import (
    CREDIBILITY_INTERVAL,
    MARGIN_OF_SAMPLING_ERROR,
    answer_intervals,
    design_effect_from_moe,
    design_effects_from_moe,
    effective_n,
    kish_design_effect,
    proportion_ci,
    simultaneous_ci,
)

# (count, n, method, level, lower, upper, source)
REFERENCE = [
    # statistics notes: statsmodels 0.15 = scipy first principles
    (450, 1000, "wilson", 0.95, 0.419415, 0.480967),
    (450, 1000, "beta", 0.95, 0.418852, 0.481443),
    (45, 100, "wilson", 0.95, 0.356145, 0.547554),
    (45, 100, "jeffreys", 0.95, 0.355077, 0.547771),
    (0, 50, "wilson", 0.95, 0.0, 0.071348),
    (50, 50, "agresti_coull", 0.95, 0.914784, 1.0),
    # R: binom.test(c(682, 243), p = 3/4) (help page example)
    (682, 925, "beta", 0.95, 0.7076683, 0.7654066),
    # R: binom.test(9, 24)
    (9, 24, "beta", 0.95, 0.1879929, 0.5940636),
    # R: binom.test(1, 1497, conf.level = 0.9)
    (1, 1497, "beta", 0.90, 3.426347e-05, 3.164954e-03),
    # scipy docs: binomtest(7, 50).proportion_ci()
    (7, 50, "beta", 0.95, 0.05819170033997342, 0.26739600249700846),
    # R: binom::binom.confint(18, 20) rows wilson, ac, exact, bayes
    (18, 20, "wilson", 0.95, 0.6989663547715128, 0.972133518786232),
    (18, 20, "agresti_coull", 0.95, 0.6867561125596077, 0.984343760998137),
    (18, 20, "beta", 0.95, 0.6830172859809176, 0.9876514728297052),
    (18, 20, "jeffreys", 0.95, 0.716146742695748, 0.97862751197755),
]


@pytest.mark.parametrize("count,n,method,level,lower,upper", REFERENCE)
def test_reference_values(count, n, method, level, lower, upper):
    out = proportion_ci(count / n, n, method=method, level=level)
    assert out["lower"].iloc[0] == pytest.approx(lower, abs=1e-6)
    assert out["upper"].iloc[0] == pytest.approx(upper, abs=1e-6)


def test_wald_margin_aapor_example():
    # AAPOR disclosure example: n = 1001, p = .5 -> +/- 3.1 points (Wald)
    out = proportion_ci(0.5, 1001, method="normal")
    assert round((out["upper"].iloc[0] - 0.5) * 100, 1) == 3.1


def test_jeffreys_boundary_follows_r():
    # R binom.confint(method="bayes") and Brown, Cai & DasGupta (2001): lower = 0 at x = 0
    assert proportion_ci(0.0, 50, method="jeffreys")["lower"].iloc[0] == 0.0
    assert proportion_ci(1.0, 50, method="jeffreys")["upper"].iloc[0] == 1.0


def test_vectorised_preserves_index_and_matches_scalar():
    p = pd.Series([0.45, 0.1, 0.9], index=["x", "y", "z"])
    out = proportion_ci(p, pd.Series([1000.0, 200.0, 50.0], index=p.index), method="wilson")
    assert list(out.index) == ["x", "y", "z"]
    for key, n in zip(p.index, (1000.0, 200.0, 50.0)):
        single = proportion_ci(p[key], n)
        assert out.loc[key, "lower"] == pytest.approx(single["lower"].iloc[0], abs=1e-12)


def test_design_effect_widens_interval():
    plain = proportion_ci(0.45, 1000)
    weighted = proportion_ci(0.45, effective_n(1000, 1.5))
    assert (weighted["upper"] - weighted["lower"]).iloc[0] > (plain["upper"] - plain["lower"]).iloc[0]


def test_design_effects_from_moe_is_the_scalar_rule_per_row():
    moe = np.array([0.035, 0.03, 0.03, 0.05])
    n = np.array([1000.0, 1000.0, 1000.0, 400.0])
    level = np.array([0.95, 0.95, 0.9, 0.99])
    got = design_effects_from_moe(moe, n, level=level)
    want = [design_effect_from_moe(m, k, level=lv) for m, k, lv in zip(moe, n, level)]
    assert got.tolist() == pytest.approx(want, rel=1e-12)
    assert got[1] == 1.0  # floored, as the scalar
    raw = design_effects_from_moe(moe, 1.0, minimum=None)  # n broadcast
    assert raw.tolist() == pytest.approx([design_effect_from_moe(m, 1.0, minimum=None) for m in moe], rel=1e-12)
    for bad in ({"moe": [0.03, 3.0]}, {"moe": [0.0]}, {"n": [0.0]}, {"level": [95.0]}):
        args = {"moe": [0.03], "n": [1000.0], "level": [0.95]} | bad
        with pytest.raises(StatsInputError):
            design_effects_from_moe(args["moe"], args["n"], level=args["level"])


def test_design_effect_from_moe():
    # statistics notes: n = 1000, reported +/- 3.5 -> deff 1.276 (with z = 1.96)
    assert design_effect_from_moe(0.035, 1000) == pytest.approx(1.276, abs=1e-3)
    # +/-3 at n = 1000 is below the simple-random-sample margin (rounding): floored at 1 ...
    assert design_effect_from_moe(0.03, 1000) == 1.0
    # ... unless the raw value is asked for: 1000 * .03^2 / (1.959964^2 * .25)
    assert design_effect_from_moe(0.03, 1000, minimum=None) == pytest.approx(0.93708, abs=1e-4)
    with pytest.raises(StatsInputError):
        design_effect_from_moe(3.5, 1000)  # points, not a proportion


def test_kish_design_effect():
    assert kish_design_effect([2.0, 2.0, 2.0]) == pytest.approx(1.0)
    # 4 * (1 + 1 + 4 + 4) / 6^2
    assert kish_design_effect([1, 1, 2, 2]) == pytest.approx(40 / 36)


def test_goodman_matches_formula():
    # Goodman (1965): chi-square(1) quantile at alpha / k, first principles
    counts = np.array([420, 380, 200])
    n = counts.sum()
    out = simultaneous_ci(counts / n, n, method="goodman")
    a = chi2.ppf(1 - 0.05 / 3, 1)
    root = np.sqrt(a * (a + 4 * counts * (n - counts) / n))
    assert np.allclose(out["lower"], (a + 2 * counts - root) / (2 * (n + a)), atol=1e-9)
    assert np.allclose(out["upper"], (a + 2 * counts + root) / (2 * (n + a)), atol=1e-9)


def test_sison_glaz_matches_r_multinomialci():
    # R MultinomialCI::multinomialCI(c(56, 0, 73, 59, 62, 87, 58), 0.05) as quoted, with the
    # SG-minus-C+1 shift, in statsmodels' stats/tests/test_proportion.py
    # (test_confint_multinomial_proportions_zeros); counts from Sison & Glaz (1995) example 1.
    ci0 = np.array([
        0.09620253, 0.19238867, 0.0, 0.05061652, 0.13924051, 0.23542664, 0.10379747, 0.19998360,
        0.11139241, 0.20757854, 0.17468354, 0.27086968, 0.10126582, 0.19745196,
    ]).reshape(-1, 2)
    expected = np.maximum(ci0 - np.array([0.002531642, 0.002515247]), 0)
    counts = np.array([56, 0, 73, 59, 62, 87, 58])
    out = simultaneous_ci(counts / counts.sum(), counts.sum(), method="sison-glaz")
    assert np.allclose(out[["lower", "upper"]].to_numpy(), expected, atol=2e-5)


def test_simultaneous_adds_remainder_category_and_is_wider():
    shares = pd.Series({"yes": 0.45, "no": 0.40})  # 15% don't know left implicit
    out = simultaneous_ci(shares, 1000)
    assert out["total"].iloc[0] == 1000
    single = proportion_ci(shares, 1000)
    assert (out["upper"] - out["lower"] > single["upper"] - single["lower"]).all()


def test_answer_intervals_labels():
    prob = answer_intervals({"yes": 0.45, "no": 0.40}, 895.0)
    assert (prob["label"] == MARGIN_OF_SAMPLING_ERROR).all()
    assert not prob["small_sample"].any()
    optin = answer_intervals({"yes": 0.45}, 80.0, probability_sample=False)
    assert optin["label"].iloc[0] == CREDIBILITY_INTERVAL
    assert optin["small_sample"].iloc[0]


@pytest.mark.parametrize(
    "kwargs,parameter",
    [
        ({"p": 45, "n_eff": 1000}, "p"),  # percent instead of proportion
        ({"p": 0.45, "n_eff": 0}, "n_eff"),
        ({"p": 0.45, "n_eff": 1000, "method": "exact"}, "method"),
        ({"p": 0.45, "n_eff": 1000, "level": 95}, "level"),
        ({"p": float("nan"), "n_eff": 1000}, "p"),
    ],
)
def test_invalid_input(kwargs, parameter):
    with pytest.raises(StatsInputError) as info:
        proportion_ci(**kwargs)
    assert info.value.parameter == parameter
    assert isinstance(info.value, ValueError)
