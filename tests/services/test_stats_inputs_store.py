"""Packing the statistics' rows stored with a series' data version (pollapp.services.stats_inputs_store):
what is unpacked is what was packed, in the statistics' order, for any choice of outcomes; a value of
another format or a damaged one is refused (the statistic then reads its rows with SQL). SYNTHETIC rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pollapp import repository
from pollapp.services import stats_inputs_store
from pollapp.services.stats_inputs_store import StatInputsError, pack, unpack

D = dt.date


def row(poll, question, outcome, pct, *, pollster="alpha", start=D(2024, 1, 1), end=D(2024, 1, 3), published=None,
        population="adults", sample=1000, base_n=None, sample_type="probability", deff=None, moe=None, level=None,
        tracking=False):
    return (poll, question, outcome, pct, pollster, start, end, published, population, sample, base_n, sample_type,
            deff, moe, level, tracking)


# Questions contiguous in the statistics' order; outcomes within a question by position (not code order);
# every kind of missing value; two questions of one poll; a question that lacks one outcome.
ROWS = [
    row(1, 10, "yes", 41.5, published=D(2024, 1, 5), moe=3.1, level=0.95),
    row(1, 10, "no", 50.0, published=D(2024, 1, 5), moe=3.1, level=0.95),
    row(1, 10, "dk", 8.5, published=D(2024, 1, 5), moe=3.1, level=0.95),
    row(1, 11, "yes", 39.0, population="likely_voters", base_n=600.0),
    row(1, 11, "no", 52.0, population="likely_voters", base_n=600.0),
    row(2, 20, "yes", 44.0, pollster="beta", start=D(2024, 1, 2), end=D(2024, 1, 9), sample=None,
        sample_type=None, deff=1.4, tracking=True),
    row(3, 30, "no", 47.25, pollster="alpha", start="2024-01-08", end="2024-01-10", published="2024-01-11"),
]


def expected(outcomes):
    chosen = [r for r in ROWS if outcomes is None or r[2] in outcomes]
    order = {q: i for i, q in enumerate(dict.fromkeys(r[1] for r in ROWS))}
    return sorted(chosen, key=lambda r: (order[r[1]], r[2]))


def as_rows(columns):
    """The unpacked columns back as plain row tuples (dates as ISO text, NaN/NaT as None)."""
    def plain(name, value):
        if isinstance(value, np.datetime64):
            return None if np.isnat(value) else str(value)
        if isinstance(value, float) and value != value:
            return None
        return value.item() if hasattr(value, "item") else value

    names = stats_inputs_store.COLUMNS
    return [tuple(plain(n, v) for n, v in zip(names, values)) for values in zip(*(columns[n] for n in names))]


def normal(rows):
    def plain(value):
        if isinstance(value, dt.date):
            return value.isoformat()
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    return [tuple(v if i < 2 else plain(v) for i, v in enumerate(r)) for r in rows]


def test_the_columns_are_the_statistics_columns():
    assert stats_inputs_store.COLUMNS == repository.STAT_ROW_COLUMNS


@pytest.mark.parametrize("outcomes", [None, ["yes"], ["no"], ["yes", "no"], ["no", "dk"], ["absent"], []])
def test_unpacked_rows_are_the_packed_rows_in_the_statistics_order(outcomes):
    columns = unpack(pack(ROWS), outcomes)
    assert normal(as_rows(columns)) == normal(expected(outcomes))
    assert columns["field_end_date"].dtype == np.dtype("datetime64[D]")
    assert columns["poll_id"].dtype == np.int64 and columns["pct"].dtype == float
    assert columns["tracking"].dtype == bool and columns["pollster"].dtype == object


def test_an_empty_series_packs_to_no_rows():
    columns = unpack(pack([]))
    assert set(columns) == set(stats_inputs_store.COLUMNS) and all(len(v) == 0 for v in columns.values())


def test_another_format_or_a_damaged_value_is_refused(monkeypatch):
    packed = pack(ROWS)
    for damaged in (packed[:-3], packed + b"\0", b"\0\0\0\x09not json", b""):
        with pytest.raises(StatInputsError):
            unpack(damaged)
    monkeypatch.setattr(stats_inputs_store, "FORMAT", stats_inputs_store.FORMAT + 1)
    with pytest.raises(StatInputsError, match="format"):
        unpack(packed)
