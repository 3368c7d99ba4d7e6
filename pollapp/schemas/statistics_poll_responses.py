"""Statistics of single polls, the documented response shapes: every answer's interval (with the
simultaneous intervals and the lead) and the change between two polls.

Units: every share, bound, margin and effect is in percentage points (``*_pct``), as the rest of
the API; ``n_eff`` is an effective sample size; ``level`` a confidence level between 0 and 1.

The ordered base and the sample-size fields are shared with the series responses
(:mod:`.statistics_series_responses`), which is why they live here, below them.
"""

from __future__ import annotations

import marshmallow as ma


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
