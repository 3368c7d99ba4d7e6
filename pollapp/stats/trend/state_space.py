"""Local-level state-space model with per-observation variances and constant house effects.

Why a custom statsmodels ``MLEModel``: ``UnobservedComponents`` allows a single
observation variance for all rows, but each poll has its own sampling variance
``p(1-p)/n_eff``, polls are irregularly spaced, several polls can fall on one day,
and pollster house effects must be estimated jointly with the level.

Design choice (several polls per day): the model has **one row per observation**, in
time order, plus one empty (NaN) row for each grid day without a poll, so every day of
the grid has a row. The random-walk variance of the step from row ``i`` to row ``i+1``
is ``sigma2_level * (day[i+1] - day[i])`` (``state_cov[..., i]``), i.e. zero between
polls of the same day. This keeps ``k_endog = 1`` (cheap, exact likelihood, no
precision-weighted collapsing that would lose the within-day information about the
extra variance).

State vector: ``[level, h_1, ..., h_m]``; the house-effect states have zero state
variance (constant over time), so they are estimated from all polls jointly, and their
smoothed covariance gives their standard errors. The observation row of a poll by
pollster ``j`` is ``[1, M[j]]`` where ``M`` maps the free house-effect states to every
pollster's effect (sum-to-zero contrast, reference pollster or free effects).

Observation variance: ``sampling_var[i] + sigma2_extra * extra_mask[i]``: the extra
(non-sampling) variance applies to polls but not to anchor observations such as an
election result (``extra_mask = 0``, ``sampling_var = 0``).

Initialisation is exact diffuse for every state (level and house effects), as in
Durbin & Koopman (2012): with that, the Nile benchmark gives log-likelihood -633.4646.

Parameters: ``sigma2_level`` (per unit of ``step``) and ``sigma2_extra``; both are
constrained positive through squaring.
"""

from __future__ import annotations

import numpy as np
from statsmodels.tsa.statespace.mlemodel import MLEModel

__all__ = ["PollLevelModel"]


class PollLevelModel(MLEModel):
    """Local level + constant house effects, one row per observation.

    endog: observations (NaN for rows without one). sampling_var: known variance per
    row. step: time from this row to the next (last value unused). house_design: rows x m
    matrix of house-effect loadings (None or m = 0 for no house effects). extra_mask: 1
    where the extra variance applies (default: every row). extra_variance: False fixes
    ``sigma2_extra`` at 0 (e.g. Jackman's 2005 model), leaving one parameter.
    """

    def __init__(
        self,
        endog,
        sampling_var,
        step,
        house_design=None,
        extra_mask=None,
        extra_variance: bool = True,
    ) -> None:
        endog = np.asarray(endog, dtype=float)
        nobs = endog.shape[0]
        house = np.zeros((nobs, 0)) if house_design is None else np.asarray(house_design, dtype=float)
        k_house = house.shape[1]
        k_states = 1 + k_house
        super().__init__(endog, k_states=k_states, k_posdef=1, initialization="diffuse")
        design = np.zeros((1, k_states, nobs))
        design[0, 0, :] = 1.0
        design[0, 1:, :] = house.T
        self.ssm["design"] = design
        self.ssm["transition"] = np.eye(k_states)
        selection = np.zeros((k_states, 1))
        selection[0, 0] = 1.0
        self.ssm["selection"] = selection
        self.ssm["obs_cov"] = np.zeros((1, 1, nobs))
        self.ssm["state_cov"] = np.zeros((1, 1, nobs))
        self._sampling_var = np.asarray(sampling_var, dtype=float)
        self._step = np.asarray(step, dtype=float)
        self._extra_mask = np.ones(nobs) if extra_mask is None else np.asarray(extra_mask, dtype=float)
        self.extra_variance = bool(extra_variance)
        self.k_house = k_house

    @property
    def param_names(self) -> list[str]:
        return ["sigma2_level", "sigma2_extra"] if self.extra_variance else ["sigma2_level"]

    @property
    def start_params(self) -> np.ndarray:
        # Generic starting values; the trend wrapper picks better ones from a coarse grid.
        y = self.endog[:, 0]
        y = y[np.isfinite(y)]
        spread = float(np.var(y)) if y.size > 1 else 1.0
        base = [max(spread, 1e-8) / 100.0]
        if self.extra_variance:
            base.append(max(spread, 1e-8) / 10.0)
        return np.array(base)

    def transform_params(self, unconstrained):
        return np.asarray(unconstrained) ** 2

    def untransform_params(self, constrained):
        return np.asarray(constrained) ** 0.5

    def update(self, params, transformed=True, includes_fixed=False, complex_step=False):
        params = super().update(params, transformed=transformed, includes_fixed=includes_fixed,
                                complex_step=complex_step)
        obs_var = self._sampling_var
        if self.extra_variance:
            obs_var = obs_var + params[1] * self._extra_mask
        self.ssm["obs_cov", 0, 0] = obs_var
        self.ssm["state_cov", 0, 0] = params[0] * self._step
