"""What every file importer shares: decoding, CSV reading with file line numbers, the list of problems
raised all at once, the import report and the validators injected by the edge.

Kept apart from any one layout so the FiveThirtyEight importer and the pollapp-format importer read
files, locate problems and report counts the same way. ``pollapp.services.imports_fte`` re-exports these
names for callers that import them from there.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pollapp.exceptions import FieldError, InvalidInput
from pollapp.services.seed import LoadReport, Validator, Validators  # noqa: F401  (re-exported for the importers)

MAX_PROBLEMS = 100

# The longest cell an imported CSV may hold (the csv module's own default). Set on every read, because the
# limit is process-wide and other libraries in the same process change it (frictionless raises it to
# sys.maxsize on import): an oversized cell must get the same clear problem whatever was imported before.
CSV_FIELD_LIMIT = 131_072


def csv_reader(lines: Iterable[str]) -> Any:
    """``csv.reader`` over ``lines`` with pollapp's cell-size limit in force."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    return csv.reader(lines)

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


def iter_csv(text: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(0, header)`` then ``(line, record)`` for every non-blank record, one at a time, with the
    file line each record starts on (quoted newlines span several lines); the header is lower-cased.

    A generator, so a large file is never held as a list of rows by the reader itself. Raises
    InvalidInput for unreadable CSV or a file with no header row."""
    reader = csv_reader(_lines(text))
    header_seen = False
    previous = 0
    try:
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if not header_seen:
                header_seen = True
                yield 0, [cell.strip().lower() for cell in record]
            else:
                yield start, record
    except csv.Error as exc:
        problems = Problems(name)
        problems.add(reader.line_num, None, f"unreadable CSV ({exc}); check quoting around this line.")
        problems.raise_if_any()
    if not header_seen:
        raise InvalidInput(f"{name} is empty: no header row.", [FieldError(name, "The file has no header row.")])


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, split on ``\n`` only (as ``newline=""`` reads a file: the
    csv module handles ``\r\n`` and quoted newlines). Unlike ``io.StringIO(text)``, which copies a
    large text into a buffer up to four times its size, this slices one line at a time."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def read_header(text: str, name: str) -> list[str]:
    """Only the header row (layout detection need not parse the whole file)."""
    return next(iter_csv(text, name))[1]


def read_csv(text: str, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and every row with the file line it starts on (see :func:`iter_csv`, which streams)."""
    records = iter_csv(text, name)
    _, header = next(records)
    return header, list(records)
