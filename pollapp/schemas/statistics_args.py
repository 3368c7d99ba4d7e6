"""Statistics: the query arguments (strict: an unknown or misspelt parameter is a 400, never a silently
different chart) of poll intervals, trends, house effects, adjusted points and comparisons.

The allowed methods, defaults and limits come from the services (:mod:`pollapp.services.stats_inputs`,
:mod:`pollapp.services.trend_size`), so that the contract and the computation cannot disagree. The
responses are documented in :mod:`.statistics_poll_responses` and :mod:`.statistics_series_responses`.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from pollapp.models import Population
from pollapp.schemas.common import AS_OF_DESCRIPTION, CODE, SLUG, DayOrInstant, StrictSchema
from pollapp.services.trend_size import MAX_GRID_POINTS, MAX_LISTED_POLLS, POLL_LISTS
from pollapp.services.stats_inputs import (
    CHANGE_CI_METHODS,
    CHANGE_TEST_METHODS,
    DEFAULT_N,
    HOUSE_EFFECT_CONSTRAINTS,
    HOUSE_EFFECT_METHODS,
    INTERVAL_METHODS,
    SIMULTANEOUS_METHODS,
    TREND_HOUSE_EFFECTS,
    TREND_HOUSE_METHODS,
    TREND_METHODS,
)


LEVEL_RANGE = validate.Range(min=0, max=1, min_inclusive=False, max_inclusive=False,
                             error="Must be a confidence level strictly between 0 and 1, e.g. 0.95.")


def _level() -> ma.fields.Float:
    return ma.fields.Float(
        load_default=0.95, allow_nan=False, validate=LEVEL_RANGE,
        metadata={"description": "Confidence level, strictly between 0 and 1 (default 0.95)."},
    )


def _choice(choices: tuple[str, ...], default: str | None, description: str) -> ma.fields.String:
    return ma.fields.String(
        load_default=default,
        validate=validate.OneOf(choices, error="Must be one of: {choices}."),
        metadata={"description": description},
    )


class IntervalArgsSchema(StrictSchema):
    method = _choice(
        INTERVAL_METHODS, "wilson",
        "Interval method: wilson (default), beta (Clopper-Pearson), jeffreys, agresti_coull, normal (Wald).",
    )
    level = _level()
    simultaneous = _choice(
        SIMULTANEOUS_METHODS, "goodman",
        "Simultaneous intervals covering all answers of a single-choice question at once.",
    )


class SelectionArgsSchema(StrictSchema):
    """Which polls of a series are used and how each poll's value is formed."""

    outcome = ma.fields.String(
        load_default=None, validate=CODE,
        metadata={"description": "Outcome code of the series (required when the series has several)."},
    )
    level = _level()
    decided_against = ma.fields.String(
        load_default=None, validate=CODE,
        metadata={"description": "Decided-only share: outcome / (outcome + this outcome), n_eff scaled by their sum."},
    )
    population_preference = ma.fields.List(
        ma.fields.Enum(Population, by_value=True), load_default=list,
        metadata={"description": "Repeatable, in order of preference: which population to keep when a poll reports "
                                 "several (default adults, registered_voters, likely_voters, other)."},
    )
    drop_overlapping_tracking = ma.fields.Boolean(
        load_default=True, metadata={"description": "Keep only non-overlapping releases of tracking polls."}
    )
    exclude_pollster = ma.fields.List(
        ma.fields.String(validate=SLUG), load_default=list,
        metadata={"description": "Pollster slug to leave out (repeatable)."},
    )
    start_date = ma.fields.Date(load_default=None, metadata={"description": "First day of the grid; polls with an "
                                                                            "earlier field midpoint are excluded."})
    end_date = ma.fields.Date(load_default=None, metadata={"description": "Last day of the grid."})
    as_of = DayOrInstant(load_default=None, metadata={"description": (
        "A day (`YYYY-MM-DD`): only polls published on or before it (what was knowable then), on today's data. "
        "An instant (date-time with a UTC offset): " + AS_OF_DESCRIPTION[0].lower() + AS_OF_DESCRIPTION[1:])})
    min_polls = ma.fields.Integer(
        load_default=5, validate=validate.Range(min=2, max=10_000),
        metadata={"description": "Refuse (422) below this many usable polls (default 5)."},
    )
    n_default = ma.fields.Integer(
        load_default=DEFAULT_N, validate=validate.Range(min=10, max=1_000_000),
        metadata={"description": "Effective sample size assumed for polls reporting neither n nor a margin of error, "
                                 "when their pollster has no poll with a known one (default 1000)."},
    )


class TrendArgsSchema(SelectionArgsSchema):
    method = _choice(TREND_METHODS, "kalman", "Trend method: kalman (default), lowess, weighted, rolling.")
    # kalman
    house_effects = _choice(TREND_HOUSE_EFFECTS, None, "kalman: house-effect constraint (default sum_to_zero).")
    reference_pollster = ma.fields.String(load_default=None, validate=SLUG,
                                          metadata={"description": "kalman: with house_effects=reference."})
    house_method = _choice(TREND_HOUSE_METHODS, None, "kalman: joint, two_stage or auto (default).")
    extra_variance = ma.fields.Boolean(load_default=None, metadata={
        "description": "kalman: estimate extra non-sampling variance (default true)."})
    bin_days = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=366), metadata={
        "description": "kalman two-stage: width of the time bins of the house-effect regression (default 7)."})
    # lowess
    frac = ma.fields.Float(load_default=None, allow_nan=False,
                           validate=validate.Range(min=0, max=1, min_inclusive=False),
                           metadata={"description": "lowess: span, share of polls in each local fit (default 0.3)."})
    it = ma.fields.Integer(load_default=None, validate=validate.Range(min=0, max=10),
                           metadata={"description": "lowess: robustifying iterations (default 0)."})
    bootstrap = ma.fields.Integer(load_default=None, validate=validate.Range(min=0, max=2000), metadata={
        "description": "lowess: bootstrap redraws for a sampling-only band, 0 or 20-2000 (default 0)."})
    seed = ma.fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**31 - 1),
                             metadata={"description": "lowess: bootstrap seed (default 0)."})
    # weighted
    half_life_days = ma.fields.Float(load_default=None, allow_nan=False,
                                     validate=validate.Range(min=0, min_inclusive=False, max=3650),
                                     metadata={"description": "weighted: recency half-life (default 14)."})
    n_cap = ma.fields.Float(load_default=None, allow_nan=False,
                            validate=validate.Range(min=0, min_inclusive=False, max=1e7),
                            metadata={"description": "weighted: sample-size cap of the weights (default 2000)."})
    # weighted and rolling
    window_days = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=3650), metadata={
        "description": "weighted (default 90) / rolling (default 30): polls older than this are ignored."})
    # rolling
    k = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=100),
                         metadata={"description": "rolling: number of latest polls averaged (default 5)."})
    # what the response carries (pollapp.services.trend_size): the statistics are the same either way
    step_days = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=3650), metadata={
        "description": f"Days between grid rows: 1 for every day. Default: the smallest step keeping at most "
                       f"{MAX_GRID_POINTS} rows (every day for a series spanning up to {MAX_GRID_POINTS} days); "
                       "the grid's last day is always a row. Estimates at a date do not depend on the step. "
                       "The step used is echoed in `parameters.step_days`."})
    polls = _choice(POLL_LISTS, "auto", (
        f"Which polls `included` and `excluded` list: auto (default: at most {MAX_LISTED_POLLS} each, the latest "
        "included ones, with a warning when some are left out), all, or none. The counts `n_polls_included` "
        "and `n_polls_excluded` are always complete."))


class HouseEffectArgsSchema(SelectionArgsSchema):
    method = _choice(HOUSE_EFFECT_METHODS, "auto",
                     "kalman (joint with the trend), fixed_effects (fast two-stage regression) or auto (default).")
    constraint = _choice(HOUSE_EFFECT_CONSTRAINTS, "sum_to_zero",
                         "Anchor: sum_to_zero (average pollster, default), weighted_sum_to_zero (average poll), "
                         "reference (a named pollster).")
    reference_pollster = ma.fields.String(load_default=None, validate=SLUG,
                                          metadata={"description": "With constraint=reference."})
    bin_days = ma.fields.Integer(load_default=7, validate=validate.Range(min=1, max=366),
                                 metadata={"description": "fixed_effects: time-bin width in days (default 7)."})
    extra_variance = ma.fields.Boolean(load_default=True,
                                       metadata={"description": "kalman: estimate extra non-sampling variance."})


class CompareArgsSchema(StrictSchema):
    poll_a = ma.fields.Integer(required=True, validate=validate.Range(min=1),
                               metadata={"description": "The earlier poll (id)."})
    poll_b = ma.fields.Integer(required=True, validate=validate.Range(min=1),
                               metadata={"description": "The later poll (id)."})
    series = ma.fields.String(load_default=None, validate=SLUG, metadata={
        "description": "Series slug of the outcome (optional when only one series maps both polls)."})
    outcome = ma.fields.String(load_default=None, validate=CODE,
                               metadata={"description": "Series outcome code to compare."})
    question = ma.fields.String(load_default=None, validate=CODE,
                                metadata={"description": "Question code (instead of outcome)."})
    answer = ma.fields.String(load_default=None, validate=CODE,
                              metadata={"description": "Answer code of that question (net answers allowed)."})
    question_b = ma.fields.String(load_default=None, validate=CODE,
                                  metadata={"description": "Question code in poll B, if it differs."})
    answer_b = ma.fields.String(load_default=None, validate=CODE,
                                metadata={"description": "Answer code in poll B, if it differs."})
    level = _level()
    ci_method = _choice(CHANGE_CI_METHODS, "newcomb", "Interval of the difference (default newcomb).")
    test_method = _choice(CHANGE_TEST_METHODS, "agresti-caffo", "Two-sided test (default agresti-caffo).")

    @ma.validates_schema(skip_on_field_errors=True)
    def one_measure(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data["outcome"] is not None and (data["question"] or data["answer"]):
            errors["outcome"] = ["Give either outcome or question and answer, not both."]
        elif data["outcome"] is None:
            for name in ("question", "answer"):
                if not data[name]:
                    errors[name] = ["Required unless outcome is given."]
        if errors:
            raise ma.ValidationError(errors)
