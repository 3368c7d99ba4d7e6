"""Series: a tracked measure across polls, its outcomes, member questions and points."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from pollapp.models import Population
from pollapp.schemas.common import (
    CODE,
    COUNTRY,
    SLUG,
    PageArgsSchema,
    StrictSchema,
    WholeNumber,
    as_of_field,
    envelope,
    text_field,
)


class OutcomeSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=[CODE, validate.Length(max=120)])
    label = ma.fields.String(required=True, validate=validate.Length(min=1, max=300))


class SeriesInSchema(StrictSchema):
    slug = ma.fields.String(required=True, validate=[SLUG, validate.Length(max=120)])
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=300))
    description = text_field(load_default=None, allow_none=True)
    country = ma.fields.String(load_default=None, allow_none=True, validate=COUNTRY)
    tags = ma.fields.List(ma.fields.String(validate=[CODE, validate.Length(max=80)]), load_default=list)
    outcomes = ma.fields.List(
        ma.fields.Nested(OutcomeSchema), required=True, validate=validate.Length(min=1, max=50)
    )

    @ma.validates_schema(skip_on_field_errors=True)
    def unique_outcomes(self, data: dict[str, Any], **kwargs: Any) -> None:
        seen: set[str] = set()
        for i, outcome in enumerate(data["outcomes"]):
            if outcome["code"] in seen:
                raise ma.ValidationError({"outcomes": {i: {"code": [f"Duplicate outcome '{outcome['code']}'."]}}})
            seen.add(outcome["code"])


class SeriesPatchSchema(StrictSchema):
    title = ma.fields.String(validate=validate.Length(min=1, max=300))
    description = text_field(allow_none=True)
    country = ma.fields.String(allow_none=True, validate=COUNTRY)
    tags = ma.fields.List(ma.fields.String(validate=[CODE, validate.Length(max=80)]))


class CodeMapField(ma.fields.Dict):
    """A dict whose errors point at the offending entry (``/outcomes/ready/0``), not at marshmallow's
    internal ``key``/``value`` split (``/outcomes/ready/value/0``), which is no JSON Pointer."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ma.ValidationError as exc:
            if not isinstance(exc.messages, dict):
                raise
            messages: dict[Any, Any] = {}
            for key, parts in exc.messages.items():
                key_errors, value_errors = parts.get("key", []), parts.get("value", [])
                if isinstance(value_errors, dict):
                    messages[key] = {**value_errors, **({"_schema": key_errors} if key_errors else {})}
                else:
                    messages[key] = [*key_errors, *value_errors]
            raise ma.ValidationError(messages, valid_data=exc.valid_data) from exc


class MemberInSchema(StrictSchema):
    """Add a question to a series: ``{"question_id": 12, "outcomes": {"ready": ["ready_for_some_concessions"]}}``."""

    question_id = WholeNumber(required=True, validate=validate.Range(min=1))
    outcomes = CodeMapField(
        keys=ma.fields.String(validate=CODE),
        values=ma.fields.List(ma.fields.String(validate=CODE), validate=validate.Length(min=1)),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Outcome code -> answer codes of the question summed into it."},
    )


class OutcomeOutSchema(ma.Schema):
    class Meta:
        ordered = True

    code = ma.fields.String()
    label = ma.fields.String()


class SeriesOutSchema(ma.Schema):
    class Meta:
        ordered = True

    slug = ma.fields.String()
    title = ma.fields.String()
    description = ma.fields.String(allow_none=True)
    country = ma.fields.String(allow_none=True)
    tags = ma.fields.List(ma.fields.String())
    outcomes = ma.fields.List(ma.fields.Nested(OutcomeOutSchema))
    poll_count = ma.fields.Integer()
    first_field_end_date = ma.fields.Date(allow_none=True)
    last_field_end_date = ma.fields.Date(allow_none=True)
    pollsters = ma.fields.List(ma.fields.String(), metadata={"description": "Slugs of the pollsters measuring it."})
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class MemberOutSchema(ma.Schema):
    class Meta:
        ordered = True

    question_id = ma.fields.Integer()
    poll_id = ma.fields.Integer()
    outcomes = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))


class SeriesListArgsSchema(PageArgsSchema):
    country = ma.fields.String(load_default=None, validate=COUNTRY)
    tag = ma.fields.String(load_default=None, validate=validate.Length(min=1, max=80))


class PointSchema(ma.Schema):
    """One poll's value for one outcome, with the poll's methodology: the data behind a chart."""

    class Meta:
        ordered = True

    poll_id = ma.fields.Integer()
    question_id = ma.fields.Integer()
    outcome = ma.fields.String()
    pct = ma.fields.Float(metadata={"description": "Sum of the mapped answers, percent as published."})
    pollster = ma.fields.String()
    pollster_name = ma.fields.String()
    field_start_date = ma.fields.Date()
    field_end_date = ma.fields.Date()
    field_dates_precision = ma.fields.String()
    publication_date = ma.fields.Date(allow_none=True)
    country = ma.fields.String()
    population = ma.fields.String()
    sample_size = ma.fields.Integer(allow_none=True, metadata={"description": "The question base's n if given, else the poll's."})
    sample_type = ma.fields.String(allow_none=True)
    modes = ma.fields.List(ma.fields.String())
    design_effect = ma.fields.Float(allow_none=True)
    margin_of_error = ma.fields.Float(allow_none=True)
    partisan = ma.fields.Boolean()
    tracking = ma.fields.Boolean()
    source_url = ma.fields.String(allow_none=True)


class PointsArgsSchema(PageArgsSchema):
    outcome = ma.fields.List(ma.fields.String(validate=CODE), load_default=list)
    pollster = ma.fields.List(ma.fields.String(validate=SLUG), load_default=list)
    population = ma.fields.List(ma.fields.Enum(Population, by_value=True), load_default=list)
    field_date_from = ma.fields.Date(load_default=None)
    field_date_to = ma.fields.Date(load_default=None)
    as_of = as_of_field()


SeriesPageSchema = envelope(SeriesOutSchema, "SeriesPage")
PointPageSchema = envelope(PointSchema, "PointPage")
