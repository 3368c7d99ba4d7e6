"""Benchmark: ``flask data import`` of a 100,000-row SYNTHETIC file in FiveThirtyEight's approval layout
(``synthetic.write_fte_csv``: no real poll in it) into a fresh SQLite file and a fresh PostgreSQL
database, then the same file again (idempotent: 0 changes).

Each import runs in a child process (a migrated empty database, app created, the import service
called as the CLI calls it, then commit), which reports its wall time and its peak RSS
(``VmHWM``), so the parent's file generation does not count. Baseline in the same run: reading
the file with ``csv.reader`` alone. Writes ``bench/results/import.md`` and ``import.json``.

PostgreSQL: ``BENCH_DATABASE_URL`` (default ``postgresql+psycopg://root:pollapp@127.0.0.1:5432/pollapp_bench``);
its public schema is DROPPED and recreated. Unreachable: the PostgreSQL rows say "skipped" and why.
Run: ``make bench`` (or ``.venv/bin/python bench/bench_import.py [ROWS]``).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import peak_rss_mb

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DEFAULT_PG = "postgresql+psycopg://root:pollapp@127.0.0.1:5432/pollapp_bench"



def child(url: str, path: str, fresh: bool) -> None:
    """Import ``path`` into ``url`` (migrated first when ``fresh``) and print timings as JSON."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from pollapp import create_app
    from pollapp.extensions import db
    from pollapp.schemas.imports import import_validators
    from pollapp.services import history, imports

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if fresh:
            if not url.startswith("sqlite"):
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
            upgrade(directory=str(HERE.parent / "migrations"))
        history.set_actor(db.session, "bench: bench_import.py")
        validators = import_validators()
        start = time.perf_counter()
        report = imports.import_file(db.session, Path(path), validators, series_slug="synthetic-fte-approval")
        db.session.commit()
        seconds = time.perf_counter() - start
    peak_kb = peak_rss_mb() * 1024
    print(json.dumps({"seconds": seconds, "rows": report.rows, "changes": report.changes,
                      "polls": report.counts.get("polls"), "peak_rss_mb": round(peak_kb / 1024, 1)}))


def run_child(url: str, path: Path, fresh: bool) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", url, str(path), "fresh" if fresh else "again"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def reachable(url: str) -> str | None:
    """None when PostgreSQL answers, else the reason."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip, and say why
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return None


def main(n_rows: int) -> None:
    from synthetic import write_fte_csv

    machine = f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    results: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic-fte-approval.csv"
        n_polls = write_fte_csv(path, n_rows)
        size_mb = path.stat().st_size / 1e6
        start = time.perf_counter()
        with path.open(newline="", encoding="utf-8") as handle:
            read = sum(1 for _ in csv.reader(handle)) - 1
        baseline = time.perf_counter() - start
        pg_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
        targets = [("SQLite", f"sqlite:///{tmp}/bench.db", None), ("PostgreSQL", pg_url, reachable(pg_url))]
        for name, url, skipped in targets:
            if skipped:
                print(f"PostgreSQL skipped ({pg_url.split('@')[-1]} unreachable: {skipped}); set BENCH_DATABASE_URL.")
                results.append({"database": name, "skipped": skipped})
                continue
            first = run_child(url, path, fresh=True)
            again = run_child(url, path, fresh=False)
            assert first["rows"] == n_rows and again["changes"] == 0, (first, again)
            results.append({
                "database": name, "rows": n_rows, "polls": n_polls,
                "first_s": round(first["seconds"], 2), "first_rows_per_s": round(n_rows / first["seconds"]),
                "first_peak_rss_mb": first["peak_rss_mb"],
                "again_s": round(again["seconds"], 2), "again_rows_per_s": round(n_rows / again["seconds"]),
                "again_peak_rss_mb": again["peak_rss_mb"],
                "ratio_to_csv_read": round(first["seconds"] / baseline, 1),
            })  # fmt: skip
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    payload = {"machine": machine, "data": "SYNTHETIC (bench/synthetic.py write_fte_csv)", "rows": n_rows,
               "file_mb": round(size_mb, 1), "csv_read_s": round(baseline, 3), "csv_read_rows": read, "results": results}
    (out / "import.json").write_text(json.dumps(payload, indent=2) + "\n")
    lines = [
        f"# Import benchmark: {n_rows:,} SYNTHETIC rows in FiveThirtyEight's approval layout",
        "",
        f"Machine: {machine}",
        "",
        f"File: {size_mb:.1f} MB, {n_polls:,} polls (every third poll has two population rows), imported with "
        "`--series`; baseline: `csv.reader` alone reads it in "
        f"{baseline:.2f} s. Times are the import service call + commit in a child process (app start excluded); "
        "peak RSS is that child's high-water mark.",
        "",
        "| database | first import (s) | rows/s | peak RSS (MB) | re-import, 0 changes (s) | rows/s | peak RSS (MB) | first / csv read |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['database']} | skipped: {r['skipped']} | | | | | | |")
        else:
            lines.append(
                f"| {r['database']} | {r['first_s']} | {r['first_rows_per_s']:,} | {r['first_peak_rss_mb']} "
                f"| {r['again_s']} | {r['again_rows_per_s']:,} | {r['again_peak_rss_mb']} | {r['ratio_to_csv_read']} |"
            )
    (out / "import.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], sys.argv[4] == "fresh")
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
