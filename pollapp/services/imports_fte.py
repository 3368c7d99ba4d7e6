"""Import FiveThirtyEight's presidential approval CSV layout (one row per poll x population).

538's approval files (e.g. ``president_approval_polls.csv``) have the columns ``question_id, poll_id,
state, politician_id, politician, pollster_id, pollster, sponsor_ids, sponsors, display_name,
pollster_rating_id, pollster_rating_name, fte_grade, sample_size, population, population_full,
methodology, start_date, end_date, sponsor_candidate, tracking, created_at, notes, url, source, yes,
no`` with dates as m/d/yy. Licence CC BY 4.0: every imported poll credits FiveThirtyEight in its notes.

Mapping (documented in the module so a reader of an imported poll can trace every value):

* one pollapp poll per 538 ``poll_id`` (natural key ``source="fivethirtyeight"``, ``source_id=poll_id``);
  each row is one question base: code ``approval_<population>`` (``approval_<population>_q<question_id>``
  when 538 reports the same population twice), ``population`` set, ``base_n`` = the row's sample_size.
  The poll's sample_size is the largest base (null if none) and its population that base's population;
* population codes ``a, rv, lv, v`` -> adults, registered_voters, likely_voters, other ("voters");
* methodology strings split on ``/``: Live Phone -> phone_live, IVR and Automated Phone -> ivr, Online ->
  online_panel, Text -> text, Mail -> mail; unknown parts are kept in the poll's notes, never guessed.
  ``sample_type`` stays null (an online panel is not necessarily a non-probability sample);
* pollsters and sponsors are created on the fly by slug (the 538 ids go into their notes); an existing
  pollster or sponsor with that slug is used as it is, never overwritten;
* answers ``yes`` -> ``approve`` and ``no`` -> ``disapprove``; the question wording is a paraphrase
  (``wording_exact=false``): 538 does not give it per poll.

Validators are injected by the caller (the same rules as the API, without importing the HTTP layer).
All or nothing: any problem raises :class:`InvalidInput` listing problems with ``file:line/column``
(up to :data:`MAX_PROBLEMS`, with the total count); the caller rolls back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import DomainError, FieldError, InvalidInput
from pollapp.models import Pollster, Sponsor
from pollapp.services import polls as poll_service
from pollapp.services import series as series_service
from pollapp.services.seed import LoadReport

FTE_SOURCE = "fivethirtyeight"
MAX_PROBLEMS = 100
CREDIT = "Source: FiveThirtyEight (CC BY 4.0)"

HEADER = (
    "question_id", "poll_id", "state", "politician_id", "politician", "pollster_id", "pollster", "sponsor_ids",
    "sponsors", "display_name", "pollster_rating_id", "pollster_rating_name", "fte_grade", "sample_size",
    "population", "population_full", "methodology", "start_date", "end_date", "sponsor_candidate", "tracking",
    "created_at", "notes", "url", "source", "yes", "no",
)  # fmt: skip
# What the importer cannot do without; the other columns are used when present.
REQUIRED = ("question_id", "poll_id", "politician", "pollster", "sample_size", "population", "start_date", "end_date", "yes", "no")
# Columns that describe the poll and must agree on every row of one poll_id.
POLL_LEVEL = ("politician", "pollster", "pollster_id", "sponsors", "sponsor_ids", "methodology", "start_date", "end_date", "tracking", "state")

POPULATIONS = {"a": "adults", "rv": "registered_voters", "lv": "likely_voters", "v": "other"}
POPULATION_ORDER = list(POPULATIONS)  # tie-break for the poll's population
MODES = {
    "live phone": "phone_live",
    "ivr": "ivr",
    "automated phone": "ivr",
    "online": "online_panel",
    "text": "text",
    "mail": "mail",
}
TRUE = {"true", "t", "1", "yes", "y"}
FALSE = {"", "false", "f", "0", "no", "n"}
DATE_FORMATS = ("%m/%d/%y", "%m/%d/%Y")
ANSWERS = (("yes", "approve", "Approve"), ("no", "disapprove", "Disapprove"))
SERIES_OUTCOMES = {"yes": ["approve"], "no": ["disapprove"]}

Validator = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Validators:
    """Callables that validate and deserialize one raw document, raising InvalidInput."""

    pollster: Validator
    sponsor: Validator
    series: Validator
    poll: Validator


@dataclass
class ImportReport(LoadReport):
    """What an import created, updated and left unchanged, plus what the file held."""

    format: str = "fte"
    bases: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    @property
    def changes(self) -> int:
        return sum(c["created"] + c["updated"] for c in self.counts.values())

    def lines(self) -> list[str]:
        out = [f"format: {self.format}, {self.rows} rows"]
        out.extend(super().lines())
        if self.bases:
            out.append("question bases: " + ", ".join(f"{k} {v}" for k, v in sorted(self.bases.items())))
        out.extend(f"note: {text} ({n} polls)" for text, n in sorted(self.notes.items()))
        out.append(f"changes: {self.changes}")
        return out


# ---------------------------------------------------------------- reading


@dataclass
class Problems:
    """Problems found so far, each located as ``file:line/column``; raised all at once."""

    name: str
    items: list[FieldError] = field(default_factory=list)
    total: int = 0

    def add(self, line: int | None, column: str | None, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            where = self.name if line is None else f"{self.name}:{line}"
            self.items.append(FieldError(f"{where}/{column}" if column else where, message, row=line, column=column))

    def raise_if_any(self) -> None:
        if self.total:
            shown = f" (the first {MAX_PROBLEMS} are listed)" if self.total > MAX_PROBLEMS else ""
            raise InvalidInput(f"{self.total} problem(s) in {self.name}{shown}; nothing was imported.", self.items)


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a BOM is dropped); bad bytes become one problem per line that holds them."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    problems = Problems(name)
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = raw[exc.start : exc.start + 1].hex()
            problems.add(
                number,
                None,
                f"byte 0x{byte} at position {exc.start + 1} is not valid UTF-8; save the file as UTF-8 "
                "(it may be Windows-1252 or Latin-1) and import it again.",
            )
    problems.raise_if_any()
    raise AssertionError("unreachable: the data failed to decode as a whole")  # pragma: no cover


def read_csv(text: str, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and rows with the file line each row starts on (quoted newlines span several lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    previous = 0
    try:
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in record]
            else:
                rows.append((start, record))
    except csv.Error as exc:
        problems = Problems(name)
        problems.add(reader.line_num, None, f"unreadable CSV ({exc}); check quoting around this line.")
        problems.raise_if_any()
    if header is None:
        raise InvalidInput(f"{name} is empty: no header row.", [FieldError(name, "The file has no header row.")])
    return header, rows


def is_fte_header(header: Iterable[str]) -> bool:
    """538's approval layout: poll and question ids plus yes/no columns."""
    return {"poll_id", "question_id", "yes", "no"} <= set(header)


# ---------------------------------------------------------------- the import


def import_fte(
    session: Session, data: bytes, name: str, validators: Validators, *, series_slug: str | None = None
) -> ImportReport:
    """Upsert every poll of a 538 approval file; raises InvalidInput (the caller rolls back)."""
    header, records = read_csv(decode(data, name), name)
    problems = Problems(name)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.add(1, None, f"missing column(s) {', '.join(missing)}; a FiveThirtyEight approval file has: {', '.join(HEADER)}.")
        problems.raise_if_any()
    report = ImportReport(rows=len(records))
    parsed: dict[str, _Poll] = {}
    for poll_id, rows in _group(header, records, problems).items():
        before = problems.total
        poll = _parse_poll(rows, problems)
        if problems.total == before:  # a poll with bad cells is reported, then left out of the checks below
            parsed[poll_id] = poll

    pollsters = _organisations(session, parsed, "pollster", validators.pollster, report, problems)
    sponsors = _organisations(session, parsed, "sponsor", validators.sponsor, report, problems)
    series = _series(session, series_slug, parsed, validators.series, report, problems)
    session.flush()

    organisations = poll_service.organisations_by_slug(session, sorted(pollsters), sorted(sponsors))
    known = poll_service.polls_from_source(session, FTE_SOURCE)
    members = {}
    if series is not None and series.id is not None:
        existing = repository.series_members_of_polls(session, [p.id for p in known.values()])
        members = {(m.series_id, m.question_id): m for m in existing if m.series_id == series.id}
    with session.no_autoflush:
        for poll_id, poll in parsed.items():
            if slugify(poll.cells["pollster"]) not in pollsters or any(s[0] not in sponsors for s in poll.sponsors):
                continue
            raw = _document(poll_id, poll)
            try:
                status, stored = poll_service.upsert_poll(
                    session, validators.poll(raw), known=known, organisations=organisations
                )
            except DomainError as exc:
                _locate(exc, poll, problems)
                continue
            report.count("polls", status)
            for question in poll.questions:
                report.bases[POPULATIONS[question.population]] += 1
            if series is not None:
                _member(session, series, stored, members, report)
            for note in poll.unmapped:
                report.notes[f"methodology '{note}' not mapped onto a pollapp mode"] += 1
    problems.raise_if_any()
    session.flush()
    return report


# ---------------------------------------------------------------- internals


@dataclass
class _Question:
    line: int
    question_id: str
    population: str
    base_n: int | None
    yes: float
    no: float
    notes: str
    url: str


@dataclass
class _Poll:
    line: int  # the poll's first row
    cells: dict[str, str]
    start: dt.date | None = None
    end: dt.date | None = None
    tracking: bool = False
    modes: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    sponsors: list[tuple[str, str, str | None]] = field(default_factory=list)  # slug, name, 538 id
    questions: list[_Question] = field(default_factory=list)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-")


def _group(
    header: list[str], records: list[tuple[int, list[str]]], problems: Problems
) -> dict[str, list[tuple[int, dict[str, str]]]]:
    polls: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, record in records:
        if len(record) != len(header):
            problems.add(line, None, f"the row has {len(record)} fields but the header has {len(header)}; check the commas and quotes.")
            continue
        row = {column: cell.strip() for column, cell in zip(header, record)}
        if not row["poll_id"]:
            problems.add(line, "poll_id", "empty: every row needs 538's poll_id.")
            continue
        polls.setdefault(row["poll_id"], []).append((line, row))
    return polls


def _parse_poll(rows: list[tuple[int, dict[str, str]]], problems: Problems) -> _Poll:
    first_line, first = rows[0]
    poll = _Poll(first_line, first)
    for line, row in rows[1:]:
        for column in POLL_LEVEL:
            if row.get(column, "") != first.get(column, ""):
                problems.add(line, column, f"'{row[column]}' differs from '{first[column]}' on line {first_line} (same poll_id {first['poll_id']}).")
    for column in ("politician", "pollster"):
        if not first[column]:
            problems.add(first_line, column, "empty; every row needs it.")
    if first["pollster"] and not slugify(first["pollster"]):
        problems.add(first_line, "pollster", f"'{first['pollster']}' has no letters or digits to make a slug from.")
    poll.start = _date(first_line, "start_date", first["start_date"], problems)
    poll.end = _date(first_line, "end_date", first["end_date"], problems)
    tracking = first.get("tracking", "").lower()
    if tracking not in TRUE | FALSE:
        problems.add(first_line, "tracking", f"'{first['tracking']}' is not true or false (or empty).")
    poll.tracking = tracking in TRUE
    for part in (p.strip() for p in first.get("methodology", "").split("/")):
        if not part:
            continue
        mode = MODES.get(part.lower())
        if mode is None:
            poll.unmapped.append(part)
        elif mode not in poll.modes:
            poll.modes.append(mode)
    names = [n.strip() for n in re.split(r"\|" if "|" in first.get("sponsors", "") else ",", first.get("sponsors", "")) if n.strip()]
    ids = [i.strip() for i in re.split(r"[|,]", first.get("sponsor_ids", "")) if i.strip()]
    for i, sponsor in enumerate(names):
        slug = slugify(sponsor)
        if not slug:
            problems.add(first_line, "sponsors", f"'{sponsor}' has no letters or digits to make a slug from.")
        elif slug not in [s[0] for s in poll.sponsors]:
            poll.sponsors.append((slug, sponsor, ids[i] if len(ids) == len(names) else None))
    for line, row in rows:
        population = row["population"].lower()
        if population not in POPULATIONS:
            problems.add(line, "population", f"unknown code '{row['population']}'; expected one of a, rv, lv, v.")
        if not row["question_id"]:
            problems.add(line, "question_id", "empty: every row needs 538's question_id.")
        poll.questions.append(
            _Question(
                line=line,
                question_id=row["question_id"],
                population=population,
                base_n=_number(line, "sample_size", row["sample_size"], problems, whole=True, required=False),
                yes=_number(line, "yes", row["yes"], problems),
                no=_number(line, "no", row["no"], problems),
                notes=row.get("notes", ""),
                url=row.get("url", ""),
            )
        )
    poll.questions.sort(key=lambda q: (int(q.question_id) if q.question_id.isdigit() else math.inf, q.question_id))
    return poll


def _date(line: int, column: str, value: str, problems: Problems) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    problems.add(line, column, f"'{value}' is not a date like 1/19/21 (month/day/year).")
    return None


def _number(line: int, column: str, value: str, problems: Problems, *, whole: bool = False, required: bool = True) -> Any:
    if value == "":
        if required:
            problems.add(line, column, "empty; a number is required.")
        return None
    try:
        number = float(value)
    except ValueError:
        problems.add(line, column, f"'{value}' is not a number.")
        return None
    if not math.isfinite(number):
        problems.add(line, column, f"'{value}' is not a finite number.")
        return None
    if whole:
        if number != int(number) or number < 1:
            problems.add(line, column, f"'{value}' is not a whole number of interviews (1 or more).")
            return None
        return int(number)
    return number


def _organisations(
    session: Session,
    parsed: dict[str, _Poll],
    kind: str,
    validate: Validator,
    report: LoadReport,
    problems: Problems,
) -> set[str]:
    """Create the pollsters (or sponsors) the file names and pollapp does not know yet."""
    wanted: dict[str, tuple[str, list[str], int]] = {}  # slug -> name, 538 ids, first line
    for poll in parsed.values():
        if kind == "pollster":
            entries = [(slugify(poll.cells["pollster"]), poll.cells["pollster"], poll.cells.get("pollster_id") or None)]
        else:
            entries = poll.sponsors
        for slug, name, fte_id in entries:
            _, ids, _ = wanted.setdefault(slug, (name, [], poll.line))
            if fte_id and fte_id not in ids:
                ids.append(fte_id)
    finder = repository.pollsters_by_slugs if kind == "pollster" else repository.sponsors_by_slugs
    existing = finder(session, list(wanted))
    model = Pollster if kind == "pollster" else Sponsor
    failed: set[str] = set()
    for slug, (name, ids, line) in wanted.items():
        if slug in existing:
            report.count(kind + "s", "unchanged")
            continue
        note = f"Created by the FiveThirtyEight import (538 {kind}_id {', '.join(ids)})." if ids else "Created by the FiveThirtyEight import."
        try:
            session.add(model(**validate({"slug": slug, "name": name, "notes": note})))
        except InvalidInput as exc:
            for error in exc.errors or [FieldError(None, exc.detail)]:
                problems.add(line, "pollster" if kind == "pollster" else "sponsors", f"{kind} '{name}': {error.pointer or ''} {error.message}".strip())
            failed.add(slug)
            continue
        report.count(kind + "s", "created")
    return set(wanted) - failed  # polls naming a failed one are reported once, at the organisation


def _series(
    session: Session,
    slug: str | None,
    parsed: dict[str, _Poll],
    validate: Validator,
    report: LoadReport,
    problems: Problems,
) -> Any:
    if slug is None:
        return None
    existing = repository.series_by_slug(session, slug)
    if existing is not None:
        codes = {o.code for o in existing.outcomes}
        lacking = [code for code in SERIES_OUTCOMES if code not in codes]
        if lacking:
            problems.add(None, "--series", f"series '{slug}' has no outcome(s) {', '.join(lacking)}; add them or import into another series.")
            return None
        report.count("series", "unchanged")
        return existing
    politicians = sorted({p.cells["politician"] for p in parsed.values()}) or ["President"]
    raw = {
        "slug": slug,
        "title": f"{' / '.join(politicians)}: job approval (FiveThirtyEight polls)"[:300],
        "description": f"Created by importing FiveThirtyEight's approval polls. {CREDIT}. "
        "Outcome yes = approve, no = disapprove; one member question per population base.",
        "country": "US",
        "tags": ["approval", "fivethirtyeight"],
        "outcomes": [{"code": "yes", "label": "Approve"}, {"code": "no", "label": "Disapprove"}],
    }
    try:
        created = series_service.create_series(session, validate(raw))
    except DomainError as exc:
        for error in exc.errors or [FieldError(None, exc.detail)]:
            problems.add(None, "--series", f"{error.pointer or ''} {error.message}".strip())
        return None
    report.count("series", "created")
    return created


def _document(poll_id: str, poll: _Poll) -> dict[str, Any]:
    """The raw pollapp poll document for one 538 poll_id (validated by the caller's validator)."""
    cells = poll.cells
    questions: list[dict[str, Any]] = []
    codes: set[str] = set()
    for q in poll.questions:
        code = f"approval_{q.population}"
        if code in codes:
            code = f"{code}_q{re.sub(r'[^a-z0-9]+', '_', q.question_id.lower()).strip('_')}"
        codes.add(code)
        notes = [f"FiveThirtyEight question_id {q.question_id}; wording not given by 538 (paraphrase)."]
        if q.notes:
            notes.append(f"538 note: {q.notes}.")
        if q.url and q.url != cells.get("url", ""):
            notes.append(f"Source for this base: {q.url}")
        questions.append(
            {
                "code": code,
                "wording": f"Approval of {cells['politician']}'s job performance",
                "wording_exact": False,
                "language": "en",
                "population": POPULATIONS.get(q.population, q.population),
                "base_n": q.base_n,
                "notes": " ".join(notes),
                "answers": [
                    {"code": code_, "label": label, "pct": getattr(q, column)} for column, code_, label in ANSWERS
                ],
            }
        )
    bases = [q for q in poll.questions if q.base_n is not None]
    largest = max(bases, key=lambda q: (q.base_n, -POPULATION_ORDER.index(q.population))) if bases else None
    population = (largest or min(poll.questions, key=lambda q: POPULATION_ORDER.index(q.population))).population
    notes = [f"{CREDIT}: poll_id {poll_id}"]
    if cells.get("pollster_id"):
        notes.append(f"pollster_id {cells['pollster_id']}")
    if cells.get("source"):
        notes.append(f"538 source: {cells['source']}")
    text = ", ".join(notes) + "."
    if not cells.get("methodology"):
        text += " Methodology not reported by 538."
    for part in poll.unmapped:
        text += f" 538 methodology '{part}' has no pollapp mode."
    return {
        "pollster": slugify(cells["pollster"]),
        "sponsors": [slug for slug, _, _ in poll.sponsors],
        "field_start_date": poll.start.isoformat() if poll.start else None,
        "field_end_date": poll.end.isoformat() if poll.end else None,
        "country": "US",
        "region": cells.get("state") or None,
        "population": POPULATIONS[population],
        "population_description": "voters (538 population 'v')" if population == "v" else None,
        "sample_size": largest.base_n if largest else None,
        "modes": poll.modes,
        "tracking": poll.tracking,
        "source_url": cells.get("url") or None,
        "notes": text,
        "source": FTE_SOURCE,
        "source_id": poll_id,
        "questions": questions,
    }


# Where a validator's JSON Pointer comes from in the 538 file.
POLL_COLUMNS = {
    "pollster": "pollster", "sponsors": "sponsors", "field_start_date": "start_date", "field_end_date": "end_date",
    "region": "state", "population": "population", "sample_size": "sample_size", "modes": "methodology",
    "tracking": "tracking", "source_url": "url", "notes": "notes", "source_id": "poll_id",
}  # fmt: skip
QUESTION_COLUMNS = {"base_n": "sample_size", "population": "population", "code": "question_id", "wording": "politician", "notes": "notes"}


def _locate(exc: DomainError, poll: _Poll, problems: Problems) -> None:
    """Report a validator's errors at the 538 line and column they come from."""
    for error in exc.errors or [FieldError(None, exc.detail)]:
        parts = (error.pointer or "").strip("/").split("/")
        line, column = poll.line, POLL_COLUMNS.get(parts[0], parts[0] or None)
        if parts[0] == "questions" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(poll.questions):
            line = poll.questions[int(parts[1])].line
            rest = parts[2:]
            if rest[:1] == ["answers"]:
                column = ANSWERS[int(rest[1])][0] if len(rest) > 1 and rest[1].isdigit() and int(rest[1]) < 2 else "yes/no"
            else:
                column = QUESTION_COLUMNS.get(rest[0], rest[0]) if rest else None
        problems.add(line, column, error.message)


def _member(session: Session, series: Any, poll: Any, members: dict[tuple[int, int], Any], report: LoadReport) -> None:
    for question in poll.questions:
        current = members.get((series.id, question.id)) if question.id is not None else None
        if current is not None:
            have = sorted((m.outcome.code, m.answer.code) for m in current.mappings)
            if have == sorted((o, a) for o, codes in SERIES_OUTCOMES.items() for a in codes):
                report.count("series members", "unchanged")
                continue
        series_service.map_question(session, series, question, SERIES_OUTCOMES, current)
        report.count("series members", "created" if current is None else "updated")
