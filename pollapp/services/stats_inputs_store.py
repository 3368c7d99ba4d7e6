"""The statistics' rows of a series packed into one binary value, stored beside its data version.

Why: an uncached trend request on a 20,000-poll series spent more on reading its rows (the grouped
SELECT of :func:`pollapp.repository.series_outcome_stat_columns`, ~0.1 s on SQLite, and building
Python objects from them) than on everything else it does besides the fit (issue 7). The transaction
that writes a series already reads every point row to hash its data version
(:mod:`pollapp.services.data_version_store`); packing the statistics' columns of those same rows costs
it a few more milliseconds, and an uncached statistic then reads one stored value at the fingerprint it
was computed at, instead of running the SELECT.

Layout (``FORMAT`` 1), normalised because most columns belong to a poll question, not to an outcome:

* one row per question of the series, in the statistics' order (field end date, poll, question):
  ``poll_id``, ``question_id``, the pollster's slug, the three dates, the population (question's, else
  poll's), the sample sizes of the poll and of the question base, sample type, design effect, margin
  of error, confidence level, tracking flag;
* per outcome code, the positions of the questions that measure it and the summed percentage.

Encoded as an orjson header (format, row counts, each column's kind and the distinct values of the
text columns) followed by the raw little-endian arrays: unpacking is a few ``numpy.frombuffer`` calls,
no per-value Python work except for the (few) distinct texts. Pure numpy: no database, no Flask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import orjson

#: Bumped whenever the layout changes: a stored value of another format is ignored (the statistic
#: reads its rows with SQL) and replaced by the next refresh (``flask data versions``).
FORMAT = 1

#: The statistics' columns, as :data:`pollapp.repository.STAT_ROW_COLUMNS` orders them (kept equal by
#: tests/services/test_stats_inputs_store.py).
COLUMNS = (
    "poll_id", "question_id", "outcome", "pct", "pollster", "field_start_date", "field_end_date",
    "publication_date", "population", "poll_sample_size", "base_n", "sample_type", "design_effect",
    "margin_of_error", "confidence_level", "tracking",
)
_INT, _DATE, _FLOAT, _TEXT, _BOOL = "i8", "date", "f8", "text", "bool"
#: The question-level columns and how each is encoded.
QUESTION_COLUMNS: dict[str, str] = {
    "poll_id": _INT, "question_id": _INT, "pollster": _TEXT, "field_start_date": _DATE,
    "field_end_date": _DATE, "publication_date": _DATE, "population": _TEXT, "poll_sample_size": _FLOAT,
    "base_n": _FLOAT, "sample_type": _TEXT, "design_effect": _FLOAT, "margin_of_error": _FLOAT,
    "confidence_level": _FLOAT, "tracking": _BOOL,
}
_POSITION = {name: i for i, name in enumerate(COLUMNS)}
_DTYPE = {_INT: "<i8", _DATE: "<i8", _FLOAT: "<f8", _TEXT: "<i4", _BOOL: "|u1"}


class StatInputsError(ValueError):
    """A stored value that cannot be read (another format, truncated): the caller reads with SQL."""


def pack(rows: Iterable[Sequence[Any]]) -> bytes:
    """The statistics' rows (tuples in :data:`COLUMNS` order; every outcome; questions contiguous, in
    the statistics' order) as one binary value. Dates may be ``datetime.date`` or ISO strings; None is
    kept (NaN, NaT, or a None text)."""
    question_at: dict[Any, int] = {}
    questions: list[Sequence[Any]] = []
    outcomes: dict[str, tuple[list[int], list[Any]]] = {}
    q_pos, o_pos, p_pos = _POSITION["question_id"], _POSITION["outcome"], _POSITION["pct"]
    for row in rows:
        at = question_at.get(row[q_pos])
        if at is None:
            at = question_at[row[q_pos]] = len(questions)
            questions.append(row)
        positions, pcts = outcomes.setdefault(row[o_pos], ([], []))
        positions.append(at)
        pcts.append(row[p_pos])
    header: dict[str, Any] = {"format": FORMAT, "questions": len(questions), "texts": {}, "outcomes": []}
    parts: list[bytes] = []
    for name, kind in QUESTION_COLUMNS.items():
        values = [row[_POSITION[name]] for row in questions]
        if kind == _TEXT:
            distinct = list(dict.fromkeys(values))
            header["texts"][name] = distinct
            index = {value: i for i, value in enumerate(distinct)}
            array = np.array([index[v] for v in values], dtype=_DTYPE[kind])
        elif kind == _DATE:
            array = _days(values)
        else:
            array = np.array(values, dtype=float if kind == _FLOAT else _DTYPE[kind])
        parts.append(np.ascontiguousarray(array, dtype=_DTYPE[kind]).tobytes())
    for code in sorted(outcomes):
        positions, pcts = outcomes[code]
        header["outcomes"].append([code, len(positions)])
        parts.append(np.array(positions, dtype="<i4").tobytes())
        parts.append(np.array(pcts, dtype="<f8").tobytes())
    head = orjson.dumps(header)
    return len(head).to_bytes(4, "little") + head + b"".join(parts)


_EPOCH = dt.date(1970, 1, 1).toordinal()
_NAT = np.iinfo(np.int64).min  # numpy's NaT as an integer


def _days(values: Sequence[Any]) -> np.ndarray:
    """Dates (``datetime.date`` or ISO text, None) as days since 1970-01-01, NaT for None: computed once
    per distinct date (numpy's own conversion of date objects costs ~4 microseconds each, 0.2 s for
    the three date columns of a 20,000-poll series)."""
    days: dict[Any, int] = {}
    out = []
    for value in values:
        day = days.get(value)
        if day is None:
            if value is None:
                day = _NAT
            else:
                date = dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value
                day = date.toordinal() - _EPOCH
            days[value] = day
        out.append(day)
    return np.array(out, dtype="<i8")


def unpack(value: bytes, outcomes: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """The rows of the given outcomes (every outcome with None) as columns (:data:`COLUMNS` -> numpy
    array), in the statistics' order (field end date, poll, question, outcome code): what
    :func:`pollapp.repository.series_outcome_stat_columns` reads, typed (dates as datetime64[D],
    numbers as floats with NaN for None, texts as object arrays with None)."""
    try:
        size = int.from_bytes(value[:4], "little")
        header = orjson.loads(value[4:4 + size])
        if header.get("format") != FORMAT:
            raise StatInputsError(f"stored statistics' inputs of format {header.get('format')!r}, not {FORMAT}")
        n = header["questions"]
        offset = 4 + size
        questions: dict[str, np.ndarray] = {}
        for name, kind in QUESTION_COLUMNS.items():
            array, offset = _take(value, offset, _DTYPE[kind], n)
            if kind == _TEXT:
                array = np.array(header["texts"][name], dtype=object)[array] if n else np.array([], dtype=object)
            elif kind == _DATE:
                array = array.view("datetime64[D]")
            elif kind == _BOOL:
                array = array.astype(bool)
            questions[name] = array
        wanted = None if outcomes is None else set(outcomes)
        picked: list[tuple[str, np.ndarray, np.ndarray]] = []
        for code, count in header["outcomes"]:
            positions, offset = _take(value, offset, "<i4", count)
            pcts, offset = _take(value, offset, "<f8", count)
            if wanted is None or code in wanted:
                picked.append((code, positions, pcts))
        if offset != len(value):
            raise StatInputsError("stored statistics' inputs of an unexpected length")
    except (KeyError, TypeError, ValueError, orjson.JSONDecodeError) as exc:
        if isinstance(exc, StatInputsError):
            raise
        raise StatInputsError(f"unreadable stored statistics' inputs: {exc}") from exc
    return _rows_of(questions, picked)


def _take(value: bytes, offset: int, dtype: str, count: int) -> tuple[np.ndarray, int]:
    end = offset + np.dtype(dtype).itemsize * count
    if end > len(value):
        raise StatInputsError("stored statistics' inputs are truncated")
    return np.frombuffer(value, dtype=dtype, count=count, offset=offset), end


def _rows_of(questions: dict[str, np.ndarray], picked: list[tuple[str, np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    """One row per (question, picked outcome), ordered by question then outcome code (``picked`` is in
    code order: a stable sort on the question position keeps it within a question)."""
    if len(picked) == 1:
        code, positions, pcts = picked[0]
        codes = np.full(len(positions), code, dtype=object)
    elif picked:
        positions = np.concatenate([p for _, p, _ in picked])
        pcts = np.concatenate([v for _, _, v in picked])
        codes = np.concatenate([np.full(len(p), c, dtype=object) for c, p, _ in picked])
        order = np.argsort(positions, kind="stable")
        positions, pcts, codes = positions[order], pcts[order], codes[order]
    else:
        positions, pcts, codes = np.array([], dtype="<i4"), np.array([], dtype="<f8"), np.array([], dtype=object)
    out: dict[str, np.ndarray] = {}
    for name in COLUMNS:
        if name == "outcome":
            out[name] = codes
        elif name == "pct":
            out[name] = np.array(pcts, dtype=float)
        else:
            out[name] = questions[name][positions]
    return out
