"""Benchmark: ``flask data import`` of a 100,000-row SYNTHETIC file in FiveThirtyEight's approval layout
(``synthetic.write_fte_csv``: no real poll in it) into a fresh SQLite file and a fresh PostgreSQL
database, then the same file again (idempotent: 0 changes).

Each import runs in a child process (a migrated empty database, app created, the import service
called as the CLI calls it, then commit), which reports its wall time and its peak RSS
(``VmHWM``), so the parent's file generation does not count.

Baseline in the same run (the target of issue 7: import at >= 50% of the raw driver's rate): every row
the import wrote, in every table (polls, questions, answers, sponsors' links, series members and
mappings, revisions, pollsters, sponsors, the series), read back and inserted again into a fresh
migrated database with the raw driver alone (sqlite3 ``executemany``; psycopg ``cursor.copy(... FROM
STDIN)`` with ``write_row``), timing only the inserts and the commit, in a child process too.
ratio = raw seconds / import seconds. Also reported: reading the file with ``csv.reader`` alone.
Writes ``bench/results/import.md`` and ``import.json``.

PostgreSQL: ``BENCH_DATABASE_URL`` (default ``postgresql+psycopg://root:pollapp@127.0.0.1:5432/pollapp_bench``);
its schema ``bench_import`` (only that one) is DROPPED and recreated (twice: for the import, then for
the raw baseline). Unreachable: the PostgreSQL rows say "skipped" and why.
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

from measure import in_schema, peak_rss_mb, reset_schema, unreachable

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DEFAULT_PG = "postgresql+psycopg://root:pollapp@127.0.0.1:5432/pollapp_bench"
SCHEMA = "bench_import"  # the only schema this benchmark empties



def child(url: str, path: str, fresh: bool) -> None:
    """Import ``path`` into ``url`` (migrated first when ``fresh``) and print timings as JSON."""
    from flask_migrate import upgrade

    from pollapp import create_app
    from pollapp.extensions import db
    from pollapp.schemas.imports import import_validators
    from pollapp.services import history, imports

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if fresh:
            if not url.startswith("sqlite"):
                reset_schema(url)
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


def migrate_fresh(url: str) -> None:
    from flask_migrate import upgrade

    from pollapp import create_app
    from pollapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if url.startswith("sqlite"):
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        else:
            reset_schema(url)
        upgrade(directory=str(HERE.parent / "migrations"))
        db.engine.dispose()


def table_order() -> list[str]:
    from pollapp.services import backup_format

    return [t.name for t in backup_format.tables()]


def dump_rows(url: str, out: str) -> None:
    """Every row of every table (the database was empty before the import), as the raw driver
    returns them (PostgreSQL json as text), pickled to ``out`` for :func:`raw_child`."""
    import pickle

    rows: dict[str, tuple[list[str], list[tuple]]] = {}
    with _raw_connect(url) as conn:
        cursor = conn.cursor()
        for table in table_order():
            cursor.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            found = [tuple(r) for r in cursor.fetchall()]
            if found:
                rows[table] = (names, found)
    with open(out, "wb") as handle:
        pickle.dump(rows, handle, protocol=pickle.HIGHEST_PROTOCOL)


def raw_child(url: str, dump: str) -> None:
    """Insert the dumped rows into ``url`` (freshly migrated) with the raw driver; print the timing."""
    import pickle

    with open(dump, "rb") as handle:
        rows = pickle.load(handle)
    with _raw_connect(url) as conn:
        start = time.perf_counter()
        cursor = conn.cursor()
        for table in table_order():
            if table not in rows:
                continue
            names, found = rows[table]
            columns = ", ".join(f'"{n}"' for n in names)
            if url.startswith("sqlite"):
                cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join("?" for _ in names)})', found)
            else:
                with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                    for row in found:
                        copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rows": {t: len(r[1]) for t, r in rows.items()},
                      "peak_rss_mb": round(peak_rss_mb(), 1)}))


def _raw_connect(url: str):
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA foreign_keys=ON")  # as pollapp's own connections (pollapp/__init__.py)
        return conn
    import psycopg
    from psycopg.types.string import TextLoader
    from sqlalchemy import make_url

    u = make_url(url)
    conn = psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password, dbname=u.database,
                           options=u.query.get("options"))  # the benchmark's schema
    for name in ("json", "jsonb"):
        conn.adapters.register_loader(name, TextLoader)  # JSON back as the text COPY takes
    return conn


def run_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


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
        pg_url = in_schema(os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG), SCHEMA)
        targets = [("SQLite", f"sqlite:///{tmp}/bench.db", None), ("PostgreSQL", pg_url, unreachable(pg_url))]
        for name, url, skipped in targets:
            if skipped:
                print(f"PostgreSQL skipped ({pg_url.split('@')[-1]} unreachable: {skipped}); set BENCH_DATABASE_URL.")
                results.append({"database": name, "skipped": skipped})
                continue
            first = run_child("--child", url, str(path), "fresh")
            again = run_child("--child", url, str(path), "again")
            assert first["rows"] == n_rows and again["changes"] == 0, (first, again)
            dump = str(Path(tmp) / "rows.pickle")
            dump_rows(url, dump)
            migrate_fresh(url)
            raw = run_child("--raw", url, dump)
            table_rows = sum(raw["rows"].values())
            results.append({
                "database": name, "rows": n_rows, "polls": n_polls,
                "first_s": round(first["seconds"], 2), "first_rows_per_s": round(n_rows / first["seconds"]),
                "first_peak_rss_mb": first["peak_rss_mb"],
                "raw_s": round(raw["seconds"], 2), "table_rows": table_rows, "table_rows_by_table": raw["rows"],
                "ratio_raw_to_import": round(raw["seconds"] / first["seconds"], 2),
                "again_s": round(again["seconds"], 2), "again_rows_per_s": round(n_rows / again["seconds"]),
                "again_peak_rss_mb": again["peak_rss_mb"],
                "ratio_to_csv_read": round(first["seconds"] / baseline, 1),
            })  # fmt: skip
            print(f"{name}: import {first['seconds']:.2f} s, raw driver {raw['seconds']:.2f} s for {table_rows:,} table rows, "
                  f"ratio {raw['seconds'] / first['seconds']:.2f}; re-import {again['seconds']:.2f} s", flush=True)
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
        "`--series`. Times are the import service call + commit in a child process (app start excluded); "
        "peak RSS is that child's high-water mark. Baseline (same run): every row the import wrote, in every "
        "table, inserted again into a fresh migrated database by the raw driver alone (sqlite3 `executemany`; "
        "psycopg `COPY ... FROM STDIN`), inserts + commit timed; ratio = raw s / import s (target >= 0.50). "
        f"`csv.reader` alone reads the file in {baseline:.2f} s.",
        "",
        "| database | first import (s) | rows/s | peak RSS (MB) | raw driver, same table rows (s) | table rows | ratio raw / import | re-import, 0 changes (s) | rows/s | peak RSS (MB) | first / csv read |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['database']} | skipped: {r['skipped']} | | | | | | | | | |")
        else:
            lines.append(
                f"| {r['database']} | {r['first_s']} | {r['first_rows_per_s']:,} | {r['first_peak_rss_mb']} "
                f"| {r['raw_s']} | {r['table_rows']:,} | {r['ratio_raw_to_import']} | {r['again_s']} | {r['again_rows_per_s']:,} | {r['again_peak_rss_mb']} | {r['ratio_to_csv_read']} |"
            )
    (out / "import.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], sys.argv[4] == "fresh")
    elif sys.argv[1:2] == ["--raw"]:
        raw_child(sys.argv[2], sys.argv[3])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
