"""The FiveThirtyEight import fast path (``services.imports_fte_fast``) writes exactly what the per-poll
path writes. The per-poll path is still in the code (it takes every file the fast path cannot prove
clean), so the reference is live: the same sequence of SYNTHETIC files (written here; no real 538 data)
is imported into two databases, one with the fast path switched off, and every table is compared row
by row (timestamps aside).

Edge cases in the files: polls with two and three population bases, a population reported twice
(``approval_lv_q62``), sponsors split on ``|`` and ``,`` with and without ids, unmapped and empty
methodologies, an empty sample size, a quoted newline, Ukrainian text, a file with only the required
columns, a corrected file (a changed percentage, a new question base, new polls, unchanged polls), a
soft-deleted poll restored by a re-import, and a re-import with no change.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import fields

from factories import load_report
from own_database import migrated_app, table_contents
from test_import_fte import fte_row, write

from pollapp.extensions import db
from pollapp.models import Poll
from pollapp.services import imports_fte, imports_fte_fast
from pollapp.services import polls as poll_service
from pollapp.services.imports_fte_frame import SAFE_URL
from pollapp.services.imports_fte_rows import REQUIRED

UKRAINIAN = "Синтетичне опитування: «так» чи «ні»"
TIMESTAMPS = {"created_at", "updated_at", "recorded_at"}


def first_file() -> list[dict]:
    return [
        fte_row(1, 11, "a", "1500", "42.0", "53.0", tracking="TRUE", sponsors="Synthetic Gazette", sponsor_ids="352"),
        fte_row(1, 12, "rv", "1155", "44.0", "55.0", tracking="TRUE", sponsors="Synthetic Gazette", sponsor_ids="352"),
        fte_row(2, 21, "v", methodology="IVR/Online", sponsors="Synthetic Gazette | Synthetic TV", sponsor_ids="1,2"),
        fte_row(3, 31, "rv", methodology="Automated Phone", state="Ohio", notes=UKRAINIAN),
        fte_row(4, 41, "a", n="", methodology="Carrier Pigeon/Text", sponsors="Synthetic A, Synthetic B"),
        fte_row(5, 51, "a", methodology="", pollster="Another Synthetic Poll Co.", notes="line one\nline two"),
        fte_row(6, 63, "rv", "900"), fte_row(6, 61, "lv", "800", notes="Synthetic combo"), fte_row(6, 62, "lv", "600"),
        fte_row(7, 71, "lv", "700", politician="Synthetic Президент", url="https://synthetic.example.org/base-7"),
        fte_row(7, 72, "a", "700", politician="Synthetic Президент", url="https://synthetic.example.org/other-base"),
    ]  # fmt: skip


def corrected_file() -> list[dict]:
    rows = first_file()
    rows[0] = {**rows[0], "yes": "43.0"}  # poll 1 changes
    rows.append(fte_row(3, 32, "lv", "500", methodology="Automated Phone", state="Ohio"))  # poll 3 gains a base
    rows += [fte_row(100 + i, 1000 + i, "lv", yes=f"{40 + i}.0", no="50.0") for i in range(5)]  # new polls
    return rows


def required_only_file() -> tuple[list[dict], list[str]]:
    return [fte_row(200 + i, 2000 + i, "rv", n=str(600 + i)) for i in range(3)], list(REQUIRED)


def comparable(contents: dict[str, list[tuple[Any, ...]]], app) -> dict[str, list[Any]]:
    """Table contents without timestamps; revisions keyed by (poll_id, revision) instead of their
    surrogate ids (the per-poll path numbers a commit's revisions in poll id order, the fast path
    numbers the new polls' first, then the per-poll upserts'), JSON compared as values."""
    from pollapp.services import backup_format

    out: dict[str, list[Any]] = {}
    revision_key: dict[int, tuple[int, int]] = {}
    tables = {t.name: t for t in backup_format.tables()}
    for row in contents.get("poll_revisions", []):
        named = dict(zip([c.name for c in tables["poll_revisions"].columns], row))
        revision_key[named["id"]] = (named["poll_id"], named["revision"])
    for name, rows in contents.items():
        columns = [c.name for c in tables[name].columns]
        kept = []
        for row in rows:
            named = {c: v for c, v in zip(columns, row) if c not in TIMESTAMPS}
            if name == "poll_revisions":
                named.pop("id")
            if name == "poll_revision_series":
                named["revision_id"] = revision_key[named["revision_id"]]
            kept.append(json.loads(json.dumps(named, default=str, sort_keys=True)))
        out[name] = sorted(kept, key=lambda r: json.dumps(r, sort_keys=True))
    return out


def run_sequence(app, tmp_path: Path, monkeypatch, fast: bool) -> list[dict]:
    monkeypatch.setattr(imports_fte_fast, "FAST", fast)
    calls: list[str] = []
    original = imports_fte.import_fte
    monkeypatch.setattr(imports_fte, "import_fte", lambda *a, **k: calls.append(a[2]) or original(*a, **k))
    runner = app.test_cli_runner()
    reports = []

    def run(rows: list[dict], name: str, *args: str, columns: Any = None) -> None:
        path = write(tmp_path / name, rows, columns) if columns else write(tmp_path / name, rows)
        result = runner.invoke(args=["data", "import", str(path), *args])
        assert result.exit_code == 0, result.output
        reports.append(load_report(result) | {"changes": re.search(r"changes: (\d+)", result.stdout).group(1)})

    run(first_file(), "first.csv", "--series", "synthetic-approval")
    run(corrected_file(), "corrected.csv", "--series", "synthetic-approval")
    run(corrected_file(), "again.csv", "--series", "synthetic-approval")
    run(corrected_file(), "no-series.csv")
    with app.app_context():
        poll = db.session.query(Poll).filter_by(source_id="2").one()
        poll_service.delete_poll(db.session, poll)
        db.session.commit()
    run(corrected_file(), "restore.csv", "--series", "synthetic-approval")
    rows, columns = required_only_file()
    run(rows, "required.csv", "--series", "synthetic-approval", columns=columns)
    assert calls == ([] if fast else [name for name in ("first.csv", "corrected.csv", "again.csv", "no-series.csv",
                                                          "restore.csv", "required.csv")]), "which path ran"
    return reports


def test_the_fast_path_writes_exactly_what_the_per_poll_path_writes(tmp_path, monkeypatch):
    results = {}
    for fast in (False, True):
        with migrated_app(tmp_path, f"fast_{fast}".lower()) as app:
            reports = run_sequence(app, tmp_path, monkeypatch, fast)
            results[fast] = (reports, comparable(table_contents(app), app))
    (slow_reports, slow), (fast_reports, fast) = results[False], results[True]
    assert fast_reports == slow_reports
    assert fast_reports[2]["changes"] == "0" and fast_reports[1]["polls"] == (5, 2, 5)
    assert slow.keys() == fast.keys()
    for table in slow:
        assert fast[table] == slow[table], table
    assert len(fast["poll_revisions"]) > len(fast["polls"]) == 15


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(SAFE_URL, fullmatch=True))
def test_every_url_the_fast_path_accepts_the_schema_accepts(url):
    """The fast path decides a URL only when marshmallow's Url field (the poll schema's) accepts it."""
    assert fields.Url(schemes={"http", "https"}).deserialize(url) == url


@pytest.mark.parametrize("url", ["ftp://example.org/x", "https://localhost/x", "https://exa mple.org", "https://example.org/\n"])
def test_urls_the_fast_path_cannot_prove_go_the_per_poll_way(url):
    assert not SAFE_URL.fullmatch(url)


def _bad_files() -> dict[str, Any]:
    """SYNTHETIC files the fast path must not decide, each with what is wrong with it."""
    rows = first_file()
    return {
        "sum over 102": [*rows[:3], {**rows[3], "yes": "70.0", "no": "60.0"}, *rows[4:]],
        "a poll-level cell differs": [rows[0], {**rows[1], "end_date": "1/5/21"}, *rows[2:]],
        "a bad date": [*rows[:2], {**rows[2], "start_date": "2/30/21"}, *rows[3:]],
        "end before start": [*rows[:2], {**rows[2], "start_date": "1/9/21"}, *rows[3:]],
        "an ftp url": [*rows[:2], {**rows[2], "url": "ftp://synthetic.example.org/x"}, *rows[3:]],
        "a long state": [*rows[:2], {**rows[2], "state": "S" * 101}, *rows[3:]],
        "an empty poll_id": [*rows[:2], {**rows[2], "poll_id": ""}, *rows[3:]],
        "an unknown population": [*rows[:2], {**rows[2], "population": "xx"}, *rows[3:]],
        "a sponsor without letters": [*rows[:2], {**rows[2], "sponsors": "!!!"}, *rows[3:]],
        "a fractional sample size": [*rows[:2], {**rows[2], "sample_size": "12.5"}, *rows[3:]],
    }


@pytest.mark.parametrize("case", sorted(_bad_files()))
def test_a_file_the_fast_path_cannot_prove_gets_the_per_poll_paths_answer(case, runner, app, tmp_path, monkeypatch):
    path = write(tmp_path / "bad.csv", _bad_files()[case])
    calls: list[str] = []
    original = imports_fte.import_fte
    monkeypatch.setattr(imports_fte, "import_fte", lambda *a, **k: calls.append(a[2]) or original(*a, **k))
    outputs = []
    for fast in (False, True):
        monkeypatch.setattr(imports_fte_fast, "FAST", fast)
        result = runner.invoke(args=["data", "import", str(path), "--series", "synthetic-approval"])
        outputs.append((result.exit_code, result.stdout, result.stderr))
    assert calls == ["bad.csv", "bad.csv"], "the fast path handed the file to the per-poll path"
    assert outputs[0] == outputs[1], case
    assert outputs[1][0] == 1 and "nothing was imported" in outputs[1][2], outputs[1]


def test_ragged_rows_a_blank_first_line_and_odd_ids_take_the_per_poll_path(runner, tmp_path, monkeypatch):
    path = write(tmp_path / "fte.csv", first_file())
    text = path.read_text(encoding="utf-8")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(text.replace("\n", ",extra\n", 3).replace(",extra", "", 1), encoding="utf-8")
    blank_first = tmp_path / "blank-first.csv"
    blank_first.write_text("\n" + text, encoding="utf-8")
    for fast in (False, True):
        monkeypatch.setattr(imports_fte_fast, "FAST", fast)
        result = runner.invoke(args=["data", "import", str(ragged)])
        assert result.exit_code == 1 and "fields but the header has" in result.stderr
    odd_id = write(tmp_path / "odd-id.csv", [*first_file()[:2], {**first_file()[2], "question_id": "q21"}])
    assert imports_fte_fast._frame(odd_id.read_bytes(), "odd-id.csv") is None  # the per-poll path sorts it
    assert imports_fte_fast._frame(blank_first.read_bytes(), "blank-first.csv") is None
    assert imports_fte_fast._frame(ragged.read_bytes(), "ragged.csv") is None
    assert imports_fte_fast._frame(path.read_bytes(), "fte.csv") is not None


def test_a_file_with_a_problem_is_reported_by_the_per_poll_path_exactly_as_before(runner, tmp_path, monkeypatch):
    rows = first_file()
    rows[3] = {**rows[3], "yes": "70.0", "no": "60.0"}  # sums to 130: the poll rules refuse it
    path = write(tmp_path / "bad.csv", rows)
    outputs = []
    for fast in (False, True):
        monkeypatch.setattr(imports_fte_fast, "FAST", fast)
        result = runner.invoke(args=["data", "import", str(path)])
        assert result.exit_code == 1
        outputs.append(result.stderr)
    assert outputs[0] == outputs[1] and "bad.csv:5/yes/no:" in outputs[1] and "130" in outputs[1]
