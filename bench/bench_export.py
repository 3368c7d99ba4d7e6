"""Benchmark: peak memory and speed of streaming a 1,000,000-row CSV export.

Builds a SYNTHETIC series (``synthetic.py``'s values: no real poll) of 500,000 polls x 2 outcomes =
1,000,000 long-form export rows in a SQLite file under /tmp, with SQLAlchemy Core executemany inserts
of explicit ids (not the API, not the ORM). Then, in fresh child processes so the build does not
pollute the measures, streams ``GET /api/v1/series/SLUG/data.csv`` through Flask's test client
(``buffered=False``, chunks counted and dropped, as a server writes them to a socket):

- run 1, plain: wall time, rows/s, bytes, RSS before the request and the process high-water mark;
- run 2, under ``tracemalloc``: peak Python memory allocated during the request (slower; not timed);
- baseline, in its own child: ``repository.series_points_stream`` alone (the SQL rows, no encoding),
  to show what the CSV writer and WSGI layers add;
- pandas baseline, in its own child: the same rows loaded into a ``DataFrame`` (the export's columns,
  in its order), then ``DataFrame.to_csv`` to /dev/null: to_csv's time and rows/s, and that process's
  high-water mark (the whole table in memory, which the streamed export never holds).

Writes ``bench/results/export.md`` and ``export.json``. Run: ``make bench`` (or
``.venv/bin/python bench/bench_export.py [POLLS]``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from measure import peak_rss_mb

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SLUG = "synthetic-export-benchmark"
DB_PATH = Path("/tmp/pollapp-bench-export.db")

def build(n_polls: int, path: Path) -> float:
    """Migrate a fresh SQLite file and fill it with Core executemany; returns the seconds taken."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from pollapp import create_app
    from pollapp.extensions import db
    from pollapp.models import (
        Answer, Poll, Pollster, Question, Series, SeriesMapping, SeriesMember, SeriesOutcome, utcnow,
    )  # fmt: skip
    from synthetic import synthetic_polls

    path.unlink(missing_ok=True)
    start = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade(directory=str(HERE.parent / "migrations"))
        now = utcnow()
        conn = db.session.connection()
        n_pollsters = 20
        conn.execute(insert(Pollster), [
            {"id": i + 1, "slug": f"synthetic-pollster-{i}", "name": f"Synthetic Pollster {i}", "memberships": [],
             "created_at": now, "updated_at": now} for i in range(n_pollsters)
        ])  # fmt: skip
        conn.execute(insert(Series), [{"id": 1, "slug": SLUG, "title": "SYNTHETIC export benchmark series",
                                       "tags": ["synthetic"], "created_at": now, "updated_at": now}])
        conn.execute(insert(SeriesOutcome), [{"id": 1, "series_id": 1, "code": "yes", "label": "Yes", "position": 1},
                                             {"id": 2, "series_id": 1, "code": "no", "label": "No", "position": 2}])
        batch = 50_000
        specs = synthetic_polls(n_polls, n_pollsters)
        for lo in range(0, n_polls, batch):
            chunk = list(enumerate(specs[lo : lo + batch], start=lo + 1))
            conn.execute(insert(Poll), [
                {"id": i, "pollster_id": s["pollster"] + 1, "field_start_date": s["start"], "field_end_date": s["end"],
                 "field_dates_precision": "day", "country": "XX", "population": "adults", "sample_size": s["n"],
                 "modes": ["online_panel"], "languages": [], "weighting_variables": [], "self_sponsored": False,
                 "partisan": False, "internal": False, "tracking": False, "source": "synthetic-export-benchmark",
                 "source_id": str(i), "source_url": f"https://synthetic.example.org/{i}", "notes": "SYNTHETIC",
                 "created_at": now, "updated_at": now}
                for i, s in chunk
            ])  # fmt: skip
            conn.execute(insert(Question), [
                {"id": i, "poll_id": i, "code": "q", "wording": "Synthetic question?", "wording_exact": True,
                 "language": "en", "position": 1, "multi_select": False, "remainder_not_reported": False}
                for i, _ in chunk
            ])  # fmt: skip
            conn.execute(insert(Answer), [
                {"id": 2 * i - 1 + k, "question_id": i, "code": code, "label": code, "pct": s[code], "position": k + 1,
                 "substantive": True}
                for i, s in chunk for k, code in enumerate(("yes", "no"))
            ])  # fmt: skip
            conn.execute(insert(SeriesMember), [{"id": i, "series_id": 1, "question_id": i} for i, _ in chunk])
            conn.execute(insert(SeriesMapping), [
                {"member_id": i, "answer_id": 2 * i - 1 + k, "outcome_id": k + 1} for i, _ in chunk for k in (0, 1)
            ])  # fmt: skip
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - start

def child(mode: str) -> None:
    """Stream the export once; print the measures as JSON (``mode``: plain or tracemalloc)."""
    import tracemalloc

    from pollapp import create_app
    from pollapp import repository
    from pollapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{DB_PATH}"})
    client = app.test_client()
    client.get("/api/v1/series")  # warm: first request machinery, not the export
    out: dict = {"mode": mode}
    if mode == "pandas":
        import pandas as pd

        from pollapp.services import exports

        with app.app_context():
            series_id = repository.series_by_slug(db.session, SLUG).id
            rows = list(repository.series_points_stream(db.session, series_id, repository.PointFilters()))
        frame = pd.DataFrame.from_records(rows, columns=[f.name for f in exports.FIELDS])
        frame["modes"] = frame["modes"].map(lambda modes: ";".join(modes or []))
        del rows
        start = time.perf_counter()
        with open(os.devnull, "w", encoding="utf-8") as sink:
            frame.to_csv(sink, index=False)
        out.update(pandas_rows=len(frame), pandas_to_csv_s=time.perf_counter() - start, pandas_rss_peak_mb=peak_rss_mb())
        print(json.dumps(out))
        return
    if mode == "baseline":
        with app.app_context():
            series_id = repository.series_by_slug(db.session, SLUG).id
            start = time.perf_counter()
            rows = sum(1 for _ in repository.series_points_stream(db.session, series_id, repository.PointFilters()))
            out["baseline_rows"] = rows
            out["baseline_s"] = time.perf_counter() - start
        print(json.dumps(out))
        return
    rss_before = peak_rss_mb() * 1024
    if mode == "tracemalloc":
        tracemalloc.start()
    start = time.perf_counter()
    response = client.get(f"/api/v1/series/{SLUG}/data.csv", buffered=False)
    assert response.status_code == 200 and response.is_streamed
    size = lines = chunks = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
        chunks += 1
    response.close()
    out["seconds"] = time.perf_counter() - start
    if mode == "tracemalloc":
        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    out.update(bytes=size, rows=lines - 1, chunks=chunks, rss_before_mb=rss_before / 1024,
               rss_peak_mb=peak_rss_mb())
    print(json.dumps(out))

def run_child(mode: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", mode], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])

def main(n_polls: int) -> None:
    machine = f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"building a SYNTHETIC series of {n_polls:,} polls x 2 outcomes in {DB_PATH} ...", flush=True)
    if os.environ.get("BENCH_REUSE_DB") and DB_PATH.exists():
        build_s = 0.0  # reused (BENCH_REUSE_DB=1): same generator, same size assumed
    else:
        build_s = build(n_polls, DB_PATH)
    baseline = run_child("baseline")
    pandas_run = run_child("pandas")
    plain = run_child("plain")
    traced = run_child("tracemalloc")
    assert plain["rows"] == traced["rows"] == 2 * n_polls, (plain, traced)
    result = {
        "machine": machine, "data": "SYNTHETIC (bench/synthetic.py)", "database": "SQLite",
        "date": dt.date.today().isoformat(), "polls": n_polls, "rows": plain["rows"], "bytes": plain["bytes"],
        "build_s": round(build_s, 1), "seconds": round(plain["seconds"], 2),
        "rows_per_s": round(plain["rows"] / plain["seconds"]), "mb_per_s": round(plain["bytes"] / 1e6 / plain["seconds"], 1),
        "rss_before_mb": round(plain["rss_before_mb"], 1), "rss_peak_mb": round(plain["rss_peak_mb"], 1),
        "tracemalloc_peak_mb": round(traced["tracemalloc_peak_mb"], 2),
        "baseline_stream_s": round(baseline["baseline_s"], 2),
        "baseline_rows_per_s": round(baseline["baseline_rows"] / baseline["baseline_s"]),
        "ratio_to_baseline": round(plain["seconds"] / baseline["baseline_s"], 2),
        "pandas_to_csv_s": round(pandas_run["pandas_to_csv_s"], 2),
        "pandas_rows_per_s": round(pandas_run["pandas_rows"] / pandas_run["pandas_to_csv_s"]),
        "pandas_rss_peak_mb": round(pandas_run["pandas_rss_peak_mb"], 1),
        "ratio_to_pandas": round(plain["seconds"] / pandas_run["pandas_to_csv_s"], 2),
    }  # fmt: skip
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "export.json").write_text(json.dumps(result, indent=2) + "\n")
    r = result
    lines = [
        f"# Export benchmark: {r['rows']:,}-row CSV (SYNTHETIC series, SQLite)",
        "",
        f"Machine: {machine}",
        "",
        f"`GET /api/v1/series/{SLUG}/data.csv` (long form) streamed through Flask's test client in a fresh process; "
        f"{n_polls:,} synthetic polls x 2 outcomes, built with Core executemany "
        + (f"in {r['build_s']} s." if r["build_s"] else "(database reused from an earlier run, BENCH_REUSE_DB=1)."),
        "",
        "| rows | MB sent | seconds | rows/s | RSS before (MB) | RSS high-water (MB) | tracemalloc peak (MB) | SQL rows only (s) | ratio |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {r['rows']:,} | {r['bytes'] / 1e6:.1f} | {r['seconds']} | {r['rows_per_s']:,} | {r['rss_before_mb']} "
        f"| {r['rss_peak_mb']} | {r['tracemalloc_peak_mb']} | {r['baseline_stream_s']} | {r['ratio_to_baseline']} |",
        "",
        "RSS before = the process with the app loaded (pandas, statsmodels imports); the high-water mark minus it is "
        "what the export added. tracemalloc peak = Python allocations during the request (a second run). "
        "Ratio = export time / time to stream the same SQL rows without encoding them.",
        "",
        "Against pandas (the issue's baseline): the same rows in a DataFrame, `to_csv` to /dev/null in its own process.",
        "",
        "| | seconds | rows/s | process high-water (MB) |",
        "|---|---|---|---|",
        f"| pollapp streamed export (HTTP, whole request) | {r['seconds']} | {r['rows_per_s']:,} | {r['rss_peak_mb']} |",
        f"| pandas `DataFrame.to_csv` (rows already in memory) | {r['pandas_to_csv_s']} | {r['pandas_rows_per_s']:,} "
        f"| {r['pandas_rss_peak_mb']} |",
        "",
        f"Export time / to_csv time: {r['ratio_to_pandas']}. Target: peak memory of the export under 300 MB.",
    ]
    (out / "export.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 500_000)
