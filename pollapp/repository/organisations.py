"""Reads of pollsters and sponsors: by slug, in bulk, as a keyset page, and whether polls refer to one.

The organisations are the small reference tables that polls point at; their reads need nothing from the
poll queries, so they stand alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from pollapp.models import Poll, Pollster, Sponsor
from pollapp.repository._base import _count


def pollster_by_slug(session: Session, slug: str) -> Pollster | None:
    return session.scalars(select(Pollster).where(Pollster.slug == slug)).one_or_none()


def pollsters_by_slugs(session: Session, slugs: Sequence[str]) -> dict[str, Pollster]:
    if not slugs:
        return {}
    rows = session.scalars(select(Pollster).where(Pollster.slug.in_(set(slugs))))
    return {p.slug: p for p in rows}


def sponsor_by_slug(session: Session, slug: str) -> Sponsor | None:
    return session.scalars(select(Sponsor).where(Sponsor.slug == slug)).one_or_none()


def sponsors_by_slugs(session: Session, slugs: Sequence[str]) -> dict[str, Sponsor]:
    if not slugs:
        return {}
    rows = session.scalars(select(Sponsor).where(Sponsor.slug.in_(set(slugs))))
    return {s.slug: s for s in rows}


def list_by_slug(
    session: Session, model: type[Pollster] | type[Sponsor], *, country: str | None, after: str | None, limit: int
) -> tuple[list[Any], int]:
    """A page of pollsters or sponsors ordered by slug (keyset after ``after``) and the total."""
    query = select(model)
    if country:
        query = query.where(model.country == country)
    total = _count(session, query)
    if after is not None:
        query = query.where(model.slug > after)
    rows = list(session.scalars(query.order_by(model.slug).limit(limit + 1)))
    return rows, total


def pollster_has_polls(session: Session, pollster: Pollster) -> bool:
    from pollapp.models import poll_partners

    return bool(
        session.scalar(select(exists().where(Poll.pollster_id == pollster.id)))
        or session.scalar(select(exists().where(poll_partners.c.pollster_id == pollster.id)))
    )


def sponsor_has_polls(session: Session, sponsor: Sponsor) -> bool:
    from pollapp.models import poll_sponsors

    return bool(session.scalar(select(exists().where(poll_sponsors.c.sponsor_id == sponsor.id))))
