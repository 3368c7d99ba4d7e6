"""Statistics of a series, the documented response shapes: trends, house effects and adjusted points.

Units: every share, bound, margin and effect is in percentage points (``*_pct``), as the rest of
the API; ``n_eff`` is an effective sample size; ``level`` a confidence level between 0 and 1.

The bulk responses (trend grid, included polls, adjusted points) are not dumped through these
schemas (marshmallow costs ~22 us per row); the service builds them column by column from the
DataFrame and these schemas document them (a test checks both give the same JSON).
"""

from __future__ import annotations

import marshmallow as ma

from pollapp.schemas.statistics_poll_responses import _Ordered, _SampleFields


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
