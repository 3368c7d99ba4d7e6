"""``_load_polls`` takes its rows from three places: the cursor read of the statistics' rows (strings for
enumerations), the rows kept while the data version was hashed, and dicts with enum members (the
SQLAlchemy read, as the as-of history gives). Each must give the same frame, info, exclusions and
warnings, with and without ``decided_against``, on a SYNTHETIC series that has every case its fast
paths skip when absent: two questions of one poll for the same population (one is left out), one poll
asked of two populations (the best-ranked is described), and a poll of unknown size (filled in)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from pollapp import repository
from pollapp.extensions import db
from pollapp.models import Series, SeriesDataVersion
from pollapp.services import data_version, statistics, stats_series
from pollapp.services.stats_series_polls import _load_polls

from stats_support import SERIES, add_poll, approval_question, build_world


@pytest.fixture
def series(client, auth):
    build_world(client, auth, rounds=2)
    start = dt.date(2024, 2, 1)
    doubled = add_poll(client, auth, pollster="alpha", start=start, approve=40,
                       questions=[approval_question(40, 50), approval_question(42, 48, code="approval_2")])
    two = add_poll(client, auth, pollster="beta", start=start, approve=40,
                   questions=[approval_question(37, 52, population="likely_voters"),
                              approval_question(39, 50, code="approval_adults", population="adults")])
    unknown = add_poll(client, auth, pollster="gamma", start=start, approve=41, sample_size=None)
    return doubled["id"], two["id"], unknown["id"]


@pytest.mark.parametrize("against", [None, "disapprove"])
def test_every_row_source_loads_the_same_polls(app, series, monkeypatch, against):
    doubled, two, unknown = series
    selection = statistics.trend_params(outcome="approve", decided_against=against).selection
    with app.app_context():
        version = dataclasses.replace(stats_series.series_version(db.session, SERIES), fingerprint=None)
        loads = [_load_polls(db.session, version, selection, "approve")]  # the cursor read, column-wise
        wanted = ["approve", *([against] if against else [])]
        kept = data_version.StatRows(frozenset({"approve", "disapprove"}))  # rows kept while hashing the version
        data_version._version_keeping(db.session, db.session.get(Series, version.series_id), kept)
        loads.append(_load_polls(db.session, dataclasses.replace(version, rows=kept.rows), selection, "approve"))
        stored_at = db.session.get(SeriesDataVersion, version.series_id).fingerprint  # stored with the version
        loads.append(_load_polls(db.session, dataclasses.replace(version, fingerprint=stored_at), selection, "approve"))
        dicts = repository.series_outcome_rows(db.session, version.series_id, wanted)
        assert any(type(row["population"]) is not str for row in dicts), "enum members, not strings"
        monkeypatch.setattr(repository, "series_outcome_stat_columns", lambda *a, **k: dicts)
        loads.append(_load_polls(db.session, version, selection, "approve"))
    first = loads[0]
    for other in loads[1:]:
        pd.testing.assert_frame_equal(other.frame, first.frame)
        pd.testing.assert_frame_equal(other.info.sort_index(), first.info.sort_index())
        assert (other.excluded, other.warnings) == (first.excluded, first.warnings)

    assert [e["poll_id"] for e in first.excluded] == [doubled]
    assert "same population (kept question" in first.excluded[0]["reason"]
    assert first.info.loc[two, "population"] == "adults" and first.info.loc[two, "pct"] == 39
    assert sorted(first.frame.loc[first.frame["poll_id"] == two, "population"]) == ["adults", "likely_voters"]
    assert first.info.loc[unknown, "n_source"] == "pollster median"
    assert any("report neither a sample size" in w for w in first.warnings)
    assert len(first.frame) == 6 + 1 + 2 + 1
    if against:
        assert "decided" in first.info.columns and first.info.loc[two, "decided"] == pytest.approx(0.89)  # the share deciding


def test_an_uncached_statistic_reads_the_stored_rows_not_the_select(app, series, monkeypatch):
    """The statistics' rows stored with the version at the series' current fingerprint are read, not
    selected, whether the version itself was found stored, cached by fingerprint or cached by data
    generation (no write since: the fingerprint cached with it is current); a fingerprint that no longer
    matches (another write since) reads with SQL."""
    from pollapp.services.cache import LRUCache

    selection = statistics.trend_params(outcome="approve", decided_against="disapprove").selection
    selects: list[int] = []
    real = repository.series_outcome_stat_columns
    monkeypatch.setattr(repository, "series_outcome_stat_columns",
                        lambda *a, **k: selects.append(1) or real(*a, **k))
    with app.app_context():
        selected = dataclasses.replace(stats_series.series_version(db.session, SERIES), fingerprint=None)
        expected = _load_polls(db.session, selected, selection, "approve")  # no fingerprint: the SELECT
        assert selects == [1]
        cache = LRUCache(max_entries=16)
        for _ in range(2):  # stored, then cached by generation
            version = stats_series.series_version(db.session, SERIES, selection=selection, cache=cache)
            assert version.rows is None and version.fingerprint
            loaded = _load_polls(db.session, version, selection, "approve")
            pd.testing.assert_frame_equal(loaded.frame, expected.frame)
            assert loaded.excluded == expected.excluded and loaded.warnings == expected.warnings
        assert selects == [1]
        stale = dataclasses.replace(version, fingerprint="not the current one")
        pd.testing.assert_frame_equal(_load_polls(db.session, stale, selection, "approve").frame, expected.frame)
        assert selects == [1, 1]


def _sample_by_the_rules(sample_size, base_n, design_effect, margin_of_error, confidence_level):
    """The sample-size rules of ``stats_inputs.resolve_samples``' docstring, one row at a time in plain
    Python (the reference the vectorised implementation is checked against):
    ``(n, n_source, design effect, its source, n_eff)``."""
    import math

    from pollapp.services import stats_inputs as si

    z = lambda level: statistics_normal_quantile(0.5 + level / 2)  # noqa: E731
    if base_n:
        n, n_source = int(base_n), si.N_QUESTION_BASE
    elif sample_size:
        n, n_source = int(sample_size), si.N_POLL
    else:
        n, n_source = None, None
    moe = margin_of_error / 100 if margin_of_error and 0 < margin_of_error < 100 else None
    level = confidence_level / 100 if confidence_level and 0 < confidence_level < 100 else 0.95
    if n is None:
        if moe is not None:
            return None, si.N_FROM_MOE, None, si.DEFF_IN_MOE, z(level) ** 2 * 0.25 / moe**2
        return None, None, design_effect, si.DEFF_REPORTED if design_effect else None, None
    if design_effect:
        deff, source = float(design_effect), si.DEFF_REPORTED
    elif moe is not None and sample_size:
        deff, source = max(1.0, sample_size * moe**2 / (z(level) ** 2 * 0.25)), si.DEFF_FROM_MOE
    else:
        deff, source = 1.0, si.DEFF_ASSUMED
    assert not math.isnan(deff)
    return n, n_source, deff, source, n / deff


def statistics_normal_quantile(q):
    from statistics import NormalDist

    return NormalDist().inv_cdf(q)


def test_sample_columns_follow_the_rules_for_every_edge_combination():
    """``_resolve_samples`` (the trend's columns) and ``resolve_sample`` (one poll) give every row what
    the rules give it, over every combination of missing, zero, negative, fractional and
    out-of-range values of the five sample columns (1,344 rows)."""
    import itertools

    import numpy as np

    from pollapp.services.stats_inputs import resolve_sample
    from pollapp.services.stats_series_polls import _SAMPLE_COLUMNS, _resolve_samples

    values = {
        "poll_sample_size": [np.nan, 0.0, 1000.0, 801.0],
        "base_n": [np.nan, 0.0, 450.0],
        "design_effect": [np.nan, 0.0, 1.7, 0.8],
        "margin_of_error": [np.nan, 0.0, -2.0, 3.0, 3.5, 100.0, 150.0],  # 3.0: a design effect floored at 1
        "confidence_level": [np.nan, 0.0, 90.0, 100.0],
    }
    rows = list(itertools.product(*(values[name] for name in _SAMPLE_COLUMNS)))
    main = pd.DataFrame(rows, columns=list(_SAMPLE_COLUMNS))
    columns = _resolve_samples(main)
    as_lists = {name: pd.Series(column).tolist() for name, column in columns.items()}
    names = ("n", "n_source", "design_effect_used", "design_effect_source", "n_eff")

    def same(got, want):
        if want is None:
            return got is None or got is pd.NA or got != got
        if isinstance(want, float):
            return type(got) is not bool and got == pytest.approx(want, rel=1e-12)
        return got == want and type(got) is type(want)

    for i, row in enumerate(rows):
        known = [None if v != v else v for v in row]
        want = _sample_by_the_rules(*known)
        one = resolve_sample(**dict(zip(("sample_size", "base_n", "design_effect", "margin_of_error",
                                         "confidence_level"), known)))
        got = [as_lists[name][i] for name in names]
        got = [int(got[0]) if got[0] is not pd.NA else None, *got[1:]]
        for name, g, o, w in zip(names, got, (one.n, one.n_source, one.design_effect, one.design_effect_source,
                                              one.n_eff), want):
            assert same(g, w) and same(o, w), (row, name, g, o, w)
    assert len(rows) == 1344 and pd.Series(columns["n_source"]).nunique() == 3
