"""The data dictionary: every field of polls, questions, answers, series and the downloads, with its
type, whether it is required, what it may hold, its unit and its meaning.

Why generated: a codebook written by hand drifts from the code the first time a field is added
(FiveThirtyEight's poll files are criticised for having none at all). Here each entry is read off the
marshmallow schemas that validate and serialise the field (type, required, nullable, allowed values,
ranges and lengths), and off the download catalogues (:data:`pollapp.services.exports.FIELDS`,
:data:`pollapp.services.poll_layout.COLUMNS`). Only the prose comes from elsewhere when the schema
has none: the poll file catalogue, whose columns name the document field they hold, then
:data:`DESCRIPTIONS` below. ``tests/schemas/test_dictionary.py`` fails when a field has no meaning
or a number has no unit, so a new field cannot ship undocumented.

Served at ``/docs/data`` (HTML) and ``/docs/data.json``, and shipped inside every series
``datapackage.json`` as the inline resource ``data-dictionary``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import marshmallow as ma
from marshmallow import validate

from pollapp.schemas import organisations, polls, polls_out, series
from pollapp.services import exports, poll_layout

#: Units of numeric fields, by (entity, field). Counts and identifiers say so, so that every
#: number in the dictionary states what it counts.
UNITS: dict[tuple[str, str], str] = {
    ("poll", "id"): "identifier",
    ("poll", "sample_size"): "respondents (unweighted interviews)",
    ("poll", "design_effect"): "ratio (variance of the weighted estimate / simple random sample variance)",
    ("poll", "margin_of_error"): "percentage points",
    ("poll", "confidence_level"): "percent",
    ("poll", "response_rate"): "percent",
    ("question", "id"): "identifier",
    ("question", "position"): "rank (1 = first question of the poll)",
    ("question", "base_n"): "respondents",
    ("answer", "pct"): "percent of the question's base (0-100)",
    ("answer", "position"): "rank (1 = first answer of the question)",
    ("series", "poll_count"): "polls",
    ("member", "question_id"): "identifier",
    ("member", "poll_id"): "identifier",
    ("point", "poll_id"): "identifier",
    ("point", "question_id"): "identifier",
    ("point", "pct"): "percent of the question's base (0-100)",
    ("point", "sample_size"): "respondents",
    ("point", "design_effect"): "ratio",
    ("point", "margin_of_error"): "percentage points",
}

#: Meanings of fields whose schema carries no description and that the poll file does not hold
#: (identifiers, timestamps, derived and series fields).
DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("poll", "id"): "pollapp id of the poll (GET /api/v1/polls/{id}).",
    ("poll", "disclosure"): "AAPOR immediate-disclosure completeness: score (0-100), missing items, every item.",
    ("poll", "created_at"): "When the poll was first stored in pollapp (UTC).",
    ("poll", "updated_at"): "When the poll was last changed in pollapp (UTC).",
    ("question", "id"): "pollapp id of the question (used to map it into a series).",
    ("answer", "is_net"): "True for a net answer, the sum of other answers of the same question.",
    ("series", "slug"): "Identifier of the series in URLs (/api/v1/series/{slug}).",
    ("series", "title"): "Title of the series, as charts show it.",
    ("series", "description"): "What the series measures and how its questions were chosen.",
    ("series", "country"): "ISO 3166-1 alpha-2 code of the country the series is about; null if several.",
    ("series", "tags"): "Topic codes for filtering (e.g. `ukraine`, `war`).",
    ("series", "outcomes"): "The outcomes tracked (code and label), in chart order.",
    ("series", "poll_count"): "Number of live polls with a question in the series.",
    ("series", "first_field_end_date"): "Field end date of the series' earliest poll.",
    ("series", "last_field_end_date"): "Field end date of the series' latest poll.",
    ("series", "created_at"): "When the series was created in pollapp (UTC).",
    ("series", "updated_at"): "When the series' definition last changed (UTC).",
    ("outcome", "code"): "Code of the outcome (e.g. `yes`, `approve`), used in `outcome=` parameters.",
    ("outcome", "label"): "Label of the outcome, as charts and downloads show it.",
    ("member", "question_id"): "The poll question mapped into the series.",
    ("member", "poll_id"): "The poll that asked it.",
    ("member", "outcomes"): "Outcome code -> the answer codes summed into it (e.g. `yes`: [`definitely`, `rather`]).",
    ("pollster", "slug"): "Identifier of the pollster in URLs and filters.",
    ("pollster", "name"): "Name of the pollster, to be credited with its figures.",
    ("pollster", "country"): "ISO 3166-1 alpha-2 code of the pollster's home country.",
    ("pollster", "website"): "The pollster's website.",
    ("pollster", "memberships"): "Transparency initiatives and associations the pollster belongs to (e.g. AAPOR TI, ESOMAR).",
    ("pollster", "notes"): "Notes about the pollster (ownership, known affiliations).",
    ("pollster", "created_at"): "When the pollster was added to pollapp (UTC).",
    ("pollster", "updated_at"): "When the pollster's record last changed (UTC).",
}


@dataclass(frozen=True)
class Entry:
    """One field of one entity (or one column of one download)."""

    entity: str
    field: str
    type: str
    required: bool
    nullable: bool
    allowed: str
    unit: str
    description: str


@dataclass(frozen=True)
class Entity:
    name: str
    title: str
    summary: str


ENTITIES: tuple[Entity, ...] = (
    Entity("poll", "Poll", "A published poll with its methodology (body of POST /api/v1/polls, item of GET /api/v1/polls)."),
    Entity("question", "Question", "One question of a poll, with its exact wording and base."),
    Entity("answer", "Answer", "One published answer share of a question."),
    Entity("series", "Series", "A tracked measure: questions of many polls mapped onto common outcomes."),
    Entity("outcome", "Series outcome", "One outcome a series tracks."),
    Entity("member", "Series member", "A poll question mapped into a series (which answers count towards which outcome)."),
    Entity("pollster", "Pollster", "A polling organisation (sponsors have the same fields)."),
    Entity("point", "Series point / series download (long)", "One row of GET /api/v1/series/{slug}/points and of data.csv: "
           "one poll question and outcome, with the methodology columns."),
    Entity("poll_file", "Poll file (polls.csv)", "One row per answer of GET /api/v1/polls.csv, re-importable by "
           "`flask data import` and POST /api/v1/imports."),
)


def entries() -> list[Entry]:
    """Every entry, entity by entity, fields in the order the API serves them."""
    out: list[Entry] = []
    out += _schema_entries("poll", polls.PollInSchema(), polls_out.PollOutSchema(), skip={"questions"})
    out += _schema_entries("question", polls.QuestionInSchema(), polls_out.QuestionOutSchema(), skip={"answers"})
    out += _schema_entries("answer", polls.AnswerInSchema(), polls_out.AnswerOutSchema())
    out += _schema_entries("series", series.SeriesInSchema(), series.SeriesOutSchema(), skip={"outcomes"})
    out += _schema_entries("outcome", series.OutcomeSchema(), series.OutcomeOutSchema())
    out += _schema_entries("member", series.MemberInSchema(), series.MemberOutSchema())
    out += _schema_entries("pollster", organisations.PollsterInSchema(), organisations.PollsterOutSchema())
    out += list(_point_entries())
    out += list(_poll_file_entries())
    return out


def as_json() -> dict[str, Any]:
    """The dictionary as served at ``/docs/data.json``."""
    return {
        "entities": [asdict(e) for e in ENTITIES],
        "fields": [asdict(e) for e in entries()],
    }


def table_schema() -> dict[str, Any]:
    """Frictionless Table Schema of the dictionary's own rows (for the inline datapackage resource)."""
    return {
        "fields": [
            {"name": "entity", "type": "string", "description": "Entity (poll, question, ...) or download the field belongs to."},
            {"name": "field", "type": "string", "description": "Field or column name, as in the API and the files."},
            {"name": "type", "type": "string", "description": "Value type (string, integer, number, boolean, date, datetime, list of ..., object)."},
            {"name": "required", "type": "boolean", "description": "Must be given when writing (POST/PUT or import)."},
            {"name": "nullable", "type": "boolean", "description": "May be null (empty cell in CSV): not published or not applicable."},
            {"name": "allowed", "type": "string", "description": "Allowed values, range or length."},
            {"name": "unit", "type": "string", "description": "Unit of a number."},
            {"name": "description", "type": "string", "description": "Meaning of the field."},
        ],
        "primaryKey": ["entity", "field"],
    }


def datapackage_resource() -> dict[str, Any]:
    """The dictionary as an inline tabular resource of a Data Package."""
    rows = [asdict(e) for e in entries()]
    return {
        "name": "data-dictionary",
        "title": "pollapp data dictionary (also served at /docs/data)",
        "profile": "tabular-data-resource",
        "data": rows,
        "schema": table_schema(),
    }


# ------------------------------------------------------------------ reading the schemas


def _schema_entries(entity: str, schema_in: ma.Schema, schema_out: ma.Schema, skip: set[str] = frozenset()) -> list[Entry]:
    """Fields of the output schema in serving order, then input-only fields; rules from the input."""
    names = [n for n in schema_out.fields if n not in skip]
    names += [n for n in schema_in.fields if n not in names and n not in skip]
    catalogue = _catalogue(entity)
    result = []
    for name in names:
        field_in = schema_in.fields.get(name)
        field_out = schema_out.fields.get(name)
        field = field_in or field_out
        description = (
            _meta(field_in, "description") or _meta(field_out, "description")
            or DESCRIPTIONS.get((entity, name)) or catalogue.get(name, "")
        )
        result.append(
            Entry(
                entity=entity,
                field=name,
                type=_type_name(field),
                required=bool(field_in and field_in.required),
                nullable=bool(field_in.allow_none if field_in else field_out.allow_none),
                allowed=_allowed(field_in) if field_in else "read-only (computed by pollapp)",
                unit=_meta(field, "unit") or UNITS.get((entity, name), ""),
                description=description,
            )
        )
    return result


def _catalogue(entity: str) -> dict[str, str]:
    """Descriptions from the poll file catalogue, keyed by the document field each column holds."""
    if entity not in ("poll", "question", "answer"):
        return {}
    return {c.field: c.description for c in poll_layout.COLUMNS if c.level == entity and c.field}


def _meta(field: ma.fields.Field | None, key: str) -> str:
    return str(field.metadata.get(key, "")) if field is not None else ""


_TYPES: tuple[tuple[type, str], ...] = (
    (ma.fields.AwareDateTime, "datetime"),
    (ma.fields.DateTime, "datetime"),
    (ma.fields.Date, "date"),
    (ma.fields.Url, "string (URL)"),
    (ma.fields.Enum, "string (code)"),
    (ma.fields.Integer, "integer"),
    (ma.fields.Float, "number"),
    (ma.fields.Boolean, "boolean"),
    (ma.fields.String, "string"),
    (ma.fields.Nested, "object"),
    (ma.fields.Dict, "object"),
)


def _type_name(field: ma.fields.Field) -> str:
    if isinstance(field, ma.fields.List):
        return f"list of {_type_name(field.inner)}"
    if isinstance(field, ma.fields.Nested) and field.many:
        return "list of object"
    for cls, name in _TYPES:
        if isinstance(field, cls):
            return name
    return "derived"


def _allowed(field: ma.fields.Field) -> str:
    """Allowed values, ranges and lengths, read off the field's validators (and its inner field's)."""
    parts: list[str] = []
    if isinstance(field, ma.fields.Enum):
        parts.append("one of " + ", ".join(f"`{m.value}`" for m in field.enum))
    if isinstance(field, ma.fields.List):
        inner = _allowed(field.inner)
        if inner:
            parts.append(f"each: {inner}")
    for rule in _validators(field):
        text = _rule_text(rule)
        if text:
            parts.append(text)
    return "; ".join(parts)


def _validators(field: ma.fields.Field) -> Iterator[Any]:
    yield from field.validators


def _rule_text(rule: Any) -> str:
    if isinstance(rule, validate.OneOf):
        return "one of " + ", ".join(f"`{c}`" for c in rule.choices)
    if isinstance(rule, validate.Range):
        low = "" if rule.min is None else f"{'>=' if rule.min_inclusive else '>'} {rule.min:g}"
        high = "" if rule.max is None else f"{'<=' if rule.max_inclusive else '<'} {rule.max:g}"
        return " and ".join(p for p in (low, high) if p)
    if isinstance(rule, validate.Length):
        if rule.equal is not None:
            return f"length {rule.equal}"
        low = f"{rule.min}" if rule.min else "0"
        return f"length {low}-{rule.max}" if rule.max is not None else f"length >= {low}"
    if isinstance(rule, validate.Regexp):
        return f"pattern `{rule.regex.pattern}`"
    return ""


def _point_entries() -> Iterator[Entry]:
    for f in exports.FIELDS:
        yield Entry(
            entity="point", field=f.name, type=f.type, required=False,
            nullable=f.name not in ("poll_id", "question_id", "outcome", "pct", "pollster", "pollster_name"),
            allowed="", unit=f.unit or UNITS.get(("point", f.name), ""), description=f.description,
        )


def _poll_file_entries() -> Iterator[Entry]:
    for c in poll_layout.COLUMNS:
        yield Entry(
            entity="poll_file", field=c.name, type=c.type, required=False, nullable=True,
            allowed="", unit=UNITS.get((c.level, c.field or ""), ""), description=f"({c.level}) {c.description}",
        )
