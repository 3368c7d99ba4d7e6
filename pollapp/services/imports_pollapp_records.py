"""What a pollapp poll file is read into, one record per poll with the lines its parts come from, and
how a problem is located in it: by row and column in a CSV, by JSON Pointer in a JSON file.

Shared by the two readers (:mod:`.imports_pollapp_csv`, :mod:`.imports_pollapp_json`), the natural-key
matching (:mod:`.imports_pollapp_match`) and the import itself (:mod:`.imports_pollapp`), so that a
problem found at any step points at the cell or the member of the file the user must fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pollapp.exceptions import FieldError
from pollapp.services import poll_layout as layout
from pollapp.services.imports_fte import MAX_PROBLEMS, Problems


POLL_COLUMNS = {c.field: c.name for c in layout.POLL if c.field}
QUESTION_COLUMNS = {c.field: c.name for c in layout.QUESTION if c.field}
ANSWER_COLUMNS = {c.field: c.name for c in layout.ANSWER if c.field}


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
