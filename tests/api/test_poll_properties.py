"""Property-based tests (Hypothesis) of POST /api/v1/polls: random and malformed poll documents never
give a 500, a refusal leaves the database exactly as it was, and random valid polls round-trip.

Malformed documents start from the valid synthetic poll and break one to three places in it (a field
deleted or replaced by a random JSON value: wrong types, huge numbers, NaN/Infinity, "NaN" strings,
unicode, NUL characters, nested lists and objects), or are not a poll at all (any JSON value, deeply
nested arrays, bytes that are not JSON). Fixed seed (``derandomize``) and no example database, so
CI runs the same examples every time.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories import PROBLEM, db_fingerprint, poll_doc, simple_question

URL = "/api/v1/polls"
SETTINGS = settings(max_examples=60, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
DELETE = object()

# Where a document can be broken: every top-level field, a question's and an answer's fields.
BASE = poll_doc()
PATHS = [(key,) for key in BASE] + [("questions", 0, key) for key in BASE["questions"][0]] + [
    ("questions", 0, "answers", 0, key) for key in BASE["questions"][0]["answers"][0]
] + [("questions", 0, "answers", 5, "components"), ("questions", 0, "answers", 5, "pct")]

ODD_STRINGS = st.sampled_from([
    "", " ", "\x00", "NaN", "nan", "Infinity", "-Infinity", "1e309", "-0", "0x10", "١٢", "2024-02-30",
    "9999-12-31", "0000-01-01", "kiis\n", "UA\n", "en\n", "KIIS", "🙂", "null", "true", "[]", "{}",
]) | st.integers(min_value=1000, max_value=20_000).map(lambda n: "a" * n)
LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80), st.floats(), ODD_STRINGS,
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=8), inner, max_size=3), max_leaves=8)


def broken(doc: dict[str, Any], changes: list[tuple[tuple, Any]]) -> dict[str, Any]:
    for path, value in changes:
        target: Any = doc
        for step in path[:-1]:
            target = target[step] if isinstance(target, dict) or (isinstance(target, list) and len(target) > step) else None
            if not isinstance(target, (dict, list)):
                break
        else:
            last = path[-1]
            if isinstance(target, dict) or (isinstance(target, list) and isinstance(last, int) and last < len(target)):
                if value is DELETE:
                    target.pop(last) if isinstance(target, list) else target.pop(last, None)
                else:
                    target[last] = value
    return doc


MALFORMED_DOCS = st.lists(
    st.tuples(st.sampled_from(PATHS), st.one_of(st.just(DELETE), JSON_VALUES)), min_size=1, max_size=3,
).map(lambda changes: broken(poll_doc(), changes))


def encoded(value: Any) -> bytes:
    """JSON as a careless client would send it: NaN/Infinity as bare tokens (Python's parser reads them)."""
    return json.dumps(value, allow_nan=True).encode()


BODIES = st.one_of(
    MALFORMED_DOCS.map(encoded),
    JSON_VALUES.map(encoded),
    st.integers(min_value=1, max_value=100_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(min_value=1, max_value=100_000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    st.binary(max_size=200),
)


@settings(SETTINGS, max_examples=150)
@given(body=BODIES)
def test_malformed_polls_never_fail_and_a_refusal_writes_nothing(client, auth, app, pollster, body):
    before = db_fingerprint(app)
    response = client.post(URL, data=body, headers=auth, content_type="application/json")
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    if response.status_code >= 400:
        assert response.mimetype == PROBLEM
        assert db_fingerprint(app) == before
    else:
        assert response.status_code == 201
        assert client.get(response.headers["Location"]).status_code == 200


TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60).filter(
    lambda s: s.strip() == s and s != "")
TENTHS = st.integers(min_value=0, max_value=500).map(lambda tenths: tenths / 10)


@st.composite
def valid_polls(draw) -> dict[str, Any]:
    approve, disapprove = draw(TENTHS), draw(TENTHS)
    question = simple_question(
        code=draw(st.from_regex(r"\A[a-z][a-z0-9]{0,10}(_[a-z0-9]{1,5}){0,2}\Z")),
        wording=draw(TEXT),
        answers=[
            {"code": "approve", "label": draw(TEXT), "pct": approve},
            {"code": "disapprove", "label": draw(TEXT), "pct": disapprove},
            {"code": "dont_know", "label": draw(TEXT), "pct": round(100 - approve - disapprove, 1),
             "substantive": False},
        ],
    )
    return poll_doc(
        sample_size=draw(st.integers(min_value=1, max_value=10**8)),
        design_effect=draw(st.none() | st.floats(min_value=1, max_value=20).map(lambda x: round(x, 2))),
        population_description=draw(TEXT),
        field_start_date=draw(st.dates(min_value=__import__("datetime").date(1936, 1, 1),
                                       max_value=__import__("datetime").date(2030, 12, 31))).isoformat(),
        questions=[question],
    )


def same(posted: Any, served: Any) -> bool:
    """Everything posted is served back (organisations are served as ``{slug, name}`` references)."""
    if isinstance(posted, str) and isinstance(served, dict) and "slug" in served:
        return posted == served["slug"]
    if isinstance(posted, dict):
        return all(same(v, served.get(k)) for k, v in posted.items())
    if isinstance(posted, list):
        return len(posted) == len(served) and all(same(p, s) for p, s in zip(posted, served))
    if isinstance(posted, float) or isinstance(served, float):
        return posted is not None and served is not None and abs(posted - served) < 1e-9
    return posted == served


@SETTINGS
@given(doc=valid_polls())
def test_random_valid_polls_round_trip(client, auth, pollster, doc):
    start, end = doc["field_start_date"], doc["field_end_date"]
    doc["field_end_date"] = doc["publication_date"] = max(start, end)
    response = client.post(URL, json=doc, headers=auth)
    assert response.status_code == 201, response.get_data(as_text=True)[:2000]
    served = client.get(response.headers["Location"]).get_json()
    assert same(doc, served), (doc, served)
