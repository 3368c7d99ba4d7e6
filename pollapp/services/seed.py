"""Load a data directory in pollapp's seed layout (see ``data/README.md``), idempotently.

Layout:
* ``pollsters.csv`` and ``sponsors.csv``: one organisation per row, upserted by slug;
* ``series.json``: a list of series with their outcomes, upserted by slug;
* ``polls/*.csv``: long format, one row per answer. Poll columns repeat on every row of a poll
  (grouped by ``poll_key``), question columns on every row of a question; ``series`` and
  ``outcome`` columns map an answer onto a series outcome (several answers may share one).

Every poll gets the natural key (``source="pollapp-data"``, ``source_id=poll_key``), so loading the
same files again changes nothing and a corrected file updates only the polls that changed.

Validation is injected by the caller (the CLI passes marshmallow schemas' ``load``), which keeps this
module free of the HTTP contract while using exactly the same rules as the API. All or nothing: any
invalid row raises :class:`InvalidInput` listing every problem, and the caller rolls back.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import DomainError, FieldError, InvalidInput
from pollapp.models import Pollster, Sponsor
from pollapp.services import polls as poll_service
from pollapp.services import series as series_service

SEED_SOURCE = "pollapp-data"
LIST_SEPARATOR = ";"

POLL_COLUMNS = (
    "pollster", "partner_pollsters", "sponsors", "self_sponsored", "field_start_date", "field_end_date",
    "field_dates_precision", "publication_date", "country", "region", "population",
    "population_description", "coverage_exclusions", "sample_size", "sample_type", "sampling_frame",
    "recruitment", "data_collection", "modes", "languages", "weighted", "weighting_variables",
    "design_effect", "margin_of_error", "confidence_level", "response_rate", "response_rate_formula",
    "quality_procedures", "limitations", "partisan", "internal", "tracking", "source_url", "report_url",
    "topline_url", "crosstab_url", "notes",
)  # fmt: skip
LIST_COLUMNS = {"partner_pollsters", "sponsors", "modes", "languages", "weighting_variables", "components", "memberships"}
# Question columns carry a ``question_`` prefix where the poll has a column of the same name.
QUESTION_COLUMNS = {
    "question_code": "code", "question_position": "position", "wording": "wording",
    "wording_exact": "wording_exact", "wording_en": "wording_en", "language": "language",
    "preceding_context": "preceding_context", "question_population": "population",
    "base_description": "base_description", "base_n": "base_n", "split_variant": "split_variant",
    "multi_select": "multi_select", "question_notes": "notes",
}  # fmt: skip
ANSWER_COLUMNS = {
    "answer_code": "code", "answer_label": "label", "pct": "pct", "answer_position": "position",
    "substantive": "substantive", "components": "components", "answer_notes": "notes",
}  # fmt: skip

Validator = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Validators:
    """Callables that validate and deserialize one raw document, raising InvalidInput."""

    pollster: Validator
    sponsor: Validator
    series: Validator
    poll: Validator


@dataclass
class LoadReport:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    rows: int = 0

    def count(self, kind: str, status: str) -> None:
        self.counts.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})[status] += 1

    def lines(self) -> list[str]:
        return [
            f"{kind}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
            for kind, c in self.counts.items()
        ]


def load_directory(session: Session, root: Path, validators: Validators) -> LoadReport:
    """Upsert everything under ``root``; raises InvalidInput (nothing flushed is kept by the caller)."""
    if not root.is_dir():
        raise InvalidInput(f"{root} is not a directory.")
    report = LoadReport()
    problems: list[FieldError] = []
    for name, kind, validate in (
        ("pollsters.csv", "pollster", validators.pollster),
        ("sponsors.csv", "sponsor", validators.sponsor),
    ):
        path = root / name
        if path.exists():
            for line, raw in _csv_rows(path):
                try:
                    _upsert_organisation(session, kind, validate(_clean(raw)), report)
                except InvalidInput as exc:
                    problems.extend(_located(exc, f"{name}:{line}"))
    series_path = root / "series.json"
    if series_path.exists():
        for i, raw in enumerate(json.loads(series_path.read_text(encoding="utf-8"))):
            try:
                _upsert_series(session, validators.series(raw), report)
            except InvalidInput as exc:
                problems.extend(_located(exc, f"series.json[{i}]"))
    _raise(problems)
    context = _PollContext.prefetch(session)
    with session.no_autoflush:
        for path in sorted((root / "polls").glob("*.csv")):
            problems.extend(_load_poll_file(session, path, validators.poll, report, context))
    _raise(problems)
    session.flush()
    return report


def load_poll_file(session: Session, path: Path, validate: Validator) -> LoadReport:
    """Upsert the polls of one poll CSV in the seed layout (the organisations and series it names
    must exist); raises InvalidInput listing every problem (the caller rolls back)."""
    report = LoadReport()
    try:
        report.rows = len(_csv_rows(path))
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path.name} is not UTF-8; nothing was loaded.", [FieldError(path.name, f"{exc}; save it as UTF-8.")]) from exc
    except csv.Error as exc:
        raise InvalidInput(f"{path.name} is not a readable CSV; nothing was loaded.", [FieldError(path.name, str(exc))]) from exc
    context = _PollContext.prefetch(session)
    with session.no_autoflush:
        problems = _load_poll_file(session, path, validate, report, context)
    _raise(problems)
    session.flush()
    return report


@dataclass
class _PollContext:
    """What a bulk load looks up once instead of once per poll: the polls already loaded from this
    source, their series memberships, and the series by slug."""

    known: dict[str, Any]
    members: dict[tuple[int, int], Any]
    series: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def prefetch(cls, session: Session) -> _PollContext:
        known = poll_service.polls_from_source(session, SEED_SOURCE)
        members = repository.series_members_of_polls(session, [p.id for p in known.values()])
        return cls(known, {(m.series_id, m.question_id): m for m in members})

    def series_by_slug(self, session: Session, slug: str) -> Any:
        if slug not in self.series:
            self.series[slug] = series_service.get_series(session, slug)
        return self.series[slug]


def _raise(problems: list[FieldError]) -> None:
    if problems:
        raise InvalidInput(f"{len(problems)} problem(s) in the data; nothing was loaded.", problems)


def _located(exc: DomainError, where: str) -> list[FieldError]:
    if not exc.errors:
        return [FieldError(where, exc.detail)]
    return [FieldError(f"{where}{e.pointer or ''}", e.message) for e in exc.errors]


def _csv_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return [(reader.line_num, row) for row in reader]


def _clean(raw: dict[str, str]) -> dict[str, Any]:
    """CSV cells to a raw document: empty cells are left out (defaults apply), lists are split."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None or value.strip() == "":
            continue
        value = value.strip()
        out[key] = [v.strip() for v in value.split(LIST_SEPARATOR) if v.strip()] if key in LIST_COLUMNS else value
    return out


def _upsert_organisation(session: Session, kind: str, data: dict[str, Any], report: LoadReport) -> None:
    finder = repository.pollster_by_slug if kind == "pollster" else repository.sponsor_by_slug
    existing = finder(session, data["slug"])
    if existing is None:
        session.add((Pollster if kind == "pollster" else Sponsor)(**data))
        session.flush()
        report.count(kind + "s", "created")
        return
    changed = {k: v for k, v in data.items() if getattr(existing, k) != v}
    for key, value in changed.items():
        setattr(existing, key, value)
    report.count(kind + "s", "updated" if changed else "unchanged")


def _upsert_series(session: Session, data: dict[str, Any], report: LoadReport) -> None:
    existing = repository.series_by_slug(session, data["slug"])
    if existing is None:
        series_service.create_series(session, data)
        report.count("series", "created")
        return
    changed = False
    for key in ("title", "description", "country", "tags"):
        if getattr(existing, key) != data.get(key):
            setattr(existing, key, data.get(key))
            changed = True
    labels = {o.code: o for o in existing.outcomes}
    for position, outcome in enumerate(data["outcomes"], start=1):
        current = labels.get(outcome["code"])
        if current is None:
            from pollapp.models import SeriesOutcome

            existing.outcomes.append(SeriesOutcome(code=outcome["code"], label=outcome["label"], position=position))
            changed = True
        elif current.label != outcome["label"] or current.position != position:
            current.label, current.position = outcome["label"], position
            changed = True
    session.flush()
    report.count("series", "updated" if changed else "unchanged")


def _load_poll_file(
    session: Session, path: Path, validate: Validator, report: LoadReport, context: _PollContext
) -> list[FieldError]:
    problems: list[FieldError] = []
    grouped: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for line, raw in _csv_rows(path):
        row = _clean(raw)
        key = row.get("poll_key")
        if not key:
            problems.append(FieldError(f"{path.name}:{line}/poll_key", "Every row needs a poll_key."))
            continue
        grouped.setdefault(key, []).append((line, row))
    for key, rows in grouped.items():
        try:
            raw_doc, memberships = _poll_document(key, rows, path.name)
            status, poll = poll_service.upsert_poll(session, validate(raw_doc), known=context.known)
            report.count("polls", status)
            _apply_memberships(session, poll, memberships, report, context)
        except DomainError as exc:  # e.g. NotFound for a series slug that series.json does not define
            problems.extend(_located(exc, f"{path.name}:{rows[0][0]} (poll {key})"))
    return problems


def _poll_document(
    key: str, rows: list[tuple[int, dict[str, Any]]], filename: str
) -> tuple[dict[str, Any], dict[tuple[str, str], dict[str, list[str]]]]:
    """Fold one poll's rows into a raw poll document and its series memberships."""
    problems: list[FieldError] = []
    first = rows[0][1]
    doc: dict[str, Any] = {name: first[name] for name in POLL_COLUMNS if name in first}
    doc["source"], doc["source_id"] = SEED_SOURCE, key
    questions: dict[str, dict[str, Any]] = {}
    memberships: dict[tuple[str, str], dict[str, list[str]]] = {}
    for line, row in rows:
        for name in POLL_COLUMNS:
            if row.get(name) != first.get(name):
                problems.append(FieldError(f"/{name}", f"line {line}: differs from the poll's first row (line {rows[0][0]})."))
        qcode = row.get("question_code", "")
        question = questions.get(qcode)
        qfields = {target: row[col] for col, target in QUESTION_COLUMNS.items() if col in row}
        if question is None:
            question = questions[qcode] = {**qfields, "answers": []}
        elif any(question.get(t) != v for t, v in qfields.items()):
            problems.append(FieldError(f"/questions/{qcode}", f"line {line}: question columns differ between rows."))
        question["answers"].append({target: row[col] for col, target in ANSWER_COLUMNS.items() if col in row})
        if row.get("series"):
            if not row.get("outcome"):
                problems.append(FieldError("/outcome", f"line {line}: a series needs an outcome."))
                continue
            mapping = memberships.setdefault((row["series"], qcode), {})
            mapping.setdefault(row["outcome"], []).append(row.get("answer_code", ""))
    if problems:
        raise InvalidInput(f"Inconsistent rows for poll {key} in {filename}.", problems)
    doc["questions"] = list(questions.values())
    return doc, memberships


def _apply_memberships(
    session: Session,
    poll: Any,
    memberships: dict[tuple[str, str], dict[str, list[str]]],
    report: LoadReport,
    context: _PollContext,
) -> None:
    questions = {q.code: q for q in poll.questions}
    for (slug, qcode), outcomes in memberships.items():
        question = questions[qcode]
        series = context.series_by_slug(session, slug)
        current = context.members.get((series.id, question.id)) if question.id is not None else None
        wanted = {o: sorted(codes) for o, codes in outcomes.items()}
        if current is not None:
            have: dict[str, list[str]] = {}
            for m in current.mappings:
                have.setdefault(m.outcome.code, []).append(m.answer.code)
            if {o: sorted(c) for o, c in have.items()} == wanted:
                report.count("series members", "unchanged")
                continue
        series_service.map_question(session, series, question, outcomes, current)
        report.count("series members", "created" if current is None else "updated")
