"""Hypothesis strategies for SYNTHETIC poll files (pollapp's layout and FiveThirtyEight's), valid and
broken: cells replaced by random text (quotes, commas, newlines, NULs, unicode, huge fields), columns
dropped, added or shuffled, rows truncated, other encodings, random bytes. Shared by the import
property tests of the service and of ``POST /api/v1/imports``.

Each example is ``(name, bytes, keys)``: ``keys`` are the natural keys (source, source_id) of the
polls the file holds if it is imported unchanged, to check that an accepted file wrote them all.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from import_files import SERIES, poll_rows
from pollapp.services.imports_fte import HEADER as FTE_HEADER
from pollapp.services.poll_layout import NAMES
from test_import_fte import fte_row

CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", '"', '""', ",", "\n", "\r\n", "\x00", "NaN", "inf", "-1", "1e400", "99999999999999999999",
                     "2021-02-30", "13/45/21", "ÿþ", "😀", "TRUE", "a;b;;c"]),
    st.integers(min_value=10_000, max_value=200_000).map(lambda n: "x" * n),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1251", "latin-1"])


def _csv(rows: list[dict[str, str]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@st.composite
def poll_files(draw, *, broken: bool = True) -> tuple[str, bytes, set[tuple[str, str]]]:
    layout = draw(st.sampled_from(["pollapp", "fte"]))
    n = draw(st.integers(min_value=1, max_value=3))
    if layout == "pollapp":
        rows = [r for i in range(n) for r in poll_rows(i, pollster=f"synthetic-{i % 2}")]
        columns, keys = list(NAMES), {("synthetic", f"syn-{i}") for i in range(n)}
    else:
        rows = [fte_row(100 + i, 500 + i, "rv", start_date=f"1/{1 + 3 * i}/21", end_date=f"1/{2 + 3 * i}/21")
                for i in range(n)]
        columns, keys = list(FTE_HEADER), {("fivethirtyeight", str(100 + i)) for i in range(n)}
    if not broken:
        return f"{layout}.csv", _csv(rows, columns).encode(), keys
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        row = draw(st.sampled_from(rows))
        row[draw(st.sampled_from(columns))] = draw(CELL)
    if draw(st.booleans()):
        columns.remove(draw(st.sampled_from(columns)))
    if draw(st.booleans()):
        columns.append(draw(st.text(min_size=1, max_size=8)))
    columns = draw(st.permutations(columns)) if draw(st.booleans()) else columns
    text = _csv(rows, list(dict.fromkeys(columns)))
    if draw(st.booleans()):
        text = text[: draw(st.integers(min_value=0, max_value=len(text)))]
    data = text.encode(draw(ENCODINGS), errors="replace")
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        data = draw(st.binary(max_size=300))
    return f"{layout}.csv", data, keys


#: Both import property tests: 150 examples, reproducible (derandomized, no example database).
PROPERTY_SETTINGS = settings(max_examples=150, derandomize=True, database=None, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                    HealthCheck.data_too_large])


@pytest.fixture
def with_series(client, auth) -> None:
    """The series the synthetic pollapp rows map their answers onto (import it to use it)."""
    assert client.post("/api/v1/series", json=SERIES, headers=auth).status_code == 201
