"""Polls as one document: methodology, questions and answers, validated as a whole.

The document rules (each reported with a JSON Pointer to the offending field, all at once):

* ``pct`` within 0-100 (field level);
* single-choice answers of one question, net answers left out, sum to at most 100 + 2 (rounding);
  where they sum to less than 98 the question is marked ``remainder_not_reported`` instead of rejected
  (many sources publish only approve/disapprove);
* a net answer equals the sum of its components +/- 1, and its components are other, non-net answers
  of the same question;
* ``field_end_date >= field_start_date`` and ``publication_date >= field_end_date``;
* sample sizes >= 1 when known, and a question base's ``base_n`` <= the poll's ``sample_size``;
* ``design_effect >= 1``; a poll declared unweighted lists no weighting variables.

The poll as served is :mod:`.polls_out`; the list's query arguments are :mod:`.polls_list_args`.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from pollapp.models import DatePrecision, Mode, Population, SampleType
from pollapp.schemas.common import (
    CODE,
    COUNTRY,
    LANGUAGE,
    SLUG,
    StrictSchema,
    WholeNumber,
    text_field,
    url_field,
)

SUM_TOLERANCE = 2.0  # published percentages are rounded: 100 +/- 2 is still a complete question
NET_TOLERANCE = 1.0
RESPONSE_RATE_FORMULAS = ["RR1", "RR2", "RR3", "RR4", "RR5", "RR6", "other"]


def _enum_field(enum_cls, **kwargs) -> ma.fields.Enum:
    return ma.fields.Enum(enum_cls, by_value=True, **kwargs)


class AnswerInSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=[CODE, validate.Length(max=120)])
    label = ma.fields.String(required=True, validate=validate.Length(min=1, max=1000))
    pct = ma.fields.Float(
        required=True,
        allow_nan=False,
        validate=validate.Range(min=0, max=100),
        metadata={"description": "Percentage as published (0-100)."},
    )
    position = WholeNumber(load_default=None, validate=validate.Range(min=1))
    substantive = ma.fields.Boolean(
        load_default=True, metadata={"description": "False for don't know / refused / hard to say."}
    )
    components = ma.fields.List(
        ma.fields.String(validate=CODE),
        load_default=list,
        metadata={"description": "For a net answer: codes of the answers it sums (e.g. 15% + 30% = 45%)."},
    )
    notes = text_field(load_default=None, allow_none=True)


class QuestionInSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=[CODE, validate.Length(max=120)])
    wording = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=20_000),
        metadata={"description": "Exact wording in the original language."},
    )
    wording_exact = ma.fields.Boolean(
        load_default=True,
        metadata={"description": "False when the source gave only a paraphrase or a translation."},
    )
    wording_en = text_field(load_default=None, allow_none=True)
    language = ma.fields.String(required=True, validate=[LANGUAGE, validate.Length(max=35)])
    preceding_context = text_field(load_default=None, allow_none=True)
    position = WholeNumber(load_default=None, validate=validate.Range(min=1))
    population = _enum_field(Population, load_default=None, allow_none=True)
    base_description = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=1000),
        metadata={"description": "Null for the whole sample, else the subgroup asked (e.g. 'split half A')."},
    )
    base_n = WholeNumber(load_default=None, allow_none=True, validate=validate.Range(min=1))
    split_variant = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    multi_select = ma.fields.Boolean(load_default=False)
    notes = text_field(load_default=None, allow_none=True)
    answers = ma.fields.List(
        ma.fields.Nested(AnswerInSchema), required=True, validate=validate.Length(min=1, max=500)
    )

    @ma.validates_schema(skip_on_field_errors=True)
    def check_answers(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[int | str, Any] = {}
        answers = data["answers"]
        by_code: dict[str, dict[str, Any]] = {}
        for i, answer in enumerate(answers):
            if answer["code"] in by_code:
                errors.setdefault(i, {})["code"] = [f"Duplicate answer code '{answer['code']}'."]
            by_code[answer["code"]] = answer
        for i, answer in enumerate(answers):
            components = answer["components"]
            if not components:
                continue
            problems = []
            for code in components:
                component = by_code.get(code)
                if component is None:
                    problems.append(f"Component '{code}' is not an answer of this question.")
                elif component is answer:
                    problems.append("A net answer cannot be its own component.")
                elif component["components"]:
                    problems.append(f"Component '{code}' is itself a net answer; list its components instead.")
            if len(set(components)) != len(components):
                problems.append("Components are listed more than once.")
            if problems:
                errors.setdefault(i, {})["components"] = problems
                continue
            total = sum(by_code[code]["pct"] for code in components)
            if abs(total - answer["pct"]) > NET_TOLERANCE:
                errors.setdefault(i, {})["pct"] = [
                    f"Net answer {answer['pct']:g} does not equal the sum of its components "
                    f"{total:g} (+/- {NET_TOLERANCE:g})."
                ]
        if not data["multi_select"]:
            total = sum(a["pct"] for a in answers if not a["components"])
            if total > 100 + SUM_TOLERANCE:
                raise ma.ValidationError(
                    {
                        "answers": [
                            f"Answers of a single-choice question sum to {total:g}, more than "
                            f"100 + {SUM_TOLERANCE:g}; net answers must list their components."
                        ]
                    }
                )
        if errors:
            raise ma.ValidationError({"answers": errors})


class PollInSchema(StrictSchema):
    """A poll exactly as the pollster disclosed it, with its questions and answers."""

    pollster = ma.fields.String(required=True, validate=SLUG, metadata={"description": "Pollster slug."})
    partner_pollsters = ma.fields.List(ma.fields.String(validate=SLUG), load_default=list)
    sponsors = ma.fields.List(
        ma.fields.String(validate=SLUG), load_default=list, metadata={"description": "Sponsor slugs."}
    )
    self_sponsored = ma.fields.Boolean(
        load_default=False, metadata={"description": "True when the pollster ran the poll on its own account."}
    )
    field_start_date = ma.fields.Date(required=True)
    field_end_date = ma.fields.Date(required=True)
    field_dates_precision = _enum_field(DatePrecision, load_default=DatePrecision.DAY)
    publication_date = ma.fields.Date(load_default=None, allow_none=True)
    country = ma.fields.String(required=True, validate=COUNTRY)
    region = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    population = _enum_field(Population, required=True)
    population_description = text_field(load_default=None, allow_none=True)
    coverage_exclusions = text_field(load_default=None, allow_none=True)
    sample_size = WholeNumber(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1),
        metadata={"description": "Unweighted number of interviews; null when the source does not give it."},
    )
    sample_type = _enum_field(SampleType, load_default=None, allow_none=True)
    sampling_frame = text_field(load_default=None, allow_none=True)
    recruitment = text_field(load_default=None, allow_none=True)
    data_collection = text_field(load_default=None, allow_none=True)
    modes = ma.fields.List(_enum_field(Mode), load_default=list)
    languages = ma.fields.List(ma.fields.String(validate=LANGUAGE), load_default=list)
    weighted = ma.fields.Boolean(load_default=None, allow_none=True)
    weighting_variables = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=100)), load_default=list)
    design_effect = ma.fields.Float(
        load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(min=1, max=20)
    )
    margin_of_error = ma.fields.Float(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=validate.Range(min=0, max=100, min_inclusive=False),
        metadata={"description": "Reported margin of error, percentage points."},
    )
    confidence_level = ma.fields.Float(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=validate.Range(min=0, max=100, min_inclusive=False, max_inclusive=False),
        metadata={"description": "Confidence level of the reported margin, percent (e.g. 95)."},
    )
    response_rate = ma.fields.Float(
        load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(min=0, max=100)
    )
    response_rate_formula = ma.fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(RESPONSE_RATE_FORMULAS)
    )
    quality_procedures = text_field(load_default=None, allow_none=True)
    limitations = text_field(load_default=None, allow_none=True)
    partisan = ma.fields.Boolean(load_default=False)
    internal = ma.fields.Boolean(load_default=False)
    tracking = ma.fields.Boolean(load_default=False)
    source_url = url_field(load_default=None, allow_none=True)
    report_url = url_field(load_default=None, allow_none=True)
    topline_url = url_field(load_default=None, allow_none=True)
    crosstab_url = url_field(load_default=None, allow_none=True)
    notes = text_field(load_default=None, allow_none=True)
    source = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=80))
    source_id = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    questions = ma.fields.List(
        ma.fields.Nested(QuestionInSchema), required=True, validate=validate.Length(min=1, max=1000)
    )

    @ma.validates_schema(skip_on_field_errors=False)
    def check_poll(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        start, end, published = data.get("field_start_date"), data.get("field_end_date"), data.get("publication_date")
        if start and end and end < start:
            errors["field_end_date"] = [f"Field end {end.isoformat()} is before field start {start.isoformat()}."]
        if end and published and published < end:
            errors["publication_date"] = [
                f"Publication {published.isoformat()} is before field end {end.isoformat()}."
            ]
        if data.get("weighted") is False and data.get("weighting_variables"):
            errors["weighting_variables"] = ["A poll declared unweighted cannot list weighting variables."]
        if (data.get("source") is None) != (data.get("source_id") is None):
            errors["source_id" if data.get("source") else "source"] = [
                "source and source_id go together (the natural key of an imported poll)."
            ]
        n = data.get("sample_size")
        questions = data.get("questions")
        if isinstance(questions, list):
            codes: set[str] = set()
            question_errors: dict[int, Any] = {}
            for i, question in enumerate(questions):
                if not isinstance(question, dict):
                    continue
                code = question.get("code")
                if code in codes:
                    question_errors.setdefault(i, {})["code"] = [f"Duplicate question code '{code}'."]
                codes.add(code)
                base_n = question.get("base_n")
                if n and base_n and base_n > n:
                    question_errors.setdefault(i, {})["base_n"] = [
                        f"Base n {base_n} exceeds the poll's sample size {n}."
                    ]
            if question_errors:
                errors["questions"] = question_errors
        if errors:
            raise ma.ValidationError(errors)

    @ma.post_load
    def fill_positions(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Positions default to the order given; the sum rule's outcome is recorded on the question."""
        for qi, question in enumerate(data.get("questions", []), start=1):
            question["position"] = question["position"] or qi
            for ai, answer in enumerate(question["answers"], start=1):
                answer["position"] = answer["position"] or ai
            if not question["multi_select"]:
                total = sum(a["pct"] for a in question["answers"] if not a["components"])
                question["remainder_not_reported"] = total < 100 - SUM_TOLERANCE
            else:
                question["remainder_not_reported"] = False
        return data


def merge_patch(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """PATCH: top-level fields of ``changes`` replace those of the current document; the merged
    document is then checked as a whole (e.g. a new end date against the stored start date)."""
    merged = {**current, **changes}
    schema = PollInSchema()
    schema.check_poll(merged)
    return schema.fill_positions(merged) if "questions" in changes else merged


def patch_schema() -> PollInSchema:
    """Field-level validation of a PATCH body: any top-level subset, each field complete."""
    return PollInSchema(partial=tuple(PollInSchema().fields))
