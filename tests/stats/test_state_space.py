"""The state-space code against the Nile benchmark (Durbin & Koopman 2012, ch. 2)."""

from __future__ import annotations

import numpy as np
import pytest

from pollapp.stats.trend.state_space import PollLevelModel


@pytest.fixture(scope="module")
def nile_model():
    from statsmodels.datasets import nile

    y = nile.load_pandas().data["volume"].to_numpy()
    n = len(y)
    # Annual series: one row per year, step 1, no known sampling variance: the whole
    # observation variance is the "extra" variance sigma2_eps.
    return PollLevelModel(y, sampling_var=np.zeros(n), step=np.ones(n))


def test_nile_loglikelihood(nile_model):
    # Durbin & Koopman (2012), local level at sigma2_eps = 15099, sigma2_eta = 1469.1:
    # log-likelihood -633.4646 (statistics notes: -633.464564, exact diffuse initialisation)
    params = [1469.1, 15099.0]  # [sigma2_level, sigma2_extra]
    assert nile_model.loglike(params) == pytest.approx(-633.464564, abs=1e-5)


def test_nile_smoothed_level(nile_model):
    # statistics notes (Durbin & Koopman fig. 2.2): smoothed level 1111.67 (1871), 798.37 (1970), sd ~63.5
    res = nile_model.smooth([1469.1, 15099.0], cov_type="none")
    level = res.smoothed_state[0]
    sd = np.sqrt(res.smoothed_state_cov[0, 0])
    assert level[0] == pytest.approx(1111.67, abs=0.01)
    assert level[-1] == pytest.approx(798.37, abs=0.01)
    assert sd[0] == pytest.approx(63.5, abs=0.05)


def test_nile_mle_close_to_published(nile_model):
    # Maximum likelihood estimates published by Durbin & Koopman: 15099 and 1469.1
    with np.errstate(all="ignore"):
        res = nile_model.fit(start_params=[1000.0, 10000.0], disp=False, cov_type="none")
    sigma2_level, sigma2_eps = res.params
    assert sigma2_eps == pytest.approx(15099, rel=0.02)
    assert sigma2_level == pytest.approx(1469.1, rel=0.05)
