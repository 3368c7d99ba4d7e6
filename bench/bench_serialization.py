"""Benchmark: the 200-poll list page against the bare stack doing the same SELECT with orjson.

In one process, on a SQLite file filled with SYNTHETIC polls (``synthetic.py``; 2,000 polls, one
question with two answers each):
- baseline ("bare"): a minimal Flask app whose one route runs a SQLAlchemy Core SELECT of 200 polls
  (joined to their pollster) and returns ``orjson.dumps`` of the rows, through Flask's test client
  (what the issue calls the bare stack: about 780 req/s under gunicorn against 170 with marshmallow);
- ``GET /api/v1/polls?limit=200`` of pollapp through its test client (rows -> orjson, the bulk path);
- the same page through marshmallow (ORM objects, ``PollPageSchema().dump``, Flask's JSON provider):
  what the list cost before the bulk path, for reference.
Prints and writes ``bench/results/serialization.md`` and ``.json`` with the machine line and the
ratios to the baseline. Run: ``.venv/bin/python bench/bench_serialization.py [POLLS] [REPEAT]``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import orjson  # noqa: E402
from flask import Flask, Response  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, select  # noqa: E402

from pollapp import create_app  # noqa: E402
from pollapp.extensions import db  # noqa: E402
from pollapp.models import Poll, Pollster  # noqa: E402
from synthetic import fill_database  # noqa: E402

PAGE = 200


def per_request_ms(fn, repeat: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bare_app(url: str) -> Flask:
    """The ceiling: the same SELECT of 200 polls, encoded with orjson, in a minimal Flask app."""
    engine = create_engine(url)
    app = Flask("bare")
    query = (
        select(*Poll.__table__.c, Pollster.slug.label("pollster_slug"), Pollster.name.label("pollster_name"))
        .join(Pollster, Pollster.id == Poll.pollster_id)
        .where(Poll.deleted_at.is_(None))
        .order_by(Poll.field_end_date.desc(), Poll.id.desc())
        .limit(PAGE)
    )

    @app.get("/polls")
    def polls() -> Response:
        with engine.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(query)]
        return Response(orjson.dumps({"items": rows}, default=str), mimetype="application/json")

    return app


def main(n_polls: int, repeat: int) -> None:
    from pollapp.api.polls import poll_filters
    from pollapp.schemas.polls_list_args import PollListArgsSchema
    from pollapp.schemas.polls_out import PollPageSchema
    from pollapp.services import polls

    machine = f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
        with app.app_context():
            upgrade(directory=str(HERE.parent / "migrations"))
            fill_database(db.session, n_polls)
        bare = bare_app(url).test_client()
        client = app.test_client()
        page_url = f"/api/v1/polls?limit={PAGE}"
        assert len(client.get(page_url).get_json()["items"]) == PAGE
        args = PollListArgsSchema().load({"limit": PAGE})

        def marshmallow_page() -> bytes:
            with app.test_request_context():
                page = polls.list_polls(db.session, poll_filters(args), sort=args["sort"], cursor=None, limit=PAGE)
                body = app.json.response(PollPageSchema().dump(page)).get_data()
                db.session.remove()
            return body

        assert marshmallow_page() == client.get(page_url).get_data()  # the two paths give the same bytes
        baseline = per_request_ms(lambda: bare.get("/polls"), repeat)
        fast = per_request_ms(lambda: client.get(page_url), repeat)
        slow = per_request_ms(marshmallow_page, max(3, repeat // 3))
    rows = [
        {"path": "bare Flask + Core SELECT + orjson (baseline)", "ms": round(baseline, 2), "ratio": 1.0},
        {"path": "GET /api/v1/polls?limit=200 (rows -> orjson)", "ms": round(fast, 2), "ratio": round(fast / baseline, 2)},
        {"path": "same page via ORM + marshmallow (before)", "ms": round(slow, 2), "ratio": round(slow / baseline, 2)},
    ]
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    result = {"machine": machine, "polls": n_polls, "page": PAGE, "repeat": repeat, "results": rows}
    (out / "serialization.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"# List page of {PAGE} polls, in process (synthetic, {n_polls:,} polls, SQLite, median of {repeat})",
        "",
        f"Machine: {machine}",
        "",
        "| path | ms per request | ratio to baseline |",
        "|---|---|---|",
        *(f"| {r['path']} | {r['ms']} | {r['ratio']} |" for r in rows),
    ]
    (out / "serialization.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, int(sys.argv[2]) if len(sys.argv) > 2 else 30)
