"""One entry point for file imports (``flask data import`` and ``POST /api/v1/imports``): decode the
bytes (:mod:`pollapp.services.imports_text`), detect the layout and hand the text to its importer.

Layouts: ``fte`` (FiveThirtyEight's approval CSV, :mod:`pollapp.services.imports_fte`) and ``pollapp``
(pollapp's own poll layout, CSV or JSON, the same as ``/api/v1/polls.csv`` and ``/polls.json`` and
the seed files ``data/polls/*.csv``: :mod:`pollapp.services.imports_pollapp`). JSON is recognised
by its first character (``[``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy.orm import Session

from pollapp.exceptions import FieldError, InvalidInput
from pollapp.services import imports_fte, imports_fte_fast, imports_pollapp, imports_text
from pollapp.services.imports_fte import ImportReport, Validators

FORMATS = ("auto", "pollapp", "fte")
POLLAPP_COLUMNS = {"poll_key", "question_code", "answer_code", "pct"}


def detect_format(header: list[str]) -> str | None:
    if imports_fte.is_fte_header(header):
        return "fte"
    if POLLAPP_COLUMNS <= set(header):
        return "pollapp"
    return None


def import_file(
    session: Session, path: Path, validators: Validators, *, fmt: str = "auto", series_slug: str | None = None
) -> ImportReport:
    """Import ``path``; raises InvalidInput with every problem found (the caller rolls back)."""
    return import_data(session, path.read_bytes(), path.name, validators, fmt=fmt, series_slug=series_slug)


def import_data(
    session: Session, data: bytes, name: str, validators: Validators, *, fmt: str = "auto", series_slug: str | None = None
) -> ImportReport:
    """Import the bytes of a file called ``name`` (the CLI and the upload endpoint share this)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"Unknown format '{fmt}'.", [FieldError(None, f"Use one of {', '.join(FORMATS)}.", "format")])
    text = imports_text.decode(data, name)
    is_json = text.lstrip()[:1] in ("[", "{")
    if is_json and fmt == "fte":
        raise InvalidInput(f"{name} is JSON; FiveThirtyEight files are CSV.", [FieldError(name, "Pass a CSV file or --format pollapp.", row=1)])
    if not is_json and fmt == "auto":
        header = _header(text)
        detected = detect_format(header)
        if detected is None:
            raise InvalidInput(
                f"Cannot tell the layout of {name} from its header.",
                [FieldError(f"{name}:1", f"columns {', '.join(header[:30])} match neither FiveThirtyEight's "
                            "approval layout (poll_id, question_id, yes, no, ...) nor pollapp's poll layout "
                            "(poll_key, question_code, answer_code, pct, ...; see data/README.md); pass the format (--format, or the upload's format field).", row=1)],
            )
        fmt = detected
    if fmt == "fte":
        report = imports_fte_fast.import_fte(session, text.encode("utf-8"), name, validators, series_slug=series_slug)
        report.format = "fte"
        if report.rows == 0:
            raise InvalidInput(f"{name} has a header but no data rows; nothing was imported.",
                               [FieldError(f"{name}:2", "the file holds no polls (only a header).", row=2)])
        return report
    if series_slug is not None:
        raise InvalidInput(
            "--series (the series field of an upload) applies to FiveThirtyEight files only.",
            [FieldError(None, "A pollapp poll file maps answers onto series in its own series/outcome columns.", "series")],
        )
    if is_json:
        return imports_pollapp.import_json(session, text, name, validators)
    return imports_pollapp.import_csv(session, text, name, validators)


def _header(text: str) -> list[str]:
    """The first non-blank CSV record, lower case (a broken quote makes it a problem, not a crash)."""
    try:
        for record in csv.reader(io.StringIO(text, newline="")):
            if any(cell.strip() for cell in record):
                return [cell.strip().lower() for cell in record]
    except csv.Error:
        return []
    return []
