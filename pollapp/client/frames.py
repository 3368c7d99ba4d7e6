"""From the API's JSON to typed pandas DataFrames.

Each frame has a fixed, documented list of columns with a dtype, whatever the rows: an empty result
is an empty frame with the same columns, so code written against a full frame keeps working. Dates
(``*_date``) become ``datetime64[ns]``, timestamps (``*_at``) timezone-aware UTC, numbers float64,
counts and ids int64 (``Int64`` where the API may send null), flags ``boolean``; lists (modes,
tags) stay Python lists. Percentages stay in percentage points (``*_pct``, 0-100) as the API serves them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

# column kinds: "date", "datetime", "float", "int" (never null), "Int" (nullable), "bool", "str", "list"
Spec = dict[str, str]

POLL_COLUMNS: Spec = {
    "id": "int", "pollster": "str", "pollster_name": "str", "partner_pollsters": "list", "sponsors": "list",
    "self_sponsored": "bool", "field_start_date": "date", "field_end_date": "date", "field_dates_precision": "str",
    "publication_date": "date", "country": "str", "region": "str", "population": "str",
    "population_description": "str", "sample_size": "Int", "sample_type": "str", "modes": "list",
    "languages": "list", "weighted": "bool", "design_effect": "float", "margin_of_error": "float",
    "confidence_level": "float", "response_rate": "float", "partisan": "bool", "internal": "bool",
    "tracking": "bool", "source_url": "str", "source": "str", "source_id": "str", "disclosure_score": "Int",
    "n_questions": "int",
}

SERIES_COLUMNS: Spec = {
    "slug": "str", "title": "str", "description": "str", "country": "str", "tags": "list", "outcomes": "list",
    "outcome_labels": "list", "poll_count": "int", "first_field_end_date": "date", "last_field_end_date": "date",
    "pollsters": "list", "created_at": "datetime", "updated_at": "datetime",
}

POINT_COLUMNS: Spec = {
    "poll_id": "int", "question_id": "int", "outcome": "str", "pct": "float", "pollster": "str",
    "pollster_name": "str", "field_start_date": "date", "field_end_date": "date", "field_dates_precision": "str",
    "publication_date": "date", "country": "str", "population": "str", "sample_size": "Int", "sample_type": "str",
    "modes": "list", "design_effect": "float", "margin_of_error": "float", "partisan": "bool", "tracking": "bool",
    "source_url": "str",
}

GRID_COLUMNS: Spec = {
    "date": "date", "estimate_pct": "float", "se_pct": "float", "lower_pct": "float", "upper_pct": "float",
    "filtered_estimate_pct": "float", "filtered_se_pct": "float", "filtered_lower_pct": "float",
    "filtered_upper_pct": "float",
}

HOUSE_EFFECT_COLUMNS: Spec = {
    "pollster": "str", "estimate_pct": "float", "se_pct": "float", "lower_pct": "float", "upper_pct": "float",
    "n_polls": "int",
}

INCLUDED_COLUMNS: Spec = {
    "poll_id": "int", "question_id": "int", "pollster": "str", "field_start_date": "date",
    "field_end_date": "date", "mid_date": "date", "publication_date": "date", "population": "str", "pct": "float",
    "published_pct": "float", "decided_pct": "float", "n": "Int", "n_source": "str", "design_effect": "float",
    "design_effect_source": "str", "n_eff": "float", "house_effect_pct": "float", "house_effect_se_pct": "float",
    "adjusted_pct": "float",
}

_SAMPLE: Spec = {"n": "Int", "n_source": "str", "design_effect": "float", "design_effect_source": "str", "n_eff": "float"}

INTERVAL_COLUMNS: Spec = {
    "question_id": "int", "question": "str", "wording": "str", "multi_select": "bool", **_SAMPLE,
    "small_sample": "bool", "reason": "str", "answer": "str", "label": "str", "pct": "float",
    "substantive": "bool", "is_net": "bool", "components": "list", "lower_pct": "float", "upper_pct": "float",
    "margin_pct": "float", "simultaneous_lower_pct": "float", "simultaneous_upper_pct": "float",
}

_SIDE: Spec = {
    "poll_id": "int", "pollster": "str", "field_start_date": "date", "field_end_date": "date",
    "publication_date": "date", "question_id": "int", "question": "str", "answer": "str", "pct": "float", **_SAMPLE,
}
COMPARE_COLUMNS: Spec = {
    "series": "str", "outcome": "str", "question": "str", "answer": "str",
    "diff_pct": "float", "lower_pct": "float", "upper_pct": "float", "margin_pct": "float", "p_value": "float",
    "significant": "bool", "level": "float", "ci_method": "str", "test_method": "str", "sentence": "str",
    **{f"a_{name}": kind for name, kind in _SIDE.items()},
    **{f"b_{name}": kind for name, kind in _SIDE.items()},
}


def frame(rows: Iterable[Mapping[str, Any]], spec: Spec) -> pd.DataFrame:
    """A DataFrame with exactly ``spec``'s columns, in order and typed (missing keys are null)."""
    rows = list(rows)
    data = {name: _column([row.get(name) for row in rows], kind) for name, kind in spec.items()}
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def _column(values: list[Any], kind: str) -> pd.Series:
    if kind == "date":
        return pd.Series(pd.to_datetime(values, format="ISO8601"), dtype="datetime64[ns]")
    if kind == "datetime":
        return pd.Series(pd.to_datetime(values, format="ISO8601", utc=True), dtype="datetime64[ns, UTC]")
    if kind == "float":
        return pd.Series(values, dtype="float64")
    if kind == "int":
        return pd.Series(values, dtype="int64")
    if kind == "Int":
        return pd.Series(values, dtype="Int64")
    if kind == "bool":
        return pd.Series(values, dtype="boolean")
    if kind == "str":
        return pd.Series(values, dtype="object")
    return pd.Series([list(v) if v is not None else [] for v in values], dtype="object")


def with_attrs(df: pd.DataFrame, meta: Mapping[str, Any]) -> pd.DataFrame:
    """Attach the response's other fields (method, parameters, warnings, ...) as ``df.attrs``."""
    df.attrs.update(meta)
    return df


# ------------------------------------------------------------ flattening


def poll_rows(polls: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per poll: its methodology fields; nested references become slugs."""
    rows = []
    for poll in polls:
        row = dict(poll)
        row["pollster"] = poll["pollster"]["slug"]
        row["pollster_name"] = poll["pollster"]["name"]
        row["partner_pollsters"] = [p["slug"] for p in poll.get("partner_pollsters") or []]
        row["sponsors"] = [s["slug"] for s in poll.get("sponsors") or []]
        row["disclosure_score"] = (poll.get("disclosure") or {}).get("score")
        row["n_questions"] = len(poll.get("questions") or [])
        rows.append(row)
    return rows


def series_rows(series: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for item in series:
        row = dict(item)
        row["outcomes"] = [o["code"] for o in item.get("outcomes") or []]
        row["outcome_labels"] = [o["label"] for o in item.get("outcomes") or []]
        rows.append(row)
    return rows


def interval_rows(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per answer (net answers included), the question's sample fields repeated on each."""
    rows = []
    for question in body["questions"]:
        shared = {k: v for k, v in question.items() if k not in ("answers", "simultaneous", "lead", "code")}
        shared["question"] = question["code"]
        for answer in question["answers"]:
            row = {**shared, **answer, "answer": answer["code"]}
            row.pop("code", None)
            rows.append(row)
    return rows


def compare_row(body: Mapping[str, Any]) -> dict[str, Any]:
    """One row: the measure, the change with its interval and test, then poll A's and B's fields (``a_``, ``b_``)."""
    row = {k: v for k, v in body.items() if k not in ("measure", "poll_a", "poll_b", "warnings", "stats_version")}
    row.update(body.get("measure") or {})
    for side, prefix in (("poll_a", "a_"), ("poll_b", "b_")):
        row.update({prefix + k: v for k, v in (body.get(side) or {}).items()})
    return row
