"""API keys and idempotency records: the write-authentication tables (key lookup by hash, name or
prefix, the key list) and the stored replies of idempotent writes (lookup and purge of expired ones)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from pollapp.models import ApiKey, IdempotencyRecord


def api_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).one_or_none()


def api_key_by_name_or_prefix(session: Session, ident: str) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(or_(ApiKey.name == ident, ApiKey.prefix == ident))))


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def idempotency_record(session: Session, api_key_id: int, key: str) -> IdempotencyRecord | None:
    query = select(IdempotencyRecord).where(IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key)
    return session.scalars(query).one_or_none()


def purge_idempotency_records(session: Session, created_before: dt.datetime) -> int:
    """Delete the records created before ``created_before`` (expired); returns how many."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < created_before),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
