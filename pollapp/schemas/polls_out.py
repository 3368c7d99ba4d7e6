"""Polls as served: the poll with its organisations, questions, answers and AAPOR disclosure score,
and the page envelope of the poll list.

These are the contract of ``GET /api/v1/polls`` and ``/polls/{id}``. The list itself is not dumped
through them row by row (:mod:`pollapp.services.poll_rows` builds the same JSON from SQL rows, and a
test checks both agree); they document it and serve single polls.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from pollapp.models import DatePrecision, Population, SampleType
from pollapp.schemas.common import envelope
from pollapp.schemas.organisations import RefSchema
from pollapp.schemas.polls import _enum_field
from pollapp.services.disclosure import assess


class AnswerOutSchema(ma.Schema):
    class Meta:
        ordered = True

    code = ma.fields.String()
    label = ma.fields.String()
    pct = ma.fields.Float()
    position = ma.fields.Integer()
    substantive = ma.fields.Boolean()
    is_net = ma.fields.Boolean()
    components = ma.fields.Function(lambda answer: [c.code for c in answer.components])
    notes = ma.fields.String(allow_none=True)


class QuestionOutSchema(ma.Schema):
    class Meta:
        ordered = True

    id = ma.fields.Integer()
    code = ma.fields.String()
    wording = ma.fields.String()
    wording_exact = ma.fields.Boolean()
    wording_en = ma.fields.String(allow_none=True)
    language = ma.fields.String()
    preceding_context = ma.fields.String(allow_none=True)
    position = ma.fields.Integer()
    population = _enum_field(Population, allow_none=True)
    base_description = ma.fields.String(allow_none=True)
    base_n = ma.fields.Integer(allow_none=True)
    split_variant = ma.fields.String(allow_none=True)
    multi_select = ma.fields.Boolean()
    remainder_not_reported = ma.fields.Boolean(
        metadata={"description": "True when the published answers sum to less than 98%."}
    )
    notes = ma.fields.String(allow_none=True)
    answers = ma.fields.List(ma.fields.Nested(AnswerOutSchema))


class DisclosureItemSchema(ma.Schema):
    class Meta:
        ordered = True

    code = ma.fields.String()
    label = ma.fields.String()
    present = ma.fields.Boolean()


class DisclosureSchema(ma.Schema):
    class Meta:
        ordered = True

    score = ma.fields.Integer(metadata={"description": "Share of AAPOR's 12 immediate-disclosure items present (0-100)."})
    missing = ma.fields.List(ma.fields.String(), metadata={"description": "Labels of the missing items."})
    items = ma.fields.List(ma.fields.Nested(DisclosureItemSchema))


class PollOutSchema(ma.Schema):
    class Meta:
        ordered = True

    id = ma.fields.Integer()
    pollster = ma.fields.Nested(RefSchema)
    partner_pollsters = ma.fields.List(ma.fields.Nested(RefSchema), attribute="partners")
    sponsors = ma.fields.List(ma.fields.Nested(RefSchema))
    self_sponsored = ma.fields.Boolean()
    field_start_date = ma.fields.Date()
    field_end_date = ma.fields.Date()
    field_dates_precision = _enum_field(DatePrecision)
    publication_date = ma.fields.Date(allow_none=True)
    country = ma.fields.String()
    region = ma.fields.String(allow_none=True)
    population = _enum_field(Population)
    population_description = ma.fields.String(allow_none=True)
    coverage_exclusions = ma.fields.String(allow_none=True)
    sample_size = ma.fields.Integer(allow_none=True)
    sample_type = _enum_field(SampleType, allow_none=True)
    sampling_frame = ma.fields.String(allow_none=True)
    recruitment = ma.fields.String(allow_none=True)
    data_collection = ma.fields.String(allow_none=True)
    modes = ma.fields.List(ma.fields.String())
    languages = ma.fields.List(ma.fields.String())
    weighted = ma.fields.Boolean(allow_none=True)
    weighting_variables = ma.fields.List(ma.fields.String())
    design_effect = ma.fields.Float(allow_none=True)
    margin_of_error = ma.fields.Float(allow_none=True)
    confidence_level = ma.fields.Float(allow_none=True)
    response_rate = ma.fields.Float(allow_none=True)
    response_rate_formula = ma.fields.String(allow_none=True)
    quality_procedures = ma.fields.String(allow_none=True)
    limitations = ma.fields.String(allow_none=True)
    partisan = ma.fields.Boolean()
    internal = ma.fields.Boolean()
    tracking = ma.fields.Boolean()
    source_url = ma.fields.String(allow_none=True)
    report_url = ma.fields.String(allow_none=True)
    topline_url = ma.fields.String(allow_none=True)
    crosstab_url = ma.fields.String(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    source = ma.fields.String(allow_none=True)
    source_id = ma.fields.String(allow_none=True)
    disclosure = ma.fields.Nested(DisclosureSchema, metadata={"description": "AAPOR immediate-disclosure completeness."})
    questions = ma.fields.List(ma.fields.Nested(QuestionOutSchema))
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "disclosure":
            return assess(obj)
        return super().get_attribute(obj, attr, default)


PollPageSchema = envelope(PollOutSchema, "PollPage")
