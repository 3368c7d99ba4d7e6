"""A FiveThirtyEight approval file as columns (pyarrow's CSV reader), checked as a whole: the first half
of the import fast path (:mod:`pollapp.services.imports_fte_fast` writes what this returns).

Why columns: parsing and validating 75,000 polls one by one (``parse_poll``, ``document`` and the
marshmallow poll schema) costs about 1 ms per poll. Here every cell is parsed once per DISTINCT value
(a file has a few thousand distinct dates and numbers, forty pollster names) and every rule is one
numpy comparison over all rows.

The contract is conservative: :func:`read` returns a frame only when it can prove that every poll would
pass the per-poll path's checks and the API's poll rules (``schemas.polls.PollInSchema``) unchanged:
the same values (stripped cells, m/d/y dates, finite numbers, 0-100 percentages, answers summing to at
most 100 + 2, field end >= start, lengths, http(s) URLs, no NUL). Anything it cannot prove, it does not
decide: it returns the reason and the caller runs the per-poll path, which finds every problem and
reports it with its file line and column exactly as before. So a file with a problem is as slow as it
always was and a clean file takes the fast path; no problem message is written twice.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pollapp.services.import_files import Problems
from pollapp.services.imports_fte_rows import (
    DATE_FORMATS,
    FALSE,
    MODES,
    POLL_LEVEL,
    POPULATION_ORDER,
    POPULATIONS,
    REQUIRED,
    TRUE,
    USED,
    _number,
    slugify,
)

DB_INT_MAX = 2**31 - 1
TEXT_MAX = 20_000  # text_field's limit: notes, wording
SUM_LIMIT = 102.0  # 100 + schemas.polls.SUM_TOLERANCE
REMAINDER_BELOW = 98.0  # 100 - SUM_TOLERANCE: the question is marked remainder_not_reported
# Stricter than marshmallow's Url(schemes={"http", "https"}): a URL it accepts always passes the schema
# (checked by tests/services/test_import_fast_path.py); any other URL takes the per-poll path.
SAFE_URL = re.compile(r"https?://[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?(?:\?[A-Za-z0-9._~%!$&'()*+,;=:@/?-]+)?(?:#[A-Za-z0-9._~%!$&'()*+,;=:@/?-]+)?")


class NotProven(Exception):
    """The frame cannot show the file is clean; the per-poll path decides (and reports problems)."""


@dataclass
class Column:
    """One CSV column: per row an index into ``values`` (the distinct stripped cells)."""

    codes: np.ndarray
    values: list[str]

    def cells(self) -> list[str]:
        return [self.values[i] for i in self.codes]


@dataclass
class FteFrame:
    """Every row of a clean 538 file, sorted by poll (first appearance) then 538 question order.

    ``order[k]`` is the file row of sorted row k; ``poll_of[k]`` its poll (0..n_polls-1, in the order
    polls first appear, the order the per-poll path writes them); ``first[p]`` the sorted row where poll
    p starts (its first FILE row is ``first_row[p]``, whose poll-level cells the poll uses)."""

    n_rows: int
    columns: dict[str, Column]
    order: np.ndarray
    poll_of: np.ndarray
    first: np.ndarray
    first_row: np.ndarray
    poll_ids: list[str]
    # per sorted row
    code: list[str]
    base_n: np.ndarray  # float, NaN when empty
    yes: np.ndarray
    no: np.ndarray
    # per poll
    sample_row: np.ndarray  # sorted row giving the poll's sample size and population
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_polls(self) -> int:
        return len(self.poll_ids)


def read(data: bytes, header: list[str]) -> FteFrame:
    """The frame of a 538 file whose lower-cased header is ``header``; raises NotProven."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    first = _first_line(data)
    if len(set(header)) != len(header) or not header or not first.strip() or b'"' in first:
        raise NotProven("header")  # blank lines or quoted newlines before the data: the per-poll path reads it
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=[f"c{i}" for i in range(len(header))]),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(len(header))},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                include_columns=[f"c{header.index(c)}" for c in USED if c in header],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:  # ragged rows, bad quoting: let the per-poll path say where
        raise NotProven(str(exc)) from exc
    n = table.num_rows
    if n == 0:
        raise NotProven("no rows")
    columns: dict[str, Column] = {}
    for name in USED:
        if name not in header:
            columns[name] = Column(np.zeros(n, dtype=np.int64), [""])
            continue
        encoded = table.column(f"c{header.index(name)}").combine_chunks().dictionary_encode()
        raw = encoded.dictionary.to_pylist()
        if any("\x00" in v for v in raw):
            raise NotProven("NUL")
        unique: dict[str, int] = {}
        remap = np.array([unique.setdefault(v.strip(), len(unique)) for v in raw], dtype=np.int64)
        columns[name] = Column(remap[encoded.indices.to_numpy(zero_copy_only=False)], list(unique))
    return _check(n, columns)


def _first_line(data: bytes) -> bytes:
    end = data.find(b"\n")
    return data if end < 0 else data[: end + 1]


def _check(n: int, columns: dict[str, Column]) -> FteFrame:
    def per_value(name: str, parse: Any) -> list[Any]:
        out = [parse(v) for v in columns[name].values]
        return out

    def require(ok: Any, why: str) -> None:
        if not bool(np.all(ok)):
            raise NotProven(why)

    pid = columns["poll_id"]
    require(np.array([bool(v) and len(v) <= 200 for v in pid.values])[pid.codes], "poll_id")
    # polls in order of first appearance
    _, first_index = np.unique(pid.codes, return_index=True)
    by_first = np.argsort(first_index, kind="stable")
    rank = np.empty(len(pid.values), dtype=np.int64)
    rank[np.unique(pid.codes)[by_first]] = np.arange(len(by_first))
    row_poll = rank[pid.codes]
    first_row = np.sort(first_index)
    # poll-level cells agree on every row of a poll
    for name in POLL_LEVEL:
        codes = columns[name].codes
        require(codes == codes[first_row][row_poll], f"{name} differs within a poll")

    # 538 question order within a poll: int(question_id) (digits only here), then the id itself
    qid = columns["question_id"]
    require(np.array([v.isascii() and v.isdigit() and len(v) <= 100 for v in qid.values]), "question_id")
    by_key = sorted(range(len(qid.values)), key=lambda i: (int(qid.values[i]), qid.values[i]))
    qrank = np.empty(len(qid.values), dtype=np.int64)
    qrank[by_key] = np.arange(len(by_key))
    order = np.lexsort((np.arange(n), qrank[qid.codes], row_poll))
    poll_of = row_poll[order]
    starts = np.flatnonzero(np.r_[True, poll_of[1:] != poll_of[:-1]])

    # populations and question codes (approval_<pop>, then approval_<pop>_q<id> for a repeat)
    pop = columns["population"]
    pop_values = [v.lower() for v in pop.values]
    require(np.array([v in POPULATIONS for v in pop_values]), "population")
    pop_index = np.array([POPULATION_ORDER.index(v) for v in pop_values], dtype=np.int64)[pop.codes[order]]
    seen = np.zeros(n, dtype=bool)
    pair = poll_of * len(POPULATION_ORDER) + pop_index
    _, first_pair = np.unique(pair, return_index=True)
    seen[:] = True
    seen[first_pair] = False  # sorted rows: the first of each (poll, population) keeps the short code
    sorted_qid = [qid.values[i] for i in qid.codes[order]]
    code = [
        f"approval_{POPULATION_ORDER[p]}_q{q}" if again else f"approval_{POPULATION_ORDER[p]}"
        for p, q, again in zip(pop_index.tolist(), sorted_qid, seen.tolist())
    ]
    if len(set(zip(poll_of.tolist(), code))) != n:
        raise NotProven("duplicate question code")
    code_too_long = max(len(c) for c in code) > 120
    if code_too_long:
        raise NotProven("question code length")

    # numbers, parsed once per distinct cell with the per-poll path's own parser
    quiet = Problems("")

    def number(name: str, **kw: Any) -> np.ndarray:
        before = quiet.total
        parsed = [_number(0, name, v, quiet, **kw) for v in columns[name].values]
        if quiet.total != before:
            raise NotProven(name)
        return np.array([math.nan if v is None else float(v) for v in parsed])[columns[name].codes[order]]

    base_n = number("sample_size", whole=True, required=False)
    require(~(base_n > DB_INT_MAX), "sample_size range")
    yes, no = number("yes"), number("no")
    require((yes >= 0) & (yes <= 100) & (no >= 0) & (no <= 100), "pct range")
    require(yes + no <= SUM_LIMIT, "answers sum")

    # poll level: dates, tracking, pollster, politician, region, url, sponsors
    dates = {}
    for name in ("start_date", "end_date"):
        before = quiet.total
        dates[name] = per_value(name, lambda v: _date(v))
        if any(d is None for d in dates[name]):
            raise NotProven(name)
    start = np.array([d.toordinal() for d in dates["start_date"]])[columns["start_date"].codes[first_row]]
    end = np.array([d.toordinal() for d in dates["end_date"]])[columns["end_date"].codes[first_row]]
    require(end >= start, "field dates order")
    require(np.array([v.lower() in TRUE | FALSE for v in columns["tracking"].values]), "tracking")
    require(np.array([bool(v) and bool(slugify(v)) for v in columns["pollster"].values])[columns["pollster"].codes], "pollster")
    require(np.array([bool(v) and len(v) < TEXT_MAX - 100 for v in columns["politician"].values])[columns["politician"].codes], "politician")
    require(np.array([len(v) <= 100 for v in columns["state"].values]), "state")
    require(np.array([not v or (len(v) <= 1000 and SAFE_URL.fullmatch(v) is not None) for v in columns["url"].values]), "url")
    for name in ("notes", "source", "pollster_id", "methodology", "sponsors", "sponsor_ids"):
        require(np.array([len(v) <= 2000 for v in columns[name].values]), f"{name} length")

    # each poll's sample size and population: its largest base (ties: the first population code),
    # else its first population (what imports_fte_rows.document picks)
    key = np.where(np.isnan(base_n), -1.0, base_n)
    pick = np.lexsort((pop_index, -key, poll_of))
    sample_row = pick[np.flatnonzero(np.r_[True, poll_of[pick][1:] != poll_of[pick][:-1]])]
    return FteFrame(
        n_rows=n,
        columns=columns,
        order=order,
        poll_of=poll_of,
        first=starts,
        first_row=first_row,
        poll_ids=[pid.values[i] for i in pid.codes[first_row]],
        code=code,
        base_n=base_n,
        yes=yes,
        no=no,
        sample_row=sample_row,
        extra={"dates": dates, "pop_index": pop_index},
    )


PLAIN_DATE = re.compile(r"(1[0-2]|0?[1-9])/(3[01]|[12][0-9]|0?[1-9])/([0-9]{2}|[0-9]{4})")


def _date(value: str) -> Any:
    """``imports_fte_rows._date`` (strptime with m/d/y, then m/d/Y) without strptime's cost for the
    plain forms (1/19/21, 01/19/2021); anything else still goes through strptime itself."""
    import datetime as dt

    match = PLAIN_DATE.fullmatch(value)
    if match:
        month, day, year = (int(g) for g in match.groups())
        if len(match.group(3)) == 2:
            year += 1900 if year >= 69 else 2000  # strptime's %y pivot
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def methodology(value: str) -> tuple[list[str], list[str]]:
    """(pollapp modes, unmapped parts) of a 538 methodology cell, as ``parse_poll`` splits it."""
    modes: list[str] = []
    unmapped: list[str] = []
    for part in (p.strip() for p in value.split("/")):
        if not part:
            continue
        mode = MODES.get(part.lower())
        if mode is None:
            unmapped.append(part)
        elif mode not in modes:
            modes.append(mode)
    return modes, unmapped


def sponsors(names_cell: str, ids_cell: str) -> list[tuple[str, str, str | None]]:
    """(slug, name, 538 id) of a poll's sponsors, as ``parse_poll`` reads them; NotProven for a name
    with no letters or digits (a problem the per-poll path reports)."""
    names = [n.strip() for n in re.split(r"\|" if "|" in names_cell else ",", names_cell) if n.strip()]
    ids = [i.strip() for i in re.split(r"[|,]", ids_cell) if i.strip()]
    out: list[tuple[str, str, str | None]] = []
    for i, sponsor in enumerate(names):
        slug = slugify(sponsor)
        if not slug:
            raise NotProven("sponsor slug")
        if slug not in [s[0] for s in out]:
            out.append((slug, sponsor, ids[i] if len(ids) == len(names) else None))
    return out


__all__ = ["FteFrame", "NotProven", "read", "methodology", "sponsors", "REQUIRED", "REMAINDER_BELOW"]
