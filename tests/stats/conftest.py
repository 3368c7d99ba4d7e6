"""Fixtures for the statistics tests: synthetic polls with a known truth, and Jackman's data.

The simulated polls are SYNTHETIC (generated here with a fixed seed), not real data:
a random-walk true level, constant pollster house effects that sum to zero,
binomial sampling noise and extra non-sampling noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
SIM_SEEDS = (11, 22, 33, 44, 55, 66)


@dataclass
class Simulated:
    polls: pd.DataFrame
    truth: pd.Series  # true level by day
    house: pd.Series  # true house effect by pollster


def simulate(seed: int, n_days: int = 400, n_polls: int = 300, n_pollsters: int = 10,
             sd_day: float = 0.002, tau: float = 0.01) -> Simulated:
    """Synthetic polls: truth random walk (0.2 points/day), house effects sd 1.5 points
    (centred to sum to zero), n between 500 and 2000, extra poll error sd ``tau``."""
    rng = np.random.default_rng(seed)
    truth = 0.45 + np.cumsum(rng.normal(0.0, sd_day, n_days))
    house = rng.normal(0.0, 0.015, n_pollsters)
    house -= house.mean()
    names = np.array([f"Pollster {j:02d}" for j in range(n_pollsters)])
    who = rng.integers(0, n_pollsters, n_polls)
    mid = rng.integers(1, n_days - 1, n_polls)
    n = rng.integers(500, 2000, n_polls)
    mu = truth[mid] + house[who] + rng.normal(0.0, tau, n_polls)
    p = rng.binomial(n, np.clip(mu, 0.01, 0.99)) / n
    day0 = pd.Timestamp("2024-01-01")
    start = day0 + pd.to_timedelta(mid - 1, unit="D")
    polls = pd.DataFrame({
        "poll_id": np.arange(n_polls),
        "pollster": names[who],
        "start_date": start,
        "end_date": start + pd.Timedelta(days=2),  # midpoint = day `mid`
        "publication_date": start + pd.Timedelta(days=4),
        "p": p,
        "n_eff": n.astype(float),
    })
    dates = day0 + pd.to_timedelta(np.arange(n_days), unit="D")
    return Simulated(polls, pd.Series(truth, index=dates), pd.Series(house, index=names))


@pytest.fixture(scope="session")
def simulated() -> list[Simulated]:
    return [simulate(seed) for seed in SIM_SEEDS]


@pytest.fixture(scope="session")
def kalman_fits(simulated):
    from pollapp.stats.trend import kalman_trend

    return [kalman_trend(sim.polls) for sim in simulated]


@pytest.fixture(scope="session")
def australian_polls() -> pd.DataFrame:
    raw = pd.read_csv(DATA / "AustralianElectionPolling.csv")
    return pd.DataFrame({
        "poll_id": np.arange(len(raw)),
        "pollster": raw["org"],
        "start_date": pd.to_datetime(raw["startDate"], unit="D"),  # days since 1970-01-01
        "end_date": pd.to_datetime(raw["endDate"], unit="D"),
        "p": raw["ALP"] / 100.0,
        "n_eff": raw["sampleSize"],
    })


def small_polls(n: int = 6) -> pd.DataFrame:
    """A tiny hand-made frame for validation tests."""
    start = pd.Timestamp("2025-03-01") + pd.to_timedelta(np.arange(n) * 3, unit="D")
    return pd.DataFrame({
        "poll_id": [f"p{i}" for i in range(n)],
        "pollster": ["A", "B", "C"] * (n // 3) + ["A"] * (n % 3),
        "start_date": start,
        "end_date": start + pd.Timedelta(days=2),
        "publication_date": start + pd.Timedelta(days=5),
        "p": np.linspace(0.40, 0.45, n),
        "n_eff": 1000.0,
    })


@pytest.fixture
def make_polls():
    """Factory for the tiny hand-made frame (see small_polls)."""
    return small_polls


@pytest.fixture
def make_simulation():
    """Factory for extra synthetic data sets (see simulate)."""
    return simulate
