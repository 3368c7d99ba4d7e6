"""FiveThirtyEight approval rows -> pollapp poll documents: the column mapping, cell parsing and the
location of a validator's errors back in the file. Pure functions over strings (no database).

See :mod:`pollapp.services.imports_fte` for the documented mapping and the import itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from pollapp.exceptions import DomainError, FieldError
from pollapp.services.import_files import Problems

FTE_SOURCE = "fivethirtyeight"
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
# Every column the importer reads; the others (ratings, display names, created_at, ...) are not kept.
USED = tuple(dict.fromkeys((*REQUIRED, *POLL_LEVEL, "notes", "url", "source")))

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


@dataclass
class FteQuestion:
    line: int
    question_id: str
    population: str
    base_n: int | None
    yes: float
    no: float
    notes: str
    url: str


@dataclass
class FtePoll:
    line: int  # the poll's first row
    cells: dict[str, str]
    start: dt.date | None = None
    end: dt.date | None = None
    tracking: bool = False
    modes: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    sponsors: list[tuple[str, str, str | None]] = field(default_factory=list)  # slug, name, 538 id
    questions: list[FteQuestion] = field(default_factory=list)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-")


def parse_poll(rows: list[tuple[int, dict[str, str]]], problems: Problems) -> FtePoll:
    """One 538 poll from its rows (one per population base); every bad cell goes to ``problems``."""
    first_line, first = rows[0]
    poll = FtePoll(first_line, first)
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
            FteQuestion(
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


def document(poll_id: str, poll: FtePoll) -> dict[str, Any]:
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


def locate(exc: DomainError, poll: FtePoll, problems: Problems) -> None:
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
