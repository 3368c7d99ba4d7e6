"""The baseline for the uncached poll list page: a bare Flask app doing the SAME SELECTs as
``GET /api/v1/polls?limit=N`` (the count, the keyset page, then the page's pollsters, sponsors,
partners, questions, answers and net-answer components by id lists, as the app's ``selectinload``
does) with SQLAlchemy Core on ``DATABASE_URL``, and serializing the rows with ``orjson``.

No validation, no ORM objects, no marshmallow, no ETag, no rate limit: what the stack costs for
this page when nothing else is done. Issue 7 asks pollapp's uncached list to reach at least its
requests per second (ratio >= 1.0). Serve with ``gunicorn bench.baseline_list_app:app`` from the
repository root (``bench/bench_http.py`` does)."""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import orjson
from flask import Flask, Response, request
from sqlalchemy import bindparam, create_engine, text

from pollapp.config import normalize_database_url

app = Flask(__name__)
engine = create_engine(normalize_database_url(os.environ["DATABASE_URL"]))

COUNT = text("SELECT count(*) FROM polls WHERE polls.deleted_at IS NULL")
PAGE = text(
    "SELECT * FROM polls WHERE polls.deleted_at IS NULL ORDER BY polls.field_end_date DESC, polls.id DESC LIMIT :n"
)


def _in(sql: str) -> Any:
    return text(sql).bindparams(bindparam("ids", expanding=True))


POLLSTERS = _in("SELECT id, slug, name FROM pollsters WHERE id IN :ids")
SPONSORS = _in("SELECT poll_sponsors.poll_id, sponsors.slug, sponsors.name FROM poll_sponsors "
               "JOIN sponsors ON sponsors.id = poll_sponsors.sponsor_id WHERE poll_sponsors.poll_id IN :ids")
PARTNERS = _in("SELECT poll_partners.poll_id, pollsters.slug, pollsters.name FROM poll_partners "
               "JOIN pollsters ON pollsters.id = poll_partners.pollster_id WHERE poll_partners.poll_id IN :ids")
QUESTIONS = _in("SELECT * FROM questions WHERE poll_id IN :ids ORDER BY position")
ANSWERS = _in("SELECT * FROM answers WHERE question_id IN :ids ORDER BY position")
COMPONENTS = _in("SELECT answer_components.net_answer_id, answers.code FROM answer_components "
                 "JOIN answers ON answers.id = answer_components.component_answer_id "
                 "WHERE answer_components.net_answer_id IN :ids")  # fmt: skip


def _grouped(rows: Any, key: str) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows.mappings():
        item = dict(row)
        out[item.pop(key)].append(item)
    return out


@app.get("/polls")
def polls() -> Response:
    limit = int(request.args.get("limit", 50))
    with engine.connect() as conn:
        total = conn.execute(COUNT).scalar()
        page = [dict(row) for row in conn.execute(PAGE, {"n": limit + 1}).mappings()]
        items = page[:limit]
        poll_ids = [p["id"] for p in items]
        pollsters = {row.id: {"slug": row.slug, "name": row.name}
                     for row in conn.execute(POLLSTERS, {"ids": sorted({p["pollster_id"] for p in items})})}
        sponsors = _grouped(conn.execute(SPONSORS, {"ids": poll_ids}), "poll_id")
        partners = _grouped(conn.execute(PARTNERS, {"ids": poll_ids}), "poll_id")
        questions = _grouped(conn.execute(QUESTIONS, {"ids": poll_ids}), "poll_id")
        question_ids = [q["id"] for qs in questions.values() for q in qs]
        answers = _grouped(conn.execute(ANSWERS, {"ids": question_ids}), "question_id")
        answer_ids = [a["id"] for answers_of in answers.values() for a in answers_of]
        components: dict[int, list[str]] = defaultdict(list)
        for net_id, code in conn.execute(COMPONENTS, {"ids": answer_ids}):
            components[net_id].append(code)
    for poll in items:
        poll["pollster"] = pollsters[poll.pop("pollster_id")]
        poll["sponsors"] = sponsors.get(poll["id"], [])
        poll["partner_pollsters"] = partners.get(poll["id"], [])
        poll["questions"] = questions.get(poll["id"], [])
        for question in poll["questions"]:
            question["answers"] = answers.get(question["id"], [])
            for answer in question["answers"]:
                answer["components"] = components.get(answer["id"], [])
    body = {"items": items, "next_cursor": str(page[limit]["id"]) if len(page) > limit else None, "total": total}
    return Response(orjson.dumps(body, default=str), content_type="application/json")


@app.get("/healthz")
def healthz() -> Response:
    return Response(b"ok", content_type="text/plain")
