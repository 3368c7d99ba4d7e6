"""Jackman's Australian 2004-2007 polls: reproduce his published house effects.

Reference values: Jackman (2009), Bayesian Analysis for the Social Sciences, example 9.3
(also Jackman 2005, Australian Journal of Political Science 40(4)), as listed in
../shared/notes/statistics.md: house effects on the ALP first-preference share, in points.
Model as published: level anchored at the 2004 and 2007 election results (ALP 37.64 on
9 October 2004, 43.38 on 24 November 2007), polls at field-period midpoint, sampling
variance only (no extra variance term), house effects free (identified by the anchors).
"""

from __future__ import annotations

import pandas as pd
import pytest

from pollapp.stats.trend import kalman_trend

PUBLISHED = {  # estimate [95% interval], points
    "Galaxy": (-1.2, -3.1, 0.6),
    "Morgan, F2F": (2.7, 1.0, 4.3),
    "Newspoll": (1.2, -0.5, 2.8),
    "Nielsen": (0.9, -0.8, 2.5),
    "Morgan, Phone": (0.8, -1.0, 2.3),
}
ANCHORS = {"2004-10-09": 0.3764, "2007-11-24": 0.4338}


@pytest.fixture(scope="module")
def jackman_fit(australian_polls):
    return kalman_trend(australian_polls, house_effects="anchored", anchors=ANCHORS, extra_variance=False)


@pytest.mark.parametrize("pollster", sorted(PUBLISHED))
def test_house_effect_within_half_a_point(jackman_fit, pollster):
    estimate, lower, upper = PUBLISHED[pollster]
    row = jackman_fit.house_effects.loc[pollster]
    assert abs(row["estimate"] * 100 - estimate) < 0.5
    # interval widths agree with the published ones to within a point
    assert abs((row["upper"] - row["lower"]) * 100 - (upper - lower)) < 1.0


def test_level_pinned_at_elections(jackman_fit):
    grid = jackman_fit.grid.set_index("date")
    assert grid.loc["2004-10-09", "estimate"] == pytest.approx(0.3764, abs=1e-6)
    assert grid.loc["2007-11-24", "estimate"] == pytest.approx(0.4338, abs=1e-6)
    assert jackman_fit.params["n_polls"] == 239
    assert jackman_fit.house_effects["n_polls"].to_dict() == {
        "Galaxy": 10, "Morgan, F2F": 94, "Morgan, Phone": 15, "Newspoll": 78, "Nielsen": 42,
    }


def test_as_of_drops_unknown_future_anchor(australian_polls):
    from pollapp.stats.trend import TrendOptions

    res = kalman_trend(australian_polls, TrendOptions(as_of="2007-06-30"), house_effects="anchored",
                       anchors=ANCHORS, extra_variance=False)
    assert res.settings["anchors"] == {"2004-10-09": 0.3764}
    assert res.grid["date"].max() == pd.Timestamp("2007-06-30")
    # the real-time estimate on the as_of day equals the smoothed one (no later polls)
    last = res.grid.iloc[-1]
    assert last["filtered_estimate"] == pytest.approx(last["estimate"], abs=1e-10)
