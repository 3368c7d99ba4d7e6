"""Input contract, filters and refusals shared by all trend methods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pollapp.stats.errors import InsufficientDataError, StatsInputError
from pollapp.stats.trend import (
    TREND_METHODS,
    TrendOptions,
    decided_share,
    fill_missing_n,
    fit_trend,
    prepare_polls,
)


def test_midpoint_and_grid(make_polls):
    prep = prepare_polls(make_polls())
    # 2025-03-01..03 -> midpoint 03-02; the last starts 03-16 -> 03-17
    assert prep.polls["mid_date"].iloc[0] == pd.Timestamp("2025-03-02")
    assert prep.grid_start == pd.Timestamp("2025-03-02")
    assert prep.grid_end == pd.Timestamp("2025-03-17")
    assert prep.polls["day"].tolist() == [0, 3, 6, 9, 12, 15]
    assert len(prep.excluded) == 0


@pytest.mark.parametrize("method", TREND_METHODS)
def test_insufficient_data_refused(make_polls, method):
    polls = make_polls(4)
    with pytest.raises(InsufficientDataError) as info:
        fit_trend(polls, method)
    assert info.value.count == 4 and info.value.minimum == 5
    assert isinstance(info.value, ValueError)


def test_insufficient_after_filters(make_polls):
    with pytest.raises(InsufficientDataError) as info:
        prepare_polls(make_polls(6), TrendOptions(exclude_pollsters=["A"]))
    assert info.value.count == 4


def test_as_of_filters_by_publication_and_ends_grid(make_polls):
    polls = make_polls(9)
    prep = prepare_polls(polls, TrendOptions(as_of="2025-03-20"))
    # publication = start + 5 days: starts 03-01 ... 03-13 published by 03-20 (5 polls)
    assert len(prep.polls) == 5
    assert prep.grid_end == pd.Timestamp("2025-03-20")
    assert set(prep.excluded["reason"]) == {"published after as_of"}


def test_date_range_and_exclusions_have_reasons(make_polls):
    prep = prepare_polls(make_polls(9), TrendOptions(start="2025-03-05", exclude_pollsters=("C",)))
    reasons = prep.excluded.groupby("reason").size().to_dict()
    assert reasons == {"pollster excluded": 3, "field midpoint outside the date range": 1}
    assert prep.grid_start == pd.Timestamp("2025-03-05")


def test_population_preference(make_polls):
    polls = make_polls(6)
    extra = polls.iloc[[0]].assign(population="lv", p=0.30)
    polls = pd.concat([polls.assign(population="rv"), extra], ignore_index=True)
    prep = prepare_polls(polls, TrendOptions(population_preference=("lv", "rv")))
    assert prep.polls.loc[prep.polls["poll_id"] == "p0", "p"].item() == 0.30
    assert "population 'rv' not preferred (kept 'lv')" in set(prep.excluded["reason"])
    default = prepare_polls(polls)  # a > rv > lv > v
    assert default.polls.loc[default.polls["poll_id"] == "p0", "population"].item() == "rv"


def test_duplicate_poll_ids_refused(make_polls):
    polls = make_polls(6)
    polls.loc[1, "poll_id"] = "p0"
    with pytest.raises(StatsInputError) as info:
        prepare_polls(polls)
    assert info.value.parameter == "poll_id"


def test_overlapping_tracking_releases_dropped():
    start = pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(8), unit="D")
    tracking = pd.DataFrame({
        "poll_id": range(8), "pollster": "Daily", "start_date": start,
        "end_date": start + pd.Timedelta(days=2), "p": 0.5, "n_eff": 1500.0, "tracking": True,
    })
    prep = prepare_polls(tracking, TrendOptions(min_polls=2))
    # newest release 01-08..01-10 kept, then the first release ending before 01-08: 01-05..07, then 01-02..04
    assert sorted(prep.polls["poll_id"]) == [1, 4, 7]
    kept_off = prepare_polls(tracking, TrendOptions(min_polls=2, drop_overlapping_tracking=False))
    assert len(kept_off.polls) == 8


@pytest.mark.parametrize(
    "change,parameter",
    [
        (lambda d: d.drop(columns="n_eff"), "n_eff"),
        (lambda d: d.assign(p=d["p"] * 100), "p"),
        (lambda d: d.assign(n_eff=np.nan), "n_eff"),
        (lambda d: d.assign(end_date=d["start_date"] - pd.Timedelta(days=1)), "end_date"),
        (lambda d: d.assign(start_date="not a date"), "start_date"),
    ],
)
def test_validation_errors(make_polls, change, parameter):
    with pytest.raises(StatsInputError) as info:
        prepare_polls(change(make_polls()))
    assert info.value.parameter == parameter


@pytest.mark.parametrize("kwargs", [{"level": 95}, {"min_polls": 1}, {"start": "2025-02-01", "end": "2025-01-01"}])
def test_invalid_options(kwargs):
    with pytest.raises(StatsInputError):
        TrendOptions(**kwargs)


def test_options_to_dict_is_normalised():
    opts = TrendOptions(as_of="2025-03-20", exclude_pollsters=["B", "A"])
    d = opts.to_dict()
    assert d["as_of"] == "2025-03-20" and d["exclude_pollsters"] == ["A", "B"]


def test_fill_missing_n_records_how(make_polls):
    polls = make_polls(6).assign(n_eff=[1000.0, np.nan, 800.0, np.nan, 1200.0, 600.0])
    with pytest.raises(StatsInputError):
        fill_missing_n(polls)
    const = fill_missing_n(polls, default=500)
    assert const["n_eff"].tolist() == [1000.0, 500.0, 800.0, 500.0, 1200.0, 600.0]
    assert const["n_eff_source"].tolist() == ["reported", "default", "reported", "default", "reported", "reported"]
    med = fill_missing_n(polls, strategy="pollster_median")
    # pollster B has 1000? no: B polls are rows 1 and 4 -> median of known (1200)
    assert med.loc[1, "n_eff"] == 1200.0 and med.loc[1, "n_eff_source"] == "pollster median"
    assert med["n_eff_imputed"].sum() == 2
    assert polls["n_eff"].isna().sum() == 2  # input untouched


def test_decided_share(make_polls):
    polls = make_polls(6).assign(p1=0.45, p2=0.45, n_eff=1000.0)
    out = decided_share(polls)
    assert np.allclose(out["p"], 0.5) and np.allclose(out["n_eff"], 900.0)
    with pytest.raises(StatsInputError):
        decided_share(polls.assign(p2=0.6))
