"""The data dictionary is complete: every field of every schema and download column has a meaning, every
number a unit, and the rules come from the validators (so it cannot drift from the code)."""

from __future__ import annotations

import pytest

from pollapp.schemas import dictionary, organisations, polls, polls_out, series
from pollapp.services import exports, poll_layout

SCHEMAS = [
    ("poll", polls.PollInSchema, {"questions"}),
    ("poll", polls_out.PollOutSchema, {"questions"}),
    ("question", polls.QuestionInSchema, {"answers"}),
    ("question", polls_out.QuestionOutSchema, {"answers"}),
    ("answer", polls.AnswerInSchema, set()),
    ("answer", polls_out.AnswerOutSchema, set()),
    ("series", series.SeriesInSchema, {"outcomes"}),
    ("series", series.SeriesOutSchema, {"outcomes"}),
    ("outcome", series.OutcomeSchema, set()),
    ("member", series.MemberOutSchema, set()),
    ("pollster", organisations.PollsterInSchema, set()),
    ("pollster", organisations.PollsterOutSchema, set()),
]


@pytest.fixture(scope="module")
def entries():
    return {(e.entity, e.field): e for e in dictionary.entries()}


@pytest.mark.parametrize(("entity", "schema", "nested"), SCHEMAS, ids=[s.__name__ for _, s, _ in SCHEMAS])
def test_every_schema_field_is_in_the_dictionary(entries, entity, schema, nested):
    missing = [name for name in schema().fields if name not in nested and (entity, name) not in entries]
    assert missing == []


def test_every_download_column_is_in_the_dictionary(entries):
    assert [f for e, f in entries if e == "point"] == [f.name for f in exports.FIELDS]
    assert [f for e, f in entries if e == "poll_file"] == [c.name for c in poll_layout.COLUMNS]
    assert set(series.PointSchema().fields) <= {f for e, f in entries if e == "point"}


def test_every_field_has_a_meaning_and_every_number_a_unit(entries):
    no_meaning = [key for key, e in entries.items() if not e.description.strip()]
    no_unit = [key for key, e in entries.items() if e.type in ("integer", "number") and not e.unit]
    assert no_meaning == [] and no_unit == []


def test_rules_are_read_off_the_validators(entries):
    assert entries[("answer", "pct")].allowed == ">= 0 and <= 100"
    assert entries[("poll", "design_effect")].allowed == ">= 1 and <= 20"
    population = entries[("poll", "population")]
    assert population.required and "`registered_voters`" in population.allowed and population.type == "string (code)"
    assert entries[("poll", "sample_size")].nullable and not entries[("poll", "sample_size")].required
    assert entries[("poll", "margin_of_error")].unit == "percentage points"
    assert entries[("poll", "modes")].type == "list of string (code)" and "`face_to_face`" in entries[("poll", "modes")].allowed
    assert entries[("poll", "id")].allowed == "read-only (computed by pollapp)"


def test_a_new_undocumented_field_is_caught(monkeypatch):
    """The completeness test can fail: a field added without a description shows up empty."""
    import marshmallow as ma

    class Extended(polls_out.PollOutSchema):
        mystery_score = ma.fields.Float()

    monkeypatch.setattr(polls_out, "PollOutSchema", Extended)
    entry = {(e.entity, e.field): e for e in dictionary.entries()}[("poll", "mystery_score")]
    assert entry.description == "" and entry.unit == ""


def test_the_datapackage_resource_matches_its_own_table_schema():
    resource = dictionary.datapackage_resource()
    names = [f["name"] for f in resource["schema"]["fields"]]
    assert resource["name"] == "data-dictionary" and resource["profile"] == "tabular-data-resource"
    assert all(list(row) == names for row in resource["data"])
    keys = [(row["entity"], row["field"]) for row in resource["data"]]
    assert len(keys) == len(set(keys))  # the primary key holds
