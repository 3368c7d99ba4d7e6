"""Poll pages as plain Core rows (the list's bulk JSON path, :mod:`pollapp.services.poll_rows`): the
page itself, then the organisations and the questions, answers and components of its polls.

Separate from :mod:`pollapp.repository.polls` because it never builds ORM objects and caches its
statements (one expanding parameter for the poll ids) for speed."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Select, Text, bindparam, cast, select
from sqlalchemy.orm import Session, aliased

from pollapp.models import Answer, Poll, Pollster, Question, Sponsor
from pollapp.repository._base import _count
from pollapp.repository.polls import PollFilters, _filtered_polls, _poll_page


def poll_page_rows(
    session: Session,
    filters: PollFilters,
    *,
    columns: Sequence[str],
    sort: str,
    after: tuple[dt.date, int] | None,
    limit: int,
) -> tuple[list[Any], int]:
    """:func:`list_polls` as plain rows, without building ORM objects: the ``polls`` ``columns`` named
    (in that order), then ``pollster_slug`` and ``pollster_name``; one SELECT for the page, one for
    the total. JSON columns come as their JSON text (orjson decodes it several times faster than the
    driver's ``json.loads``)."""
    query = _filtered_polls(filters)
    total = _count(session, query)
    owner = aliased(Pollster)  # the pollster filter may have joined Pollster already
    page = _poll_page(query, sort=sort, after=after, limit=limit).join(owner, owner.id == Poll.pollster_id)
    table = Poll.__table__.c
    selected = [cast(table[n], Text).label(n) if isinstance(table[n].type, JSON) else table[n] for n in columns]
    page = page.with_only_columns(
        *selected, owner.slug.label("pollster_slug"), owner.name.label("pollster_name"), maintain_column_froms=True
    )
    return session.connection().execute(page).all(), total  # all(): one fetchall, not a fetch per row


def poll_organisation_rows(session: Session, poll_ids: Sequence[int]) -> tuple[list[Any], list[Any]]:
    """(poll_id, slug, name) of the sponsors and of the partner pollsters of these polls, each
    ordered by poll and slug (as the models' relationships order them)."""
    if not poll_ids:
        return [], []
    sponsors, partners = _organisation_statements()
    conn = session.connection()  # Core rows: no ORM row processing
    ids = {"ids": list(poll_ids)}
    return conn.execute(sponsors, ids).all(), conn.execute(partners, ids).all()


def poll_question_rows(
    session: Session, poll_ids: Sequence[int], *, question_columns: Sequence[str], answer_columns: Sequence[str]
) -> tuple[list[Any], list[Any], list[Any]]:
    """The questions of these polls as (poll_id, *question_columns), ordered by poll, position and id;
    their answers as (question_id, id, *answer_columns), ordered by question, position and id; and
    (net_answer_id, component code) in component position order: three SELECTs, whatever the
    number of polls."""
    if not poll_ids:
        return [], [], []
    questions, answers, components = _question_statements(tuple(question_columns), tuple(answer_columns))
    conn = session.connection()  # Core rows: no ORM row processing
    ids = {"ids": list(poll_ids)}
    return conn.execute(questions, ids).all(), conn.execute(answers, ids).all(), conn.execute(components, ids).all()


# The page's satellite SELECTs are built once, with the poll ids as one expanding parameter: a page of
# 200 polls otherwise coerced 200 literals into bind parameters and rebuilt the statement's cache key,
# for each of the five statements, on every request (a few ms of CPU per page on SQLite).
_POLL_IDS = bindparam("ids", expanding=True)


@functools.cache
def _organisation_statements() -> tuple[Select[Any], Select[Any]]:
    from pollapp.models import poll_partners, poll_sponsors

    sponsors = (
        select(poll_sponsors.c.poll_id, Sponsor.slug, Sponsor.name)
        .join(Sponsor, Sponsor.id == poll_sponsors.c.sponsor_id)
        .where(poll_sponsors.c.poll_id.in_(_POLL_IDS))
        .order_by(poll_sponsors.c.poll_id, Sponsor.slug)
    )
    partners = (
        select(poll_partners.c.poll_id, Pollster.slug, Pollster.name)
        .join(Pollster, Pollster.id == poll_partners.c.pollster_id)
        .where(poll_partners.c.poll_id.in_(_POLL_IDS))
        .order_by(poll_partners.c.poll_id, Pollster.slug)
    )
    return sponsors, partners


@functools.cache
def _question_statements(
    question_columns: tuple[str, ...], answer_columns: tuple[str, ...]
) -> tuple[Select[Any], Select[Any], Select[Any]]:
    from pollapp.models import answer_components

    q, a = Question.__table__.c, Answer.__table__.c
    questions = (
        select(Question.poll_id, *(q[name] for name in question_columns))
        .where(Question.poll_id.in_(_POLL_IDS))
        .order_by(Question.poll_id, Question.position, Question.id)
    )
    answers = (
        select(Answer.question_id, Answer.id, *(a[name] for name in answer_columns))
        .join(Question, Question.id == Answer.question_id)
        .where(Question.poll_id.in_(_POLL_IDS))
        .order_by(Answer.question_id, Answer.position, Answer.id)
    )
    # From the polls' questions to their net answers, then to the components: joined the other way
    # round (components -> answers -> questions), SQLite scanned every answer_components row per page.
    net, component = aliased(Answer), aliased(Answer)
    components = (
        select(answer_components.c.net_answer_id, component.code)
        .select_from(Question)
        .join(net, net.question_id == Question.id)
        .join(answer_components, answer_components.c.net_answer_id == net.id)
        .join(component, component.id == answer_components.c.component_answer_id)
        .where(Question.poll_id.in_(_POLL_IDS))
        .order_by(answer_components.c.net_answer_id, component.position, component.id)
    )
    return questions, answers, components
