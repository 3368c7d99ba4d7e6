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
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import DomainError, FieldError, InvalidInput
from pollapp.models import Poll, Pollster, Sponsor
from pollapp.services import poll_layout as layout
from pollapp.services import polls as poll_service
from pollapp.services import series as series_service
from pollapp.services.import_files import csv_reader
from pollapp.services.imports_fte import MAX_PROBLEMS, ImportReport, Problems, Validators

POLL_COLUMNS = {c.field: c.name for c in layout.POLL if c.field}
QUESTION_COLUMNS = {c.field: c.name for c in layout.QUESTION if c.field}
ANSWER_COLUMNS = {c.field: c.name for c in layout.ANSWER if c.field}
JSON_EXTRA_POLL = ("pollster_name", "partner_pollster_names", "sponsor_names")


# ---------------------------------------------------------------- records (one per poll of the file)


@dataclass
class _Answer:
    doc: dict[str, Any]
    line: int | None
    series: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Question:
    doc: dict[str, Any]
    line: int | None
    answers: list[_Answer] = field(default_factory=list)


@dataclass
class _Record:
    """One poll of the file: its raw document, where its parts are in the file, the names it gives."""

    key: str
    line: int | None  # CSV: the poll's first row; JSON: None (located by pointer)
    index: int | None  # JSON: position in the array
    doc: dict[str, Any]
    questions: list[_Question] = field(default_factory=list)
    pollster_names: dict[str, str] = field(default_factory=dict)
    sponsor_names: dict[str, str] = field(default_factory=dict)
    valid: dict[str, Any] | None = None
    broken: bool = False  # its rows disagree or a cell is unusable: reported, not validated further

    def raw(self) -> dict[str, Any]:
        doc = dict(self.doc)
        doc["questions"] = [{**q.doc, "answers": [a.doc for a in q.answers]} for q in self.questions]
        return doc


class FileProblems(Problems):
    """Problems located by row and column (CSV) or by JSON Pointer into the file (JSON)."""

    def at(self, record: _Record, path: list[str], message: str) -> None:
        """Report ``message`` at the document path ``path`` (e.g. ["questions", "0", "base_n"])."""
        if record.index is not None:
            self.total += 1
            if len(self.items) < MAX_PROBLEMS:
                pointer = "/" + "/".join([str(record.index), *path]) if path else f"/{record.index}"
                self.items.append(FieldError(f"{self.name}#{pointer}", message))
            return
        line, column = _locate(record, path)
        self.add(line, column, message)


def _locate(record: _Record, path: list[str]) -> tuple[int | None, str | None]:
    """The CSV row and column a document path comes from."""
    if not path:
        return record.line, None
    if path[0] == "questions" and len(path) > 1 and path[1].isdigit() and int(path[1]) < len(record.questions):
        question = record.questions[int(path[1])]
        rest = path[2:]
        if rest[:1] == ["answers"] and len(rest) > 1 and rest[1].isdigit() and int(rest[1]) < len(question.answers):
            answer = question.answers[int(rest[1])]
            return answer.line, ANSWER_COLUMNS.get(rest[2], rest[2]) if len(rest) > 2 else "answer_code"
        if rest[:1] == ["answers"]:
            return question.line, "answer_code"
        return question.line, QUESTION_COLUMNS.get(rest[0], rest[0]) if rest else "question_code"
    return record.line, POLL_COLUMNS.get(path[0], path[0])


# ---------------------------------------------------------------- reading CSV


def read_csv(text: str, name: str, problems: FileProblems) -> tuple[int, list[_Record]]:
    """Fold the rows into one record per ``poll_key``; returns (data rows, records)."""
    rows = _csv_records(text, name, problems)
    header_line, header = next(rows, (1, []))
    header = [h.strip().lower() for h in header]
    if not header:
        raise InvalidInput(f"{name} has no header row; nothing was imported.", [FieldError(name, "No header row.", row=1)])
    seen: set[str] = set()
    for column in header:
        if column in seen:
            problems.add(header_line, column, "this column appears twice in the header.")
        elif column not in layout.BY_NAME:
            problems.add(header_line, column or "(empty)", f"unknown column; pollapp's poll layout has: {', '.join(layout.NAMES)} (see data/README.md).")
        seen.add(column)
    missing = [c for c in layout.REQUIRED if c not in seen]
    if missing:
        problems.add(header_line, None, f"missing required column(s) {', '.join(missing)}.")
    problems.raise_if_any()
    seed_layout = "source" not in seen
    records: dict[str, _Record] = {}
    poll_columns = [c.name for c in layout.POLL if c.name in seen and c.name != "poll_key"]
    question_columns = [c.name for c in layout.QUESTION if c.name in seen and c.name not in layout.DERIVED]
    first_cells: dict[str, tuple[str | None, ...]] = {}
    question_cells: dict[tuple[str, str], tuple[tuple[str | None, ...], _Question]] = {}
    count = 0
    for line, record in rows:
        count += 1
        if len(record) != len(header):
            problems.add(line, None, f"the row has {len(record)} fields but the header has {len(header)}; check the commas and quotes.")
            continue
        cells = {column: cell for column, cell in zip(header, record) if cell.strip()}
        key = cells.get("poll_key", "").strip()
        if not key:
            problems.add(line, "poll_key", "empty: every row needs the poll_key that groups the rows of its poll.")
            continue
        before = problems.total
        current = _fold_row(records, key, line, cells, seed_layout, problems, poll_columns, question_columns, first_cells, question_cells)
        if problems.total > before and current is not None:
            current.broken = True
    return count, list(records.values())


def _fold_row(
    records: dict[str, _Record],
    key: str,
    line: int,
    cells: dict[str, str],
    seed_layout: bool,
    problems: Problems,
    poll_columns: list[str],
    question_columns: list[str],
    first_cells: dict[str, tuple[str | None, ...]],
    question_cells: dict[tuple[str, str], tuple[tuple[str | None, ...], _Question]],
) -> _Record | None:
    """Add one row to its poll's record: the poll and question columns must agree with the first
    row of the poll and of the question; the answer and its memberships are appended."""
    poll_values = tuple(cells.get(c) for c in poll_columns)
    current = records.get(key)
    if current is None:
        current = records[key] = _new_csv_record(key, line, cells, seed_layout, problems)
        first_cells[key] = poll_values
    elif poll_values != first_cells[key]:
        for column, value, first in zip(poll_columns, poll_values, first_cells[key]):
            if value != first:
                problems.add(line, column, f"'{value or ''}' differs from '{first or ''}' on row {current.line} "
                             f"(same poll_key '{key}'); poll columns must agree on every row of a poll.")
    qcode = cells.get("question_code", "").strip()
    if not qcode:
        problems.add(line, "question_code", "empty: every row needs the code of its question.")
        return current
    q_values = tuple(cells.get(c) for c in question_columns)
    known = question_cells.get((key, qcode))
    if known is None:
        question = _Question(_fields(cells, layout.QUESTION), line)
        current.questions.append(question)
        question_cells[(key, qcode)] = (q_values, question)
    else:
        question = known[1]
    if known is not None and q_values != known[0]:
        for column, value, first in zip(question_columns, q_values, known[0]):
            if value != first:
                problems.add(line, column, f"'{value or ''}' differs from '{first or ''}' on row {question.line} "
                             f"(question '{qcode}'); question columns must agree on every row of a question.")
    answer = _Answer(_fields(cells, layout.ANSWER), line)
    series, outcomes = layout.split_list(cells.get("series", "")), layout.split_list(cells.get("outcome", ""))
    if len(series) != len(outcomes):
        problems.add(line, "outcome", f"{len(outcomes)} outcome(s) for {len(series)} series; give one outcome per series, in the same order.")
    else:
        answer.series = list(zip(series, outcomes))
    question.answers.append(answer)
    return current


def _csv_records(text: str, name: str, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with the line each starts on (quoted newlines span lines); a CSV syntax
    error becomes a problem at its line and ends the reading."""
    reader = csv_reader(io.StringIO(text, newline=""))
    previous = 0
    try:
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if record and any(cell.strip() for cell in record):
                yield start, record
    except csv.Error as exc:
        problems.add(reader.line_num, None, f"unreadable CSV ({exc}); check the quotes around this line.")
        problems.raise_if_any()


def _fields(cells: dict[str, str], columns: tuple[layout.Column, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in columns:
        if column.field is None or column.name in layout.DERIVED or column.name not in cells:
            continue
        value = cells[column.name]
        out[column.field] = layout.split_list(value) if column.type == "list" else value
    return out


def _new_csv_record(key: str, line: int, cells: dict[str, str], seed_layout: bool, problems: Problems) -> _Record:
    doc = _fields(cells, layout.POLL)
    if seed_layout:
        doc["source"], doc["source_id"] = layout.SEED_SOURCE, key
    record = _Record(key, line, None, doc)
    pollster = doc.get("pollster")
    if pollster and "pollster_name" in cells:
        record.pollster_names[pollster] = cells["pollster_name"].strip()
    for names_column, slugs_field in layout.NAME_LISTS.items():
        if names_column not in cells:
            continue
        names, slugs = layout.split_names(cells[names_column]), doc.get(slugs_field, [])
        if len(names) != len(slugs):
            problems.add(line, names_column, f"{len(names)} name(s) for {len(slugs)} {slugs_field.replace('_', ' ')}; "
                         "give one name per slug, in the same order (a ';' inside a name is written '\\;').")
            continue
        target = record.sponsor_names if slugs_field == "sponsors" else record.pollster_names
        for slug, name in zip(slugs, names):
            target.setdefault(slug, name)
    return record


# ---------------------------------------------------------------- reading JSON


def read_json(text: str, name: str, problems: FileProblems) -> tuple[int, list[_Record]]:
    """An array of poll documents (the shape of ``/api/v1/polls.json``)."""
    try:
        items = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(
            f"{name} is not valid JSON; nothing was imported.",
            [FieldError(f"{name}:{exc.lineno}", f"{exc.msg} at line {exc.lineno}, column {exc.colno}.", row=exc.lineno)],
        ) from exc
    if not isinstance(items, list):
        raise InvalidInput(f"{name} is not a JSON array of polls; nothing was imported.",
                           [FieldError(f"{name}#", "The file must hold a JSON array of poll documents (as /api/v1/polls.json).")])
    records = []
    for index, item in enumerate(items):
        record = _Record(str(index), None, index, {})
        if not isinstance(item, dict):
            problems.at(record, [], "Each item must be a poll document (a JSON object).")
            continue
        record.doc = {k: v for k, v in item.items() if k not in ("questions", *JSON_EXTRA_POLL)}
        _json_names(record, item, problems)
        questions = item.get("questions")
        if not isinstance(questions, list):
            record.doc["questions"] = questions  # the validator says what is wrong with it
            records.append(record)
            continue
        for qi, q in enumerate(questions):
            if not isinstance(q, dict) or not isinstance(q.get("answers"), list):
                problems.at(record, ["questions", str(qi)], "A question must be an object with a list of answers.")
                continue
            question = _Question({k: v for k, v in q.items() if k not in ("answers", *layout.DERIVED)}, None)
            for ai, a in enumerate(q["answers"]):
                if not isinstance(a, dict):
                    problems.at(record, ["questions", str(qi), "answers", str(ai)], "An answer must be an object.")
                    continue
                answer = _Answer({k: v for k, v in a.items() if k != "series"}, None)
                for si, entry in enumerate(a.get("series") or []):
                    if not (isinstance(entry, dict) and isinstance(entry.get("series"), str) and isinstance(entry.get("outcome"), str)):
                        problems.at(record, ["questions", str(qi), "answers", str(ai), "series", str(si)],
                                    'Each membership is {"series": slug, "outcome": code}.')
                        continue
                    answer.series.append((entry["series"], entry["outcome"]))
                question.answers.append(answer)
            record.questions.append(question)
        records.append(record)
    return len(items), records


def _json_names(record: _Record, item: dict[str, Any], problems: FileProblems) -> None:
    name = item.get("pollster_name")
    if name is not None:
        if isinstance(name, str) and isinstance(item.get("pollster"), str):
            record.pollster_names[item["pollster"]] = name
        else:
            problems.at(record, ["pollster_name"], "Must be the pollster's name (a string).")
    for names_key, slugs_key in layout.NAME_LISTS.items():
        names, slugs = item.get(names_key), item.get(slugs_key) or []
        if names is None:
            continue
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names) and isinstance(slugs, list) and len(names) == len(slugs)):
            problems.at(record, [names_key], f"Must list one name (a string) per entry of {slugs_key}, in the same order.")
            continue
        target = record.sponsor_names if slugs_key == "sponsors" else record.pollster_names
        for slug, n in zip(slugs, names):
            if isinstance(slug, str):
                target.setdefault(slug, n)


# ---------------------------------------------------------------- the import


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


def _wordings(doc: dict[str, Any]) -> set[str]:
    return {q["wording"] for q in doc["questions"]}


def _match(session: Session, records: list[_Record], problems: FileProblems) -> list[tuple[_Record, Poll | None]]:
    """Each record with the stored poll it updates (None: a new poll), by natural key."""
    known: dict[str, dict[str, Poll]] = {}
    seen_keys: dict[tuple[str, str], _Record] = {}
    keyless = [r for r in records if r.valid and r.valid.get("source") is None]
    candidates: dict[tuple[str, Any, Any], list[Poll]] = {}
    for poll in repository.polls_without_source(session, sorted({r.valid["pollster"] for r in keyless if r.valid})):
        candidates.setdefault((poll.pollster.slug, poll.field_start_date, poll.field_end_date), []).append(poll)
    claimed: dict[int, _Record] = {}
    in_file: dict[tuple[str, Any, Any], list[_Record]] = {}
    out: list[tuple[_Record, Poll | None]] = []
    for record in records:
        doc = record.valid
        assert doc is not None
        if doc.get("source") is not None:
            key = (doc["source"], doc["source_id"])
            if key in seen_keys:
                problems.at(record, ["source_id"], f"source '{key[0]}' and source_id '{key[1]}' are also those of the poll "
                            f"{_where(seen_keys[key])}; each poll appears once.")
                continue
            seen_keys[key] = record
            if doc["source"] not in known:
                known[doc["source"]] = poll_service.polls_from_source(session, doc["source"])
            out.append((record, known[doc["source"]].get(doc["source_id"])))
            continue
        dates = (doc["pollster"], doc["field_start_date"], doc["field_end_date"])
        wordings = _wordings(doc)
        twins = [r for r in in_file.get(dates, []) if _wordings(r.valid) & wordings]  # type: ignore[arg-type]
        if twins:
            problems.at(record, [], f"same pollster, field dates and a question wording as the poll {_where(twins[0])}, and "
                        "neither has a source and source_id to tell them apart; merge them or give them source and source_id.")
            continue
        in_file.setdefault(dates, []).append(record)
        matches = [p for p in candidates.get(dates, []) if {q.wording for q in p.questions} & wordings]
        if len(matches) > 1:
            problems.at(record, [], f"matches {len(matches)} stored polls (ids {', '.join(str(p.id) for p in matches)}) with the same "
                        "pollster, field dates and a question wording; give the polls source and source_id.")
            continue
        if matches and matches[0].id in claimed:
            problems.at(record, [], f"updates the same stored poll {matches[0].id} as {_where(claimed[matches[0].id])}.")
            continue
        if matches:
            claimed[matches[0].id] = record
        out.append((record, matches[0] if matches else None))
    return out


def _where(record: _Record) -> str:
    return f"on row {record.line}" if record.index is None else f"at index {record.index}"


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
