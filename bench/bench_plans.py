"""Query plans of the list and points endpoints on the LARGE SYNTHETIC dataset in PostgreSQL.

For every filter and sort of ``GET /api/v1/polls`` (``PollListArgsSchema`` / ``repository._filtered_polls``)
and of ``GET /api/v1/series/{slug}/points``, first and deep pages (keyset cursors), plus the trend's
data version, the statements the app REALLY issues are captured (a ``before_cursor_execute``
listener while the endpoint is called through the test client) and each is run again under
``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`` with its own parameters. Reported per statement: execution
time, shared buffers hit/read, and every sequential scan of a big table (polls, questions, answers,
series members and mappings, revisions, the link tables); a seq scan of a small table (pollsters,
sponsors, series, outcomes: tens of rows) is fine and not flagged.

Database: ``BENCH_DATABASE_URL`` in schema ``--pg-schema`` (default ``bench_http_large``, the one
``bench/bench_http.py`` fills; filled here if missing). Writes ``bench/results/plans.md`` and ``plans.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from sqlalchemy import event, text  # noqa: E402

from bench_http import DEFAULT_PG, postgres_dataset  # noqa: E402
from fill_rows import LARGEST_SERIES  # noqa: E402
from measure import machine_line  # noqa: E402

BIG_TABLES = {"polls", "questions", "answers", "series_members", "series_mappings", "poll_revisions",
              "poll_revision_series", "poll_sponsors", "poll_partners", "answer_components"}  # fmt: skip
OLD = dt.date(1986, 6, 30)
NOTES = """\
What the plans showed when these notes were last written (2026-11-29, evening, quiet machine, after
migration `0008`; every case is a first request: no response cache, the statistics' cache
emptied before each case). Rerunning refreshes the tables above, not this text: reread it against them.

- **Cached reads issue none of these statements**: a repeated request is answered from the response cache
  after one primary-key read of the data generation (or none, within its lease); these plans are what a
  first request after a write costs.
- **List pages** (7 statements: the page, then one query per relation). The page
  itself is an index scan (`ix_polls_field_end_id`), and a deep page costs what the first does (the keyset
  is a row comparison, an index range). The envelope's **`total`** (`count(*)` over the filtered polls) is
  a sequential scan of all live polls on every page, 40-70 ms: most of an unfiltered page's time.
- **`sort=[-]publication_date`** sorted every live poll per page (230-260 ms) until migration `0008`
  added the expression index `ix_polls_publication_sort` on `coalesce(publication_date, field_end_date),
  id` (PostgreSQL only: SQLAlchemy cannot reflect it on SQLite): its pages now cost what the
  field-end-date sort's do (an index scan; the rest is the count).
- **`tag`** (a semi-join over every member question of the tagged series: 0.4 s, nearly all its count) and
  **`q`** are the slow filters. `q` (`lower(wording) LIKE '%..%'`) has trigram indexes since migration `0009`
  (`pg_trgm`, PostgreSQL only): a selective search is two bitmap index scans (the word no question has:
  under a millisecond), but the synthetic wordings repeat, so `q=election` matches 80,000 questions and
  is still a sequential scan (about 0.9 s), as any plan reading a third of a table would be.
- **Series points** pages take 0.5-0.8 s on the 100,000-poll series, first or deep: the grouped subquery
  aggregates the whole series (hash joins over `series_mappings`, `questions` and `polls`) before the page
  is cut, and its `total` the same again; plus the series' fingerprint (labelled "series data version",
  100-150 ms). A page should aggregate only the questions of its own polls (keyset on the member polls first).
- **Trend, first request**: the fingerprint (about 115 ms, sequential scans of `polls` and `questions`) is
  all the SQL left; the statistics' rows come from `series_data_versions` (stored by the write).\
"""  # deep pages: a cursor far down the newest-first list


def cases(deep_poll_cursor: str, deep_point_cursor: str) -> list[tuple[str, str]]:
    s = LARGEST_SERIES
    return [
        ("list: no filter (newest first)", "/api/v1/polls?limit=200"),
        ("list: deep page (cursor in 1986)", f"/api/v1/polls?limit=200&cursor={deep_poll_cursor}"),
        ("list: sort=field_end_date (oldest first)", "/api/v1/polls?limit=200&sort=field_end_date"),
        ("list: sort=-publication_date", "/api/v1/polls?limit=200&sort=-publication_date"),
        ("list: sort=publication_date", "/api/v1/polls?limit=200&sort=publication_date"),
        ("list: pollster", "/api/v1/polls?limit=200&pollster=synthetic-pollster-07"),
        ("list: two pollsters", "/api/v1/polls?limit=200&pollster=synthetic-pollster-07&pollster=synthetic-pollster-11"),
        ("list: sponsor", "/api/v1/polls?limit=200&sponsor=synthetic-sponsor-03"),
        ("list: country (small one)", "/api/v1/polls?limit=200&country=XD"),
        ("list: population", "/api/v1/polls?limit=200&population=likely_voters"),
        ("list: mode", "/api/v1/polls?limit=200&mode=face_to_face"),
        ("list: field dates (one year)", "/api/v1/polls?limit=200&field_date_from=1999-01-01&field_date_to=1999-12-31"),
        ("list: series", f"/api/v1/polls?limit=200&series={s}"),
        ("list: tag", "/api/v1/polls?limit=200&tag=vote"),
        ("list: text search q", "/api/v1/polls?limit=200&q=election"),
        ("list: text search q (a word no question has)", "/api/v1/polls?limit=200&q=zelensky"),
        ("list: pollster + series + dates", f"/api/v1/polls?limit=200&pollster=synthetic-pollster-04&series={s}"
                                            "&field_date_from=2021-01-01"),
        ("points: first page", f"/api/v1/series/{s}/points?limit=200"),
        ("points: deep page", f"/api/v1/series/{s}/points?limit=200&cursor={deep_point_cursor}"),
        ("points: outcome", f"/api/v1/series/{s}/points?limit=200&outcome=approve"),
        ("points: pollster", f"/api/v1/series/{s}/points?limit=200&pollster=synthetic-pollster-04"),
        ("points: population", f"/api/v1/series/{s}/points?limit=200&population=adults"),
        ("points: field dates", f"/api/v1/series/{s}/points?limit=200&field_date_from=2022-01-01&field_date_to=2022-06-30"),
        ("trend (data version + rows; first request)", f"/api/v1/series/{s}/trend?outcome=approve"),
    ]


def label(statement: str) -> str:
    sql = " ".join(statement.split())
    if sql.startswith("SELECT count(*)"):
        return "count (envelope total)"
    if "max(polls.updated_at)" in sql:
        return "series data version (aggregate over the series)"
    tables = re.findall(r"\bFROM (\w+)", sql)
    what = tables[0] if tables else "?"
    if "LIMIT" in sql:
        return f"page of {what}"
    if " IN (" in sql or "= ANY" in sql:
        return f"load {what} by ids"
    return f"select {what}"


def walk(node: dict[str, Any], out: list[dict[str, Any]]) -> None:
    out.append(node)
    for child in node.get("Plans", []):
        walk(child, out)


def explain(conn: Any, statement: str, parameters: Any) -> dict[str, Any]:
    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters).scalar()
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    nodes: list[dict[str, Any]] = []
    walk(plan["Plan"], nodes)
    seq = [
        {"table": n["Relation Name"], "rows": n.get("Actual Rows", 0) * n.get("Actual Loops", 1),
         "filter": n.get("Filter")}
        for n in nodes if n["Node Type"] == "Seq Scan"
    ]  # fmt: skip
    indexes = sorted({n["Index Name"] for n in nodes if "Index Name" in n})
    top = plan["Plan"]
    return {
        "execution_ms": round(plan["Execution Time"], 2),
        "planning_ms": round(plan["Planning Time"], 2),
        "shared_hit": top.get("Shared Hit Blocks", 0),
        "shared_read": top.get("Shared Read Blocks", 0),
        "seq_scans_big": [s for s in seq if s["table"] in BIG_TABLES],
        "seq_scans_small": sorted({s["table"] for s in seq if s["table"] not in BIG_TABLES}),
        "indexes": indexes,
        "top_node": top["Node Type"],
    }


def capture(app: Any, client: Any, url: str) -> tuple[int, list[tuple[str, Any]]]:
    from pollapp.extensions import db

    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        status = client.get(url).status_code
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return status, seen


def run(database_url: str) -> list[dict[str, Any]]:
    from pollapp import create_app
    from pollapp.extensions import db
    from pollapp.services import stats_cache
    from pollapp.services.pagination import encode_cursor

    # No response cache, and the statistics' cache emptied before each case (below): every case shows the
    # statements of a first request after a write, not what an earlier case left cached.
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False, "RESPONSE_CACHE": False})
    client = app.test_client()
    with app.app_context():
        deep_id = db.session.execute(text("SELECT max(id) FROM polls WHERE field_end_date = "
                                          "(SELECT max(field_end_date) FROM polls WHERE field_end_date <= :d)"), {"d": OLD}).scalar()
        deep_date = db.session.execute(text("SELECT field_end_date FROM polls WHERE id = :i"), {"i": deep_id}).scalar()
        points = db.session.execute(text(
            "SELECT p.field_end_date, p.id, q.id FROM polls p JOIN questions q ON q.poll_id = p.id "
            "JOIN series_members m ON m.question_id = q.id JOIN series s ON s.id = m.series_id "
            "WHERE s.slug = :s ORDER BY p.field_end_date, p.id, q.id"), {"s": LARGEST_SERIES}).all()
        point = points[len(points) // 2]  # a deep page: half way through the series
    deep_polls = encode_cursor("polls:-field_end_date", (deep_date, deep_id))
    deep_points = encode_cursor(f"points:{LARGEST_SERIES}", (point[0], point[1], point[2], 1))
    results = []
    for name, url in cases(deep_polls, deep_points):
        app.extensions.pop(stats_cache.EXTENSION, None)
        status, statements = capture(app, client, url)
        entry: dict[str, Any] = {"case": name, "url": url, "status": status, "statements": []}
        with app.app_context(), db.engine.connect() as conn:
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith("SELECT") and "SELECT" not in statement[:40].upper():
                    continue
                entry["statements"].append({"label": label(statement), "sql": " ".join(statement.split())[:600],
                                            **explain(conn, statement, parameters)})
            conn.rollback()
        results.append(entry)
        worst = max((s["execution_ms"] for s in entry["statements"]), default=0)
        flags = sorted({s2["table"] for s in entry["statements"] for s2 in s["seq_scans_big"]})
        print(f"{name}: {status}, {len(entry['statements'])} statements, slowest {worst} ms, seq scans {flags}", flush=True)
    with app.app_context():
        db.engine.dispose()
    return results


def write(results: list[dict[str, Any]], database: str) -> None:
    out = HERE / "results"
    (out / "plans.json").write_text(json.dumps({"machine": machine_line(), "database": database, "cases": results}, indent=2, default=str) + "\n")
    lines = [
        "# Query plans (`bench/bench_plans.py`, PostgreSQL, large SYNTHETIC dataset: 100,000 polls)",
        "",
        f"Machine: {machine_line()}",
        "",
        "Every statement the endpoint issued, re-run under `EXPLAIN (ANALYZE, BUFFERS)` with its parameters "
        "(warm cache). **Seq scan** flags a sequential scan of a big table; scans of the small reference tables "
        "(pollsters, sponsors, series, outcomes) are not flagged.",
        "",
        "## Per case: the sum of its statements' execution times, and the two whole-set aggregates",
        "",
        "| case | statements | total exec ms | count (total) ms | series data version ms | seq scans of big tables |",
        "|---|---|---|---|---|---|",
        *[f"| {e['case']} | {len(e['statements'])} | {sum(s['execution_ms'] for s in e['statements']):.1f} | "
          f"{sum(s['execution_ms'] for s in e['statements'] if s['label'].startswith('count')):.1f} | "
          f"{sum(s['execution_ms'] for s in e['statements'] if s['label'].startswith('series data version')):.1f} | "
          f"{', '.join(sorted({x['table'] for s in e['statements'] for x in s['seq_scans_big']})) or '-'} |"
          for e in results],
        "",
        NOTES,
        "",
        "## Every statement",
        "",
        "| case | statement | exec ms | buffers hit/read | seq scans of big tables | indexes used |",
        "|---|---|---|---|---|---|",
    ]
    for entry in results:
        for i, s in enumerate(entry["statements"]):
            seq = ", ".join(f"**{x['table']}** ({x['rows']:,} rows)" for x in s["seq_scans_big"]) or "-"
            name = f"{entry['case']} ({entry['status']})" if i == 0 else ""
            lines.append(f"| {name} | {s['label']} | {s['execution_ms']} | {s['shared_hit']:,}/{s['shared_read']:,} | "
                         f"{seq} | {', '.join(s['indexes']) or '-'} |")
    lines.append("")
    (out / "plans.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-schema", default="bench_http_large")
    args = parser.parse_args()
    url = postgres_dataset(os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG), args.pg_schema, refill=False)
    results = run(url)
    write(results, f"{args.pg_schema} schema")
    print((HERE / "results" / "plans.md").read_text())


if __name__ == "__main__":
    main()
