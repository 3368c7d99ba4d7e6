"""LOWESS, weighted average and latest-polls average."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pollapp.stats.errors import StatsInputError
from pollapp.stats.trend import TrendOptions, lowess_trend, rolling_trend, weighted_trend


def test_lowess_matches_statsmodels(simulated):
    from statsmodels.nonparametric.smoothers_lowess import lowess

    polls = simulated[0].polls
    res = lowess_trend(polls, frac=0.25)
    day = ((polls["start_date"] + pd.Timedelta(days=1)) - res.grid["date"].iloc[0]).dt.days.to_numpy(float)
    inside = res.grid["estimate"].notna().to_numpy()
    direct = lowess(polls["p"].to_numpy(), day, frac=0.25, it=0, xvals=np.flatnonzero(inside).astype(float))
    assert np.allclose(res.grid.loc[inside, "estimate"], direct, atol=1e-12)
    assert res.grid["lower"].isna().all() and "no band" in res.band


def test_lowess_bootstrap_band_is_labelled(simulated):
    res = lowess_trend(simulated[0].polls, bootstrap=40, seed=1)
    assert "sampling variability only" in res.band
    inside = res.grid.dropna()
    assert len(inside) > 300 and (inside["lower"] < inside["estimate"]).all()
    again = lowess_trend(simulated[0].polls, bootstrap=40, seed=1)
    assert np.allclose(res.grid["se"].fillna(0), again.grid["se"].fillna(0))  # seeded
    with pytest.raises(StatsInputError):
        lowess_trend(simulated[0].polls, frac=1.5)


def test_weighted_by_hand(make_polls):
    polls = make_polls(6).assign(p=[0.40, 0.42, 0.44, 0.46, 0.48, 0.50], n_eff=[500, 3000, 1000, 1000, 1000, 1000])
    res = weighted_trend(polls, half_life_days=3, n_cap=2000, window_days=7)
    grid = res.grid.set_index("date")
    # day 2025-03-08 (grid day 6): polls at days 0, 3, 6 inside the 7-day window;
    # weights min(n, 2000) * 0.5 ** (age / 3) = 500 / 4, 2000 / 2, 1000
    w = np.array([500 / 4, 2000 / 2, 1000])
    expected = np.dot(w, [0.40, 0.42, 0.44]) / w.sum()
    assert grid.loc["2025-03-08", "estimate"] == pytest.approx(expected, abs=1e-12)
    # pollster weight 0 removes pollster B (the 3000-person poll)
    res_b = weighted_trend(polls, half_life_days=3, n_cap=2000, window_days=7, pollster_weights={"B": 0})
    w2 = np.array([500 / 4, 1000])
    assert res_b.grid.set_index("date").loc["2025-03-08", "estimate"] == pytest.approx(
        np.dot(w2, [0.40, 0.44]) / w2.sum(), abs=1e-12)
    assert "under-covers" in res.band


def test_rolling_by_hand(make_polls):
    polls = make_polls(9)  # pollsters A, B, C repeating every 3 days; p rises linearly
    res = rolling_trend(polls, TrendOptions(), k=2, window_days=10)
    grid = res.grid.set_index("date")
    p = polls.set_index("poll_id")["p"]
    # on 2025-03-26 (midpoints every 3 days from 03-02): latest two distinct pollsters are p8 (C), p7 (B)
    assert grid.loc["2025-03-26", "estimate"] == pytest.approx((p["p8"] + p["p7"]) / 2)
    # on 2025-03-02 only p0 is available
    assert grid.loc["2025-03-02", "estimate"] == pytest.approx(p["p0"])
    assert grid["lower"].isna().all()
    with pytest.raises(StatsInputError):
        rolling_trend(polls, k=0)
