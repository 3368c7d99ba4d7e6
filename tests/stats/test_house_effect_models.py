"""House effects: fast fixed-effects estimator and the kalman one, on SYNTHETIC polls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pollapp.stats.errors import InsufficientDataError, StatsInputError
from pollapp.stats.house_effects import fixed_effects, house_effects


def test_fixed_effects_cover_truth(simulated):
    inside = []
    for sim in simulated:
        res = fixed_effects(sim.polls)
        truth = sim.house.reindex(res.table.index)
        inside.extend(((res.table["lower"] <= truth) & (truth <= res.table["upper"])).tolist())
        assert res.table["estimate"].sum() == pytest.approx(0.0, abs=1e-12)
        adj = res.adjusted
        assert np.allclose(adj["adjusted_p"], adj["p"] - adj["house_effect"])
    assert np.mean(inside) >= 0.90


def test_fixed_effects_scale_to_many_polls(make_simulation):
    sim = make_simulation(7, n_days=1000, n_polls=20000, n_pollsters=20)
    res = fixed_effects(sim.polls)
    err = (res.table["estimate"] - sim.house.reindex(res.table.index)).abs()
    assert err.max() < 0.004  # 0.4 points with 1,000 polls per pollster


def test_weighted_and_reference_constraints(simulated):
    polls = simulated[0].polls
    w = fixed_effects(polls, constraint="weighted_sum_to_zero")
    assert np.dot(w.table["estimate"], w.table["n_polls"]) == pytest.approx(0.0, abs=1e-9)
    r = fixed_effects(polls, constraint="reference", reference_pollster="Pollster 04")
    assert r.table.loc["Pollster 04", ["estimate", "se"]].tolist() == [0.0, 0.0]


def test_lonely_pollster_refused(make_simulation):
    polls = make_simulation(3).polls
    lonely = polls.iloc[:6].assign(
        pollster="Hermit", poll_id=range(1000, 1006),
        start_date=pd.Timestamp("2026-06-01") + pd.to_timedelta(np.arange(6) * 10, unit="D"),
    )
    lonely["end_date"] = lonely["start_date"]
    with pytest.raises(StatsInputError) as info:
        fixed_effects(pd.concat([polls, lonely]))
    assert "Hermit" in str(info.value)


def test_needs_two_pollsters(make_simulation):
    polls = make_simulation(3).polls.assign(pollster="Only")
    with pytest.raises(InsufficientDataError):
        fixed_effects(polls)


def test_house_effects_dispatch(simulated):
    polls = simulated[1].polls
    kal = house_effects(polls)  # auto -> kalman at this size
    assert kal.method == "kalman"
    fe = house_effects(polls, method="fixed_effects")
    assert np.corrcoef(kal.table["estimate"], fe.table["estimate"])[0, 1] > 0.9
    assert set(kal.adjusted.columns) >= {"poll_id", "house_effect", "house_effect_se", "adjusted_p"}
    with pytest.raises(StatsInputError):
        house_effects(polls, method="fixed_effects", constraint="anchored")
