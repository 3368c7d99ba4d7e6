"""Read pollapp's poll layout as CSV (one row per answer, the shape of ``GET /api/v1/polls.csv`` and of
``data/polls/*.csv``) into one record per ``poll_key``.

The poll and question columns repeat on every row of a poll: they must agree with the poll's (the
question's) first row, and each disagreement is reported at its row and column, so a file edited by
hand in a spreadsheet says exactly which cell drifted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from pollapp.exceptions import FieldError, InvalidInput
from pollapp.services import poll_layout as layout
from pollapp.services.import_files import csv_reader
from pollapp.services.imports_fte import Problems
from pollapp.services.imports_pollapp_records import FileProblems, _Answer, _Question, _Record


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
