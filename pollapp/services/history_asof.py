"""A series as pollapp served it at an instant (``as_of``), rebuilt from the revision history.

Each poll that had concerned the series by ``as_of`` is taken at its latest revision recorded by then;
deleted polls and polls not (or no longer) in the series then are dropped. The snapshot holds
everything the current SQL paths read (:mod:`pollapp.services.history`), so the rows built here have
EXACTLY the shapes, types, filters and order of :func:`pollapp.repository.series_points`
(``POINT_COLUMNS`` + ``outcome_position``) and :func:`pollapp.repository.series_outcome_rows`
(``STAT_ROW_COLUMNS``); every consumer (points pages, exports, data versions, statistics) works on
either unchanged. ``as_of`` = now reproduces the current rows (a test checks this on the seed data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.models import DatePrecision, Population, SampleType, Series

SETTLE_SECONDS = 60
"""An instant this far in the past can gain no revision any more (revisions are stamped when their
transaction commits, which takes far less): data for it is immutable and may be cached forever."""


def is_settled(as_of: dt.datetime | None) -> bool:
    return as_of is not None and as_of <= dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=SETTLE_SECONDS)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _enum(cls: type, value: str | None) -> Any:
    return cls(value) if value is not None else None


def _snapshots(session: Session, series: Series, as_of: dt.datetime) -> list[dict[str, Any]]:
    return [
        snap
        for snap in repository.series_snapshots_as_of(session, series.id, as_of)
        if not snap.get("deleted") and series.slug in snap.get("series", {})
    ]


def _measures(snap: dict[str, Any], slug: str) -> Iterator[tuple[dict[str, Any], dict[str, Any], str, int, float]]:
    """(poll document, question, outcome code, outcome position, summed pct) of each mapped outcome."""
    doc = snap["poll"]
    questions = {q["code"]: q for q in doc["questions"]}
    for code, outcomes in snap["series"][slug].items():
        question = questions.get(code)
        if question is None:
            continue
        pcts = {a["code"]: a["pct"] for a in question["answers"]}
        for outcome, spec in outcomes.items():
            values = [pcts[a] for a in spec["answers"] if a in pcts]
            if values:
                yield doc, question, outcome, spec["position"], sum(values)


def series_points(
    session: Session,
    series: Series,
    filters: repository.PointFilters,
    *,
    as_of: dt.datetime,
    after: tuple[dt.date, int, int, int] | None = None,
    limit: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """:func:`pollapp.repository.series_points` as of ``as_of`` (same rows, filters, order, keyset)."""
    rows = []
    for snap in _snapshots(session, series, as_of):
        for doc, question, outcome, position, pct in _measures(snap, series.slug):
            if filters.outcomes and outcome not in filters.outcomes:
                continue
            population = question["population"] or doc["population"]
            start, end = _date(doc["field_start_date"]), _date(doc["field_end_date"])
            if filters.pollsters and doc["pollster"] not in filters.pollsters:
                continue
            if filters.populations and population not in filters.populations:
                continue
            if filters.field_date_from and end < filters.field_date_from:
                continue
            if filters.field_date_to and start > filters.field_date_to:
                continue
            rows.append({
                "poll_id": snap["poll_id"],
                "question_id": snap["question_ids"][question["code"]],
                "outcome": outcome,
                "pct": pct,
                "pollster": doc["pollster"],
                "pollster_name": snap["pollster_name"],
                "field_start_date": start,
                "field_end_date": end,
                "field_dates_precision": _enum(DatePrecision, doc["field_dates_precision"]),
                "publication_date": _date(doc["publication_date"]),
                "country": doc["country"],
                "population": _enum(Population, population),
                "sample_size": question["base_n"] if question["base_n"] is not None else doc["sample_size"],
                "sample_type": _enum(SampleType, doc["sample_type"]),
                "modes": doc["modes"],
                "design_effect": doc["design_effect"],
                "margin_of_error": doc["margin_of_error"],
                "partisan": doc["partisan"],
                "tracking": doc["tracking"],
                "source_url": doc["source_url"],
                "outcome_position": position,
            })
    rows.sort(key=_point_key)
    total = len(rows)
    if after is not None:
        rows = [r for r in rows if _point_key(r) > tuple(after)]
    if limit is not None:
        rows = rows[: limit + 1]
    return rows, total


def _point_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["field_end_date"], row["poll_id"], row["question_id"], row["outcome_position"])


def series_outcome_rows(
    session: Session,
    series: Series,
    outcomes: Sequence[str],
    *,
    as_of: dt.datetime,
    poll_ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """:func:`pollapp.repository.series_outcome_rows` as of ``as_of`` (same rows and order)."""
    wanted = set(outcomes)
    polls = set(poll_ids) if poll_ids is not None else None
    rows = []
    for snap in _snapshots(session, series, as_of):
        if polls is not None and snap["poll_id"] not in polls:
            continue
        for doc, question, outcome, _, pct in _measures(snap, series.slug):
            if outcome not in wanted:
                continue
            rows.append({
                "poll_id": snap["poll_id"],
                "question_id": snap["question_ids"][question["code"]],
                "outcome": outcome,
                "pct": pct,
                "pollster": doc["pollster"],
                "field_start_date": _date(doc["field_start_date"]),
                "field_end_date": _date(doc["field_end_date"]),
                "publication_date": _date(doc["publication_date"]),
                "population": _enum(Population, question["population"] or doc["population"]),
                "poll_sample_size": doc["sample_size"],
                "base_n": question["base_n"],
                "sample_type": _enum(SampleType, doc["sample_type"]),
                "design_effect": doc["design_effect"],
                "margin_of_error": doc["margin_of_error"],
                "confidence_level": doc["confidence_level"],
                "tracking": doc["tracking"],
            })
    rows.sort(key=lambda r: (r["field_end_date"], r["poll_id"], r["question_id"], r["outcome"]))
    return rows
