"""Statistics: query arguments (strict) and the documented shapes of intervals, trends, house effects,
adjusted points and comparisons.

Units: every share, bound, margin and effect is in percentage points (``*_pct``), as the rest of
the API; ``n_eff`` is an effective sample size; ``level`` a confidence level between 0 and 1.

The bulk responses (trend grid, included polls, adjusted points) are not dumped through these
schemas (marshmallow costs ~22 us per row); the service builds them column by column from the
DataFrame and these schemas document them (a test checks both give the same JSON).
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


# ---------------------------------------------------------------- arguments


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


# ---------------------------------------------------------------- responses: one poll


class _Ordered(ma.Schema):
    class Meta:
        ordered = True


class AnswerIntervalSchema(_Ordered):
    code = ma.fields.String()
    label = ma.fields.String()
    pct = ma.fields.Float(metadata={"description": "As published."})
    substantive = ma.fields.Boolean()
    is_net = ma.fields.Boolean()
    components = ma.fields.List(ma.fields.String())
    lower_pct = ma.fields.Float(allow_none=True)
    upper_pct = ma.fields.Float(allow_none=True)
    margin_pct = ma.fields.Float(allow_none=True, metadata={"description": "Larger half-width of the interval."})
    simultaneous_lower_pct = ma.fields.Float(allow_none=True, metadata={
        "description": "Simultaneous interval (all answers of the question at once); null for net answers."})
    simultaneous_upper_pct = ma.fields.Float(allow_none=True)


class SimultaneousSchema(_Ordered):
    method = ma.fields.String()
    available = ma.fields.Boolean()
    reason = ma.fields.String(allow_none=True, metadata={"description": "Why there are none, if so."})


class LeadSchema(_Ordered):
    first = ma.fields.String(metadata={"description": "Code of the leading answer."})
    first_label = ma.fields.String()
    first_pct = ma.fields.Float()
    second = ma.fields.String()
    second_label = ma.fields.String()
    second_pct = ma.fields.Float()
    lead_pct = ma.fields.Float()
    se_pct = ma.fields.Float(metadata={"description": "From the multinomial covariance, not the margin doubled."})
    lower_pct = ma.fields.Float()
    upper_pct = ma.fields.Float()
    margin_pct = ma.fields.Float()
    exceeds_margin = ma.fields.Boolean()
    sentence = ma.fields.String()


class _SampleFields(_Ordered):
    n = ma.fields.Integer(allow_none=True, metadata={"description": "Sample size used (question base, else poll)."})
    n_source = ma.fields.String(allow_none=True, metadata={
        "description": "question base | poll sample size | implied by the reported margin of error | "
                       "pollster median | default | null (unknown)."})
    design_effect = ma.fields.Float(allow_none=True)
    design_effect_source = ma.fields.String(allow_none=True, metadata={
        "description": "reported | backed out of the reported margin of error | none reported: 1 assumed | ..."})
    n_eff = ma.fields.Float(allow_none=True, metadata={"description": "Effective sample size n / design effect."})


class QuestionIntervalsSchema(_SampleFields):
    question_id = ma.fields.Integer()
    code = ma.fields.String()
    wording = ma.fields.String()
    multi_select = ma.fields.Boolean()
    remainder_not_reported = ma.fields.Boolean()
    small_sample = ma.fields.Boolean(allow_none=True, metadata={"description": "n_eff below 100."})
    reason = ma.fields.String(allow_none=True, metadata={
        "description": "Why the intervals are null (the sample size is unknown), else null."})
    answers = ma.fields.List(ma.fields.Nested(AnswerIntervalSchema))
    simultaneous = ma.fields.Nested(SimultaneousSchema)
    lead = ma.fields.Nested(LeadSchema, allow_none=True)
    lead_reason = ma.fields.String(allow_none=True)

    class Meta:
        ordered = True
        fields = ("question_id", "code", "wording", "multi_select", "remainder_not_reported", "n", "n_source",
                  "design_effect", "design_effect_source", "n_eff", "small_sample", "reason", "answers",
                  "simultaneous", "lead", "lead_reason")


class PollIntervalsSchema(_Ordered):
    """Every answer of a poll with its interval. With an unknown sample size (and no margin of error to
    infer it from) the answers come back with null intervals and a ``reason``, question by question."""

    poll_id = ma.fields.Integer()
    pollster = ma.fields.String()
    sample_type = ma.fields.String(allow_none=True)
    interval_label = ma.fields.String(metadata={
        "description": "'margin of sampling error' (probability sample) or 'credibility interval' (AAPOR)."})
    label_note = ma.fields.String()
    method = ma.fields.String()
    level = ma.fields.Float()
    simultaneous_method = ma.fields.String()
    stats_version = ma.fields.String()
    questions = ma.fields.List(ma.fields.Nested(QuestionIntervalsSchema))


class CompareSideSchema(_SampleFields):
    poll_id = ma.fields.Integer()
    pollster = ma.fields.String()
    field_start_date = ma.fields.Date()
    field_end_date = ma.fields.Date()
    publication_date = ma.fields.Date(allow_none=True)
    question_id = ma.fields.Integer()
    question = ma.fields.String()
    answer = ma.fields.String(allow_none=True)
    pct = ma.fields.Float()

    class Meta:
        ordered = True
        fields = ("poll_id", "pollster", "field_start_date", "field_end_date", "publication_date", "question_id",
                  "question", "answer", "pct", "n", "n_source", "design_effect", "design_effect_source", "n_eff")


class MeasureSchema(_Ordered):
    series = ma.fields.String(allow_none=True)
    outcome = ma.fields.String(allow_none=True)
    question = ma.fields.String(allow_none=True)
    answer = ma.fields.String(allow_none=True)
    question_b = ma.fields.String()
    answer_b = ma.fields.String()


class CompareSchema(_Ordered):
    """Change from poll A to poll B (B minus A), with its interval, a two-sided test and a sentence."""

    measure = ma.fields.Nested(MeasureSchema)
    poll_a = ma.fields.Nested(CompareSideSchema)
    poll_b = ma.fields.Nested(CompareSideSchema)
    diff_pct = ma.fields.Float()
    lower_pct = ma.fields.Float()
    upper_pct = ma.fields.Float()
    margin_pct = ma.fields.Float(metadata={"description": "Distance from the change to the interval end nearer 0."})
    p_value = ma.fields.Float()
    significant = ma.fields.Boolean(metadata={"description": "The interval excludes zero."})
    level = ma.fields.Float()
    ci_method = ma.fields.String()
    test_method = ma.fields.String()
    sentence = ma.fields.String(metadata={"description": "e.g. 'the 6-point rise is larger than its margin of "
                                                         "error of 4.1 points'"})
    warnings = ma.fields.List(ma.fields.String())
    stats_version = ma.fields.String()


# ---------------------------------------------------------------- responses: series (bulk, documented)


class GridRowSchema(_Ordered):
    """One date of the trend grid (percentage points, rounded to 4 decimals): every day, or every
    ``step_days`` days plus the last day."""

    date = ma.fields.Date()
    estimate_pct = ma.fields.Float(allow_none=True)
    se_pct = ma.fields.Float(allow_none=True)
    lower_pct = ma.fields.Float(allow_none=True, metadata={"description": "Null where the method has no band."})
    upper_pct = ma.fields.Float(allow_none=True)
    filtered_estimate_pct = ma.fields.Float(allow_none=True, metadata={
        "description": "kalman only: real-time estimate from polls up to the day (no look-ahead)."})
    filtered_se_pct = ma.fields.Float(allow_none=True)
    filtered_lower_pct = ma.fields.Float(allow_none=True)
    filtered_upper_pct = ma.fields.Float(allow_none=True)


class IncludedPollSchema(_SampleFields):
    poll_id = ma.fields.Integer()
    question_id = ma.fields.Integer()
    pollster = ma.fields.String()
    field_start_date = ma.fields.Date()
    field_end_date = ma.fields.Date()
    mid_date = ma.fields.Date(metadata={"description": "Field-period midpoint: the poll's date in the trend."})
    publication_date = ma.fields.Date(allow_none=True)
    population = ma.fields.String()
    pct = ma.fields.Float(metadata={"description": "The value used (the decided-only share with decided_against)."})
    published_pct = ma.fields.Float(metadata={"description": "The outcome as published."})
    decided_pct = ma.fields.Float(metadata={"description": "With decided_against: outcome + other outcome."})
    house_effect_pct = ma.fields.Float(metadata={"description": "kalman with house effects / adjusted points."})
    house_effect_se_pct = ma.fields.Float()
    adjusted_pct = ma.fields.Float(metadata={"description": "pct minus the pollster's house effect."})

    class Meta:
        ordered = True
        fields = ("poll_id", "question_id", "pollster", "field_start_date", "field_end_date", "mid_date",
                  "publication_date", "population", "pct", "published_pct", "decided_pct", "n", "n_source",
                  "design_effect", "design_effect_source", "n_eff", "house_effect_pct", "house_effect_se_pct",
                  "adjusted_pct")


class ExcludedPollSchema(_Ordered):
    poll_id = ma.fields.Integer()
    pollster = ma.fields.String()
    reason = ma.fields.String()


class HouseEffectSchema(_Ordered):
    pollster = ma.fields.String()
    estimate_pct = ma.fields.Float()
    se_pct = ma.fields.Float()
    lower_pct = ma.fields.Float()
    upper_pct = ma.fields.Float()
    n_polls = ma.fields.Integer()


class _ComputedSchema(_Ordered):
    series = ma.fields.String()
    outcome = ma.fields.String()
    decided_against = ma.fields.String(allow_none=True)
    method = ma.fields.String()
    parameters = ma.fields.Dict(metadata={"description": "Every parameter used, defaults filled in."})
    fitted_params = ma.fields.Dict(metadata={"description": "Fitted model quantities (stats' own units, as named)."})
    n_polls_included = ma.fields.Integer()
    n_polls_excluded = ma.fields.Integer()
    warnings = ma.fields.List(ma.fields.String())
    data_version = ma.fields.String(metadata={"description": "Digest of the series' data the result was computed on."})
    stats_version = ma.fields.String()
    computed_at = ma.fields.String(metadata={"description": "When the result was computed (it may be served from "
                                                            "the cache later), ISO 8601 UTC."})
    house_effects = ma.fields.List(ma.fields.Nested(HouseEffectSchema), allow_none=True)
    excluded = ma.fields.List(ma.fields.Nested(ExcludedPollSchema))


class TrendSchema(_ComputedSchema):
    """A trend line, computed on a daily grid and reported every ``step_days`` days (by default at
    most 500 rows), with the polls used and left out (by default at most 100 of each: ``polls``).
    Also as CSV (the grid): ``Accept: text/csv`` or ``/trend.csv``."""

    band = ma.fields.String(metadata={"description": "What the band means, in plain words."})
    settings = ma.fields.Dict(metadata={"description": "The method's settings as used (e.g. house_method resolved)."})
    included = ma.fields.List(ma.fields.Nested(IncludedPollSchema))
    grid = ma.fields.List(ma.fields.Nested(GridRowSchema))

    class Meta:
        ordered = True
        fields = ("series", "outcome", "decided_against", "method", "band", "parameters", "settings",
                  "fitted_params", "n_polls_included", "n_polls_excluded", "warnings", "data_version",
                  "stats_version", "computed_at", "house_effects", "excluded", "included", "grid")


class HouseEffectsSchema(_ComputedSchema):
    """House effects per pollster with intervals and poll counts."""

    constraint = ma.fields.String()
    reference_pollster = ma.fields.String(allow_none=True)
    level = ma.fields.Float()
    explanation = ma.fields.String()

    class Meta:
        ordered = True
        fields = ("series", "outcome", "decided_against", "method", "constraint", "reference_pollster", "level",
                  "explanation", "parameters", "fitted_params", "n_polls_included", "n_polls_excluded", "warnings",
                  "data_version", "stats_version", "computed_at", "house_effects", "excluded")


class AdjustedPointsSchema(HouseEffectsSchema):
    """Each included poll with its pollster's house effect and the adjusted value."""

    points = ma.fields.List(ma.fields.Nested(IncludedPollSchema))

    class Meta:
        ordered = True
        fields = (*HouseEffectsSchema.Meta.fields, "points")
