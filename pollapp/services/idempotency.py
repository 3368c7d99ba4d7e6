"""Safe retries of POSTs: an ``Idempotency-Key`` names one attempt to create something.

Contract (the HTTP side is :mod:`pollapp.api.idempotency`):

* The key is scoped to the API key that sent it, and bound to a digest of the request (method,
  path, query string, body bytes). The same key with another request is refused (422): it is a
  client bug, and guessing which request was meant could create the wrong thing.
* Only successful (2xx) responses are stored, and they are stored *in the same transaction as the
  write they report*: a crash either loses both (the retry runs again, nothing was written) or
  keeps both (the retry gets the stored response). No crash can let a retry create a duplicate.
* An error response (4xx or 5xx) wrote nothing (the edge rolls back), so it is not stored and the
  key is released: the same request may be retried with the same key (e.g. after a 503, or after the
  missing pollster was created). This differs from Stripe, which also replays 4xx results; ours
  cannot replay a result that was never committed with its (non-)effect, and re-running a request
  that wrote nothing cannot duplicate anything.
* While the first attempt runs, its record exists (committed on its own, ``completed_at`` NULL) and
  a concurrent duplicate gets 409. The unique (api key, key) constraint makes sure two racing
  attempts cannot both start. An attempt that died (process killed) leaves its record in progress;
  after ``lock_timeout`` a retry takes it over (the row version makes sure a slow first attempt that
  wakes up later cannot complete it too: its commit then fails and writes nothing).
* Records expire ``ttl`` after creation; expired ones are purged lazily when a key is used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import Conflict, FieldError, InvalidInput
from pollapp.models import IdempotencyRecord

IN_PROGRESS = (
    "A request with this Idempotency-Key is still being processed; retry after it finishes "
    "(you will then get its response)."
)


@dataclass(frozen=True)
class Attempt:
    """The running attempt's claim on a record: its id and the row version it holds."""

    record_id: int
    version: int


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def begin(
    session: Session,
    api_key_id: int,
    key: str,
    request_hash: str,
    *,
    now: dt.datetime,
    ttl: dt.timedelta,
    lock_timeout: dt.timedelta,
) -> Attempt | StoredResponse:
    """Claim ``key`` for this request, or return the response a completed attempt stored.

    The caller commits ``session`` (its own, short transaction) so that the claim is visible to
    concurrent duplicates; an IntegrityError on that commit means one raced us (answer 409)."""
    repository.purge_idempotency_records(session, now - ttl)
    record = repository.idempotency_record(session, api_key_id, key)
    if record is None:
        record = IdempotencyRecord(api_key_id=api_key_id, key=key, request_hash=request_hash, created_at=now, locked_at=now)
        session.add(record)
    elif record.request_hash != request_hash:
        raise InvalidInput(
            "This Idempotency-Key was used with a different request (method, path, query or body); "
            "use a new key for a new request.",
            [FieldError(None, "Reused with a different request.", "Idempotency-Key")],
        )
    elif record.completed_at is not None:
        return StoredResponse(record.response_status or 200, dict(record.response_headers or {}), record.response_body or b"")
    elif record.locked_at > now - lock_timeout:
        raise Conflict(IN_PROGRESS)
    else:
        record.locked_at = now  # take over an attempt that died (the version check arbitrates)
    session.flush()
    return Attempt(record.id, record.version)


def complete(session: Session, attempt: Attempt, status: int, headers: dict[str, str], body: bytes, *, now: dt.datetime) -> None:
    """Store the response in the write's own transaction (the caller commits both together).

    Raises Conflict if another attempt took the key over meanwhile (ours must then write nothing)."""
    record = session.get(IdempotencyRecord, attempt.record_id)
    if record is None or record.version != attempt.version:
        raise Conflict("This request's Idempotency-Key was taken over by a retry; nothing was written.")
    record.completed_at = now
    record.response_status = status
    record.response_headers = headers
    record.response_body = body
    session.flush()  # UPDATE ... WHERE version = ours: a concurrent takeover makes it fail


def release(session: Session, attempt: Attempt) -> None:
    """Forget a failed attempt's claim (it wrote nothing), unless another attempt holds it now."""
    record = session.get(IdempotencyRecord, attempt.record_id)
    if record is not None and record.version == attempt.version and record.completed_at is None:
        session.delete(record)
        session.flush()
