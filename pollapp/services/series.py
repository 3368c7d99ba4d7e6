"""Series: tracked measures, their outcomes, member questions and the points behind a chart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import Conflict, FieldError, InvalidInput, NotFound
from pollapp.models import Question, Series, SeriesMapping, SeriesMember, SeriesOutcome
from pollapp.services.pagination import Page, decode_cursor, encode_cursor


@dataclass
class SeriesView:
    """A series with its summary (poll count, date span, pollsters), ready to serialise."""

    series: Series
    summary: repository.SeriesSummary

    def __getattr__(self, name: str) -> Any:
        if name in ("poll_count", "first_field_end_date", "last_field_end_date", "pollsters"):
            return getattr(self.summary, name)
        return getattr(self.series, name)


def get_series(session: Session, slug: str) -> Series:
    series = repository.series_by_slug(session, slug)
    if series is None:
        raise NotFound(f"No series with slug '{slug}'.")
    return series


def view(session: Session, series: Series) -> SeriesView:
    return SeriesView(series, repository.series_summaries(session, [series.id])[series.id])


def list_series(
    session: Session, *, country: str | None, tag: str | None, cursor: str | None, limit: int
) -> Page[SeriesView]:
    kind = "series:slug"
    after = decode_cursor(cursor, kind, (str,))[0] if cursor else None
    rows, total = repository.list_series(session, country=country, tag=tag, after=after, limit=limit)
    next_cursor = encode_cursor(kind, (rows[limit - 1].slug,)) if len(rows) > limit else None
    rows = rows[:limit]
    summaries = repository.series_summaries(session, [s.id for s in rows])
    return Page([SeriesView(s, summaries[s.id]) for s in rows], next_cursor, total)


def create_series(session: Session, data: dict[str, Any]) -> Series:
    if repository.series_by_slug(session, data["slug"]) is not None:
        raise Conflict(f"A series with slug '{data['slug']}' exists.", [FieldError("/slug", "Already taken.")])
    outcomes = [SeriesOutcome(code=o["code"], label=o["label"], position=i) for i, o in enumerate(data["outcomes"], 1)]
    series = Series(
        slug=data["slug"],
        title=data["title"],
        description=data.get("description"),
        country=data.get("country"),
        tags=list(data.get("tags") or []),
        outcomes=outcomes,
    )
    session.add(series)
    session.flush()
    return series


def update_series(session: Session, series: Series, changes: dict[str, Any]) -> Series:
    """Change ``series`` as loaded by the caller (the UPDATE checks the row version it read)."""
    for key, value in changes.items():
        setattr(series, key, list(value) if key == "tags" else value)
    series.updated_at = _now()  # always an UPDATE, so its version check guards even a no-op edit
    session.flush()
    return series


def delete_series(session: Session, series: Series) -> None:
    session.delete(series)
    session.flush()


def set_member(session: Session, series: Series, question_id: int, outcomes: dict[str, list[str]]) -> SeriesMember:
    """Add a question to a series (or replace its mapping): each outcome sums the listed answer codes.
    ``series`` as loaded by the caller: the series' UPDATE checks the version read then."""
    question = repository.question_by_id(session, question_id)
    if question is None:
        raise InvalidInput("Unknown question.", [FieldError("/question_id", f"No question with id {question_id}.")])
    member = map_question(session, series, question, outcomes, repository.series_member(session, series.id, question_id))
    session.flush()
    return member


def map_question(
    session: Session,
    series: Series,
    question: Question,
    outcomes: dict[str, list[str]],
    member: SeriesMember | None,
) -> SeriesMember:
    """Map ``question``'s answers onto ``series``' outcomes, replacing ``member``'s mapping if given.

    Works on loaded objects without flushing, so bulk loaders can map many questions at once."""
    by_outcome = {o.code: o for o in series.outcomes}
    answers = {a.code: a for a in question.answers}
    errors: list[FieldError] = []
    seen: dict[str, str] = {}
    listed_at: dict[str, tuple[int, str]] = {}  # answer code -> (order listed, JSON pointer)
    for outcome_code, answer_codes in outcomes.items():
        if outcome_code not in by_outcome:
            errors.append(FieldError(f"/outcomes/{outcome_code}", f"The series has no outcome '{outcome_code}'."))
        for i, code in enumerate(answer_codes):
            if code not in answers:
                errors.append(FieldError(f"/outcomes/{outcome_code}/{i}", f"The question has no answer '{code}'."))
            elif code in seen:
                errors.append(
                    FieldError(f"/outcomes/{outcome_code}/{i}", f"Answer '{code}' is already counted in '{seen[code]}'.")
                )
            else:
                seen[code] = outcome_code
                listed_at[code] = (len(listed_at), f"/outcomes/{outcome_code}/{i}")
    for code in seen:  # a net answer already contains its components: mapping both counts them twice
        for component in answers[code].components:
            if component.code in seen:
                pointer = max(listed_at[code], listed_at[component.code])[1]
                errors.append(
                    FieldError(pointer, f"Answer '{component.code}' is part of the net answer '{code}'; map one or the other.")
                )
    if errors:
        raise InvalidInput("The mapping does not fit the series or the question.", errors)
    if member is None:
        member = SeriesMember(series=series, question=question)
        session.add(member)
    member.mappings = [
        SeriesMapping(answer=answers[code], outcome=by_outcome[outcome_code])
        for outcome_code, codes in outcomes.items()
        for code in codes
    ]
    series.updated_at = _now()
    return member


def remove_member(session: Session, series: Series, question_id: int) -> None:
    slug = series.slug
    member = repository.series_member(session, series.id, question_id)
    if member is None:
        raise NotFound(f"Question {question_id} is not in series '{slug}'.")
    session.delete(member)
    series.updated_at = _now()
    session.flush()


def members(session: Session, slug: str) -> list[dict[str, Any]]:
    series = get_series(session, slug)
    return [_member(member) for member in repository.series_members(session, series.id)]


def member(session: Session, slug: str, question_id: int) -> dict[str, Any]:
    """One member of the series (404 if the question is not in it)."""
    series = get_series(session, slug)
    found = repository.series_member(session, series.id, question_id)
    if found is None:
        raise NotFound(f"Question {question_id} is not a member of series '{slug}'.")
    return _member(found)


def _member(member: SeriesMember) -> dict[str, Any]:
    mapping: dict[str, list[str]] = {}
    for m in sorted(member.mappings, key=lambda m: (m.outcome.position, m.answer.position)):
        mapping.setdefault(m.outcome.code, []).append(m.answer.code)
    return {"question_id": member.question_id, "poll_id": member.question.poll_id, "outcomes": mapping}


def points_page(
    session: Session,
    slug: str,
    filters: repository.PointFilters,
    *,
    cursor: str | None,
    limit: int,
    as_of: dt.datetime | None = None,
) -> Page[dict[str, Any]]:
    """A page of the series' points, now or (``as_of``) as served at that instant."""
    from pollapp.services import history_asof

    series = get_series(session, slug)
    kind = f"points:{slug}"
    after = decode_cursor(cursor, kind, (dt.date, int, int, int)) if cursor else None
    if as_of is not None:
        rows, total = history_asof.series_points(session, series, filters, as_of=as_of, after=after, limit=limit)
    else:
        rows, total = repository.series_points(session, series.id, filters, after=after, limit=limit)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(
            kind, (last["field_end_date"], last["poll_id"], last["question_id"], last["outcome_position"])
        )
    return Page([_point(r) for r in rows[:limit]], next_cursor, total)


def _point(row: dict[str, Any]) -> dict[str, Any]:
    """A point as ``PointSchema`` dumps it, ready for orjson (:func:`pagination.page_json`): enums by
    value, the float columns as floats (a sum of integer percentages may come back as an integer)."""
    point = {name: row[name] for name in repository.POINT_COLUMNS}
    for name in ("field_dates_precision", "population", "sample_type"):
        value = point[name]
        point[name] = getattr(value, "value", value)
    for name in ("pct", "design_effect", "margin_of_error"):
        if point[name] is not None:
            point[name] = float(point[name])
    return point


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
