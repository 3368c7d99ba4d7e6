"""The baseline for the uncached poll list page: a bare Flask app doing the SAME SELECTs as
``GET /api/v1/polls?limit=N`` (the count, the keyset page, then the page's pollsters, sponsors,
partners, questions, answers and net-answer components by id lists) with SQLAlchemy Core on
``DATABASE_URL``, and serializing the rows with ``orjson`` into the SAME bytes as the app's body.

Same work, done the generic way: Core SELECTs of the models' tables (SQLAlchemy's own type handling
for booleans, enums and timestamps), every row as a dict (``.mappings()``), the documents assembled
from those dicts in the schema's field order, and the disclosure assessment of
``pollapp.services.disclosure`` (the one rule the body carries that no SELECT gives). Without that,
the baseline's body was 30% smaller than the app's (no disclosure, other keys) and the ratio compared
two different documents; ``bench/bench_http.py`` now records whether the two bodies are equal.

No validation, no ORM objects, no marshmallow, no ETag, no rate limit: what the stack costs for
this page when nothing else is done. Issue 7 asks pollapp's uncached list to reach at least its
requests per second (ratio >= 1.0). Serve with ``gunicorn bench.baseline_list_app:app`` from the
repository root (``bench/bench_http.py`` does)."""

from __future__ import annotations

import os
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import orjson
from flask import Flask, Response, request
from sqlalchemy import Text, bindparam, cast, create_engine, func, select

from pollapp.config import normalize_database_url
from pollapp.models import Answer, Poll, Pollster, Question, Sponsor, answer_components, poll_partners, poll_sponsors
from pollapp.services.disclosure import presence, shared_assessment
from pollapp.services.pagination import encode_cursor
from pollapp.services.poll_rows import ANSWER_COLUMNS, POLL_FIELDS, QUESTION_FIELDS

app = Flask(__name__)
engine = create_engine(normalize_database_url(os.environ["DATABASE_URL"]))

polls, questions, answers = Poll.__table__, Question.__table__, Answer.__table__
IDS = bindparam("ids", expanding=True)
JSON_LISTS = ("modes", "languages", "weighting_variables")  # read as JSON text, decoded by orjson (as the app)
FLOATS = ("design_effect", "margin_of_error", "confidence_level", "response_rate")
LIVE = polls.c.deleted_at.is_(None)

COUNT = select(func.count()).select_from(polls).where(LIVE)
PAGE = (
    select(polls.c.id, polls.c.pollster_id,
           *(cast(polls.c[n], Text).label(n) if n in JSON_LISTS else polls.c[n] for n in POLL_FIELDS),
           polls.c.created_at, polls.c.updated_at)
    .where(LIVE).order_by(polls.c.field_end_date.desc(), polls.c.id.desc()).limit(bindparam("n"))
)  # fmt: skip
POLLSTERS = select(Pollster.__table__.c.id, Pollster.__table__.c.slug, Pollster.__table__.c.name).where(
    Pollster.__table__.c.id.in_(IDS)
)
SPONSORS = (
    select(poll_sponsors.c.poll_id, Sponsor.__table__.c.slug, Sponsor.__table__.c.name)
    .join(Sponsor.__table__, Sponsor.__table__.c.id == poll_sponsors.c.sponsor_id)
    .where(poll_sponsors.c.poll_id.in_(IDS)).order_by(poll_sponsors.c.poll_id, Sponsor.__table__.c.slug)
)  # fmt: skip
PARTNERS = (
    select(poll_partners.c.poll_id, Pollster.__table__.c.slug, Pollster.__table__.c.name)
    .join(Pollster.__table__, Pollster.__table__.c.id == poll_partners.c.pollster_id)
    .where(poll_partners.c.poll_id.in_(IDS)).order_by(poll_partners.c.poll_id, Pollster.__table__.c.slug)
)  # fmt: skip
QUESTIONS = (
    select(questions.c.poll_id, *(questions.c[n] for n in QUESTION_FIELDS))
    .where(questions.c.poll_id.in_(IDS)).order_by(questions.c.poll_id, questions.c.position, questions.c.id)
)  # fmt: skip
ANSWERS = (
    select(answers.c.question_id, answers.c.id, *(answers.c[n] for n in ANSWER_COLUMNS))
    .where(answers.c.question_id.in_(IDS)).order_by(answers.c.question_id, answers.c.position, answers.c.id)
)  # fmt: skip
COMPONENT = answers.alias("component")
COMPONENTS = (
    select(answer_components.c.net_answer_id, COMPONENT.c.code)
    .join(COMPONENT, COMPONENT.c.id == answer_components.c.component_answer_id)
    .where(answer_components.c.net_answer_id.in_(IDS))
    .order_by(answer_components.c.net_answer_id, COMPONENT.c.position, COMPONENT.c.id)
)  # fmt: skip


def _grouped(rows: Any, key: str) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows.mappings():
        item = dict(row)
        out[item.pop(key)].append(item)
    return out


def _answer(a: dict[str, Any], components: dict[int, list[str]]) -> dict[str, Any]:
    parts = components.get(a["id"], [])
    return {"code": a["code"], "label": a["label"], "pct": float(a["pct"]), "position": a["position"],
            "substantive": a["substantive"], "is_net": bool(parts), "components": parts, "notes": a["notes"]}  # fmt: skip


def _poll(p: dict[str, Any], pollster: dict[str, str], sponsors: list[dict[str, str]],
          partners: list[dict[str, str]], poll_questions: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    fields = {name: p[name] for name in POLL_FIELDS}
    for name in JSON_LISTS:
        fields[name] = None if fields[name] is None else orjson.loads(fields[name])
    for name in FLOATS:
        fields[name] = None if fields[name] is None else float(fields[name])
    view = SimpleNamespace(**fields, sponsors=sponsors,
                           questions=[SimpleNamespace(wording_exact=q["wording_exact"], answers=q["answers"])
                                      for q in poll_questions])  # fmt: skip
    return {"id": p["id"], "pollster": pollster, "partner_pollsters": partners, "sponsors": sponsors, **fields,
            "disclosure": shared_assessment(presence(view)), "questions": poll_questions,
            "created_at": p["created_at"], "updated_at": p["updated_at"]}  # fmt: skip


@app.get("/polls")
def list_polls() -> Response:
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
        by_poll = _grouped(conn.execute(QUESTIONS, {"ids": poll_ids}), "poll_id")
        question_ids = [q["id"] for qs in by_poll.values() for q in qs]
        by_question = _grouped(conn.execute(ANSWERS, {"ids": question_ids}), "question_id")
        answer_ids = [a["id"] for answers_of in by_question.values() for a in answers_of]
        components: dict[int, list[str]] = defaultdict(list)
        for net_id, code in conn.execute(COMPONENTS, {"ids": answer_ids}):
            components[net_id].append(code)
    for poll_questions in by_poll.values():
        for question in poll_questions:
            question["answers"] = [_answer(a, components) for a in by_question.get(question["id"], [])]
    documents = [
        _poll(p, pollsters[p["pollster_id"]], sponsors.get(p["id"], []), partners.get(p["id"], []), by_poll.get(p["id"], []))
        for p in items
    ]  # fmt: skip
    next_cursor = None
    if len(page) > limit:  # the app's cursor format (pollapp.services.polls.next_page_cursor), same bytes
        last = items[-1]
        next_cursor = encode_cursor("polls:-field_end_date", (last["field_end_date"], last["id"]))
    body = {"items": documents, "next_cursor": next_cursor, "total": total}
    return Response(orjson.dumps(body, option=orjson.OPT_APPEND_NEWLINE), content_type="application/json")


@app.get("/healthz")
def healthz() -> Response:
    return Response(b"ok", content_type="text/plain")
