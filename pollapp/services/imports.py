"""One entry point for file imports (the CLI now, ``POST /api/v1/imports`` later): detect the layout
from the header and hand the file to the matching importer.

Layouts: ``fte`` (FiveThirtyEight's approval CSV, :mod:`pollapp.services.imports_fte`) and ``pollapp``
(one poll CSV in the seed layout of ``data/polls/*.csv``, :func:`pollapp.services.seed.load_poll_file`;
the pollsters, sponsors and series it names must exist already).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from pollapp.exceptions import FieldError, InvalidInput
from pollapp.services import imports_fte, seed
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
    if fmt not in FORMATS:
        raise InvalidInput(f"Unknown format '{fmt}'.", [FieldError(None, f"Use one of {', '.join(FORMATS)}.", "--format")])
    data = path.read_bytes()
    if fmt == "auto":
        header, _ = imports_fte.read_csv(imports_fte.decode(data, path.name), path.name)
        detected = detect_format(header)
        if detected is None:
            raise InvalidInput(
                f"Cannot tell the layout of {path.name} from its header.",
                [FieldError(f"{path.name}:1", f"columns {', '.join(header[:30])} match neither FiveThirtyEight's "
                            "approval layout (poll_id, question_id, yes, no, ...) nor pollapp's poll CSV "
                            "(poll_key, question_code, answer_code, pct, ...); pass --format.")],
            )
        fmt = detected
    if fmt == "fte":
        report = imports_fte.import_fte(session, data, path.name, validators, series_slug=series_slug)
        report.format = "fte"
        return report
    if series_slug is not None:
        raise InvalidInput(
            "--series applies to FiveThirtyEight files only.",
            [FieldError(None, "A pollapp poll CSV maps answers onto series in its own series/outcome columns.", "--series")],
        )
    loaded = seed.load_poll_file(session, path, validators.poll)
    report = ImportReport(counts=loaded.counts, format="pollapp", rows=loaded.rows)
    return report
