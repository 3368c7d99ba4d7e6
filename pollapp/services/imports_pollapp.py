"""Import pollapp's own poll layout (CSV or JSON, :mod:`pollapp.services.poll_layout`): exactly what
``GET /api/v1/polls.csv`` and ``/polls.json`` produce, and the seed layout of ``data/polls/*.csv``.

Natural keys (what makes a re-import idempotent):

1. ``source`` + ``source_id`` when the poll has them (every imported or seeded poll);
2. in a CSV without a ``source`` column (the seed layout): ``pollapp-data`` + ``poll_key``;
3. otherwise (a poll created through the API, exported, re-imported): the stored poll without a
   source that has the same pollster and field dates and shares at least one question wording.
   Several such polls make the match ambiguous: reported as a problem (give the polls a source and
   source_id). Two polls of one file that would match each other are reported likewise.

Organisations named in the file and unknown to pollapp are created from the ``*_name(s)`` columns; an
existing pollster or sponsor is used as it is, never overwritten. Series must exist (their titles and
outcomes are not in a poll file): ``series``/``outcome`` add or update the question's membership;
memberships the file does not mention are left alone.

All or nothing: every problem is collected (row and column, up to ``MAX_PROBLEMS``, with the total)
and raised as one :class:`InvalidInput`; the caller rolls back. Validation is injected (the same
schemas as the API), so this module stays free of the HTTP layer.

This module is the import itself (validate, create organisations, match, write, map into series); the
file is read by :mod:`.imports_pollapp_csv` or :mod:`.imports_pollapp_json` into the records of
:mod:`.imports_pollapp_records`, and matched by :mod:`.imports_pollapp_match`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import DomainError, FieldError
from pollapp.models import Poll, Pollster, Sponsor
from pollapp.services import polls as poll_service
from pollapp.services import series as series_service
from pollapp.services.imports_fte import ImportReport, Validators
from pollapp.services.imports_pollapp_csv import read_csv
from pollapp.services.imports_pollapp_json import read_json
from pollapp.services.imports_pollapp_match import _match
from pollapp.services.imports_pollapp_records import FileProblems, _Record


def import_csv(session: Session, text: str, name: str, validators: Validators) -> ImportReport:
    problems = FileProblems(name)
    rows, records = read_csv(text, name, problems)
    return _import(session, records, rows, validators, problems, "pollapp")


def import_json(session: Session, text: str, name: str, validators: Validators) -> ImportReport:
    problems = FileProblems(name)
    rows, records = read_json(text, name, problems)
    return _import(session, records, rows, validators, problems, "pollapp-json")


def _import(
    session: Session, records: list[_Record], rows: int, validators: Validators, problems: FileProblems, fmt: str
) -> ImportReport:
    if not records and not problems.total:
        problems.add(2 if fmt == "pollapp" else None, None, "the file holds no polls (only a header, or an empty array).")
    for record in records:
        if record.broken:
            continue
        try:
            record.valid = validators.poll(record.raw())
        except DomainError as exc:
            for error in exc.errors or [FieldError(None, exc.detail)]:
                path = [p.replace("~1", "/").replace("~0", "~") for p in (error.pointer or "").strip("/").split("/") if p]
                problems.at(record, path, error.message)
    valid = [r for r in records if r.valid is not None]
    report = ImportReport(rows=rows, format=fmt)
    with session.no_autoflush:
        series = _series(session, valid, problems)
        _organisations(session, valid, "pollster", validators, report, problems)
        _organisations(session, valid, "sponsor", validators, report, problems)
        problems.raise_if_any()
        session.flush()
        matched = _match(session, valid, problems)
        problems.raise_if_any()
        slugs = {s for r in valid for s in [r.valid["pollster"], *r.valid["partner_pollsters"]]}  # type: ignore[index]
        sponsors = {s for r in valid for s in r.valid["sponsors"]}  # type: ignore[index]
        organisations = poll_service.organisations_by_slug(session, sorted(slugs), sorted(sponsors))
        stored: list[tuple[_Record, Poll]] = []
        for record, existing in matched:
            doc = record.valid
            assert doc is not None
            try:
                if existing is None:
                    poll = poll_service.create_poll(session, doc, flush=False, organisations=organisations)
                    status = "created"
                elif poll_service.poll_document(existing) == poll_service.normalized_document(doc):
                    poll, status = existing, "unchanged"
                else:
                    poll, status = poll_service.replace_poll(session, existing, doc, organisations=organisations), "updated"
            except DomainError as exc:
                for error in exc.errors or [FieldError(None, exc.detail)]:
                    problems.at(record, [p for p in (error.pointer or "").strip("/").split("/") if p], error.message)
                continue
            report.count("polls", status)
            stored.append((record, poll))
        problems.raise_if_any()
        session.flush()
        _memberships(session, stored, series, report, problems)
    problems.raise_if_any()
    session.flush()
    return report


def _organisations(
    session: Session, records: list[_Record], kind: str, validators: Validators, report: ImportReport, problems: FileProblems
) -> None:
    """Create the pollsters (or sponsors) the file names and pollapp does not know, from their names."""
    wanted: dict[str, tuple[_Record, list[str], str | None]] = {}  # slug -> first record, its path, name
    for record in records:
        doc = record.valid
        assert doc is not None
        if kind == "pollster":
            entries = [(doc["pollster"], ["pollster"])] + [(s, ["partner_pollsters", str(i)]) for i, s in enumerate(doc["partner_pollsters"])]
            names = record.pollster_names
        else:
            entries = [(s, ["sponsors", str(i)]) for i, s in enumerate(doc["sponsors"])]
            names = record.sponsor_names
        for slug, path in entries:
            first = wanted.get(slug)
            if first is None or (first[2] is None and names.get(slug)):
                wanted[slug] = (record, path, names.get(slug))
    finder = repository.pollsters_by_slugs if kind == "pollster" else repository.sponsors_by_slugs
    existing = finder(session, list(wanted))
    model = Pollster if kind == "pollster" else Sponsor
    validate = validators.pollster if kind == "pollster" else validators.sponsor
    for slug, (record, path, name) in wanted.items():
        if slug in existing:
            report.count(kind + "s", "unchanged")
            continue
        if not name:
            column = {"pollster": "pollster_name", "sponsors": "sponsor_names"}.get(path[0], "partner_pollster_names")
            problems.at(record, path, f"pollapp has no {kind} '{slug}' and the file gives no name to create it: fill "
                        f"{column} or create the {kind} first (POST /api/v1/{kind}s).")
            continue
        try:
            session.add(model(**validate({"slug": slug, "name": name, "notes": "Created by a pollapp file import."})))
        except DomainError as exc:
            for error in exc.errors or [FieldError(None, exc.detail)]:
                problems.at(record, path, f"cannot create {kind} '{slug}' ({name}): {error.pointer or ''} {error.message}".strip())
            continue
        report.count(kind + "s", "created")


def _series(session: Session, records: list[_Record], problems: FileProblems) -> dict[str, Any]:
    """The series the file maps answers onto; each must exist and have the outcome named."""
    slugs = {slug for r in records for q in r.questions for a in q.answers for slug, _ in a.series}
    found = repository.series_by_slugs(session, sorted(slugs))
    for record in records:
        for qi, question in enumerate(record.questions):
            for ai, answer in enumerate(question.answers):
                for si, (slug, outcome) in enumerate(answer.series):
                    path = ["questions", str(qi), "answers", str(ai), "series", str(si)]
                    series = found.get(slug)
                    if series is None:
                        problems.at(record, path if record.index is not None else _csv_path(qi, ai, "series"),
                                    f"no series '{slug}'; create it first (POST /api/v1/series, or series.json with flask data load).")
                    elif outcome not in {o.code for o in series.outcomes}:
                        problems.at(record, path if record.index is not None else _csv_path(qi, ai, "outcome"),
                                    f"series '{slug}' has no outcome '{outcome}' (it has {', '.join(o.code for o in series.outcomes)}).")
    return found


def _csv_path(qi: int, ai: int, column: str) -> list[str]:
    return ["questions", str(qi), "answers", str(ai), column]


def _memberships(
    session: Session, stored: list[tuple[_Record, Poll]], series: dict[str, Any], report: ImportReport, problems: FileProblems
) -> None:
    """Add or update the series memberships the file gives (answers -> outcomes, per question)."""
    existing = repository.series_members_of_polls(session, [p.id for _, p in stored])
    members = {(m.series_id, m.question_id): m for m in existing}
    for record, poll in stored:
        questions = {q.code: q for q in poll.questions}
        for qi, question in enumerate(record.questions):
            wanted: dict[str, dict[str, list[str]]] = {}
            for answer in question.answers:
                for slug, outcome in answer.series:
                    wanted.setdefault(slug, {}).setdefault(outcome, []).append(answer.doc.get("code", ""))
            for slug, outcomes in sorted(wanted.items()):
                target, stored_question = series[slug], questions[question.doc["code"]]
                current = members.get((target.id, stored_question.id))
                if current is not None:
                    have: dict[str, list[str]] = {}
                    for m in current.mappings:
                        have.setdefault(m.outcome.code, []).append(m.answer.code)
                    if {o: sorted(c) for o, c in have.items()} == {o: sorted(c) for o, c in outcomes.items()}:
                        report.count("series members", "unchanged")
                        continue
                try:
                    series_service.map_question(session, target, stored_question, outcomes, current)
                except DomainError as exc:
                    for error in exc.errors or [FieldError(None, exc.detail)]:
                        path = ["questions", str(qi), "answers", "0", "series"] if record.index is not None else _csv_path(qi, 0, "series")
                        problems.at(record, path, f"series '{slug}': {error.message}")
                    continue
                report.count("series members", "created" if current is None else "updated")
