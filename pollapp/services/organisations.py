"""Pollsters and sponsors: create, read, update, delete, list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import Conflict, FieldError, NotFound
from pollapp.models import Pollster, Sponsor
from pollapp.services.pagination import Page, decode_cursor, encode_cursor

KINDS: dict[str, type[Pollster] | type[Sponsor]] = {"pollster": Pollster, "sponsor": Sponsor}


def get(session: Session, kind: str, slug: str) -> Pollster | Sponsor:
    finder = repository.pollster_by_slug if kind == "pollster" else repository.sponsor_by_slug
    found = finder(session, slug)
    if found is None:
        raise NotFound(f"No {kind} with slug '{slug}'.")
    return found


def create(session: Session, kind: str, data: dict[str, Any]) -> Pollster | Sponsor:
    finder = repository.pollster_by_slug if kind == "pollster" else repository.sponsor_by_slug
    if finder(session, data["slug"]) is not None:
        raise Conflict(f"A {kind} with slug '{data['slug']}' exists.", [FieldError("/slug", "Already taken.")])
    obj = KINDS[kind](**data)
    session.add(obj)
    session.flush()
    return obj


def update(session: Session, kind: str, obj: Pollster | Sponsor, changes: dict[str, Any]) -> Pollster | Sponsor:
    """Change ``obj`` (as loaded by the caller, whose row version the UPDATE then checks)."""
    new_slug = changes.get("slug")
    if new_slug and new_slug != obj.slug:
        finder = repository.pollster_by_slug if kind == "pollster" else repository.sponsor_by_slug
        if finder(session, new_slug) is not None:
            raise Conflict(f"A {kind} with slug '{new_slug}' exists.", [FieldError("/slug", "Already taken.")])
    for key, value in changes.items():
        setattr(obj, key, value)
    obj.updated_at = dt.datetime.now(dt.timezone.utc)  # always an UPDATE, so its version check guards even a no-op edit
    session.flush()
    return obj


def replace(session: Session, kind: str, obj: Pollster | Sponsor, data: dict[str, Any]) -> Pollster | Sponsor:
    """PUT: every field from ``data``; fields not sent return to their defaults."""
    return update(session, kind, obj, data)


def delete(session: Session, kind: str, obj: Pollster | Sponsor) -> None:
    slug = obj.slug
    in_use = repository.pollster_has_polls if kind == "pollster" else repository.sponsor_has_polls
    if in_use(session, obj):  # type: ignore[arg-type]
        raise Conflict(f"The {kind} '{slug}' has polls; delete or reassign them first.")
    session.delete(obj)
    session.flush()


def list_page(session: Session, kind: str, *, country: str | None, cursor: str | None, limit: int) -> Page[Any]:
    cursor_kind = f"{kind}s:slug"
    after = decode_cursor(cursor, cursor_kind, (str,))[0] if cursor else None
    rows, total = repository.list_by_slug(session, KINDS[kind], country=country, after=after, limit=limit)
    next_cursor = encode_cursor(cursor_kind, (rows[limit - 1].slug,)) if len(rows) > limit else None
    return Page(rows[:limit], next_cursor, total)
