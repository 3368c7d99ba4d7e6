"""Fill a freshly migrated database with SYNTHETIC polls for benchmarks (see ``bench/fill_rows.py``).

    python bench/fill.py --size large --database-url postgresql+psycopg://root:pollapp@127.0.0.1/pollapp_bench_hd
    python bench/fill.py --polls 5000 --database-url sqlite:////tmp/bench.db

The schema is made the way production makes it (``flask db upgrade``); the rows then go in through the
raw driver (PostgreSQL ``COPY``, sqlite3 ``executemany``) in one transaction, because the ORM path
(about 3,000 polls/s with history) would take minutes at the large size. ``--reset`` empties the
database first (PostgreSQL: drops and recreates the first schema of the search path, ``public``
unless the URL says ``?options=-csearch_path=<schema>``; SQLite: deletes the file).
On PostgreSQL the id sequences are moved past the ids written and the tables are ANALYZEd, so the
planner sees the real row counts and index-only scans work (VACUUM ANALYZE; see ``bench/bench_plans.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from sqlalchemy import make_url  # noqa: E402

from fill_rows import COLUMNS, SIZES, TABLE_ORDER, Generator  # noqa: E402

SEQUENCED = ("pollsters", "sponsors", "series", "series_outcomes", "polls", "questions", "answers",
             "series_members", "poll_revisions")  # fmt: skip


def migrate(database_url: str, reset: bool = False, allow_rows: bool = False) -> None:
    """``flask db upgrade`` on ``database_url`` (after emptying it with ``reset``); refuses a database
    that already holds polls unless ``allow_rows`` (bringing a filled database up to date)."""
    from sqlalchemy import create_engine, text

    from pollapp import create_app
    from pollapp.extensions import db

    url = make_url(database_url)
    if reset:
        if url.get_backend_name() == "sqlite":
            if url.database and os.path.exists(url.database):
                os.remove(url.database)
        else:
            engine = create_engine(database_url)
            with engine.begin() as conn:  # the first schema of the search path (``?options=-csearch_path=x``)
                schema = next(s.strip().strip('"') for s in conn.execute(text("SHOW search_path")).scalar().split(",")
                              if s.strip() != '"$user"')
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    if result.exit_code != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{result.output}")
    with app.app_context():
        if not allow_rows and db.session.execute(text("SELECT count(*) FROM polls")).scalar():
            raise SystemExit("the database already holds polls: pass --reset to empty it first")
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------- writers


def _sqlite_value(value: Any) -> Any:
    """SQLAlchemy's SQLite storage formats: ISO dates, 'YYYY-MM-DD HH:MM:SS.ffffff' UTC timestamps
    (naive), booleans as 0/1; JSON columns arrive as text already."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _sqlite_writer(database_url: str) -> tuple[Callable[[str, list[tuple]], None], Callable[[], None]]:
    import sqlite3

    conn = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")

    def write(table: str, rows: list[tuple]) -> None:
        columns = COLUMNS[table]
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        conn.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows))

    def finish() -> None:
        conn.execute("COMMIT")
        conn.close()

    return write, finish


def _postgres_writer(database_url: str) -> tuple[Callable[[str, list[tuple]], None], Callable[[], None]]:
    import psycopg

    url = make_url(database_url).set(drivername="postgresql")
    conn = psycopg.connect(url.render_as_string(hide_password=False))

    def write(table: str, rows: list[tuple]) -> None:
        with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def finish() -> None:
        with conn.cursor() as cur:
            for table in SEQUENCED:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"
                )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")  # planner statistics, and the visibility map index-only scans need
        conn.close()

    return write, finish


def fill(database_url: str, n_polls: int, *, reset: bool = False, seed: int = 20261128, quiet: bool = False) -> dict[str, int]:
    """Migrate, then write ``n_polls`` synthetic polls with everything around them; returns row counts."""
    migrate(database_url, reset=reset)
    backend = make_url(database_url).get_backend_name()
    write, finish = (_sqlite_writer if backend == "sqlite" else _postgres_writer)(database_url)
    generator = Generator(n_polls, seed)
    counts = {table: 0 for table in TABLE_ORDER}
    for table, rows in generator.reference.items():
        write(table, rows)
        counts[table] += len(rows)
    for chunk in generator.chunks():
        for table in TABLE_ORDER:
            if chunk.get(table):
                write(table, chunk[table])
                counts[table] += len(chunk[table])
        if not quiet:
            print(f"  {counts['polls']:,} polls", end="\r", file=sys.stderr, flush=True)
    finish()
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--size", choices=sorted(SIZES), help="small (1,000 polls), medium (20,000), large (100,000)")
    size.add_argument("--polls", type=int, help="any number of polls")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required="DATABASE_URL" not in os.environ)
    parser.add_argument("--reset", action="store_true", help="empty the database first")
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args(argv)
    n_polls = args.polls if args.polls is not None else SIZES[args.size]
    start = time.perf_counter()
    counts = fill(args.database_url, n_polls, reset=args.reset, seed=args.seed)
    elapsed = time.perf_counter() - start
    print(f"SYNTHETIC data: {', '.join(f'{t} {n:,}' for t, n in counts.items())} in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
