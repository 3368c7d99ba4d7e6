"""``Idempotency-Key`` on POSTs: a retried request gets the original response and creates nothing.

The rules (what is stored, when a key is refused) are in :mod:`pollapp.services.idempotency`. This
module is the HTTP edge: validating the header, hashing the request, replaying a stored response
(with ``Idempotent-Replayed: true``), and owning the transaction. With a key, the view's
:func:`commit` only flushes; the decorator commits once the response is known, together with the
record of that response, so the write and its record are one transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, request
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from pollapp.api.header_docs import document_header
from pollapp.exceptions import Conflict, InvalidParameter
from pollapp.extensions import db
from pollapp.services import idempotency

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_VALID = re.compile(r"[\x20-\x7e]{1,255}")
_NOT_STORED = {"content-length", "set-cookie", "date", "etag", "cache-control"}  # re-derived on replay
_ATTEMPT = "idempotency_attempt"

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "Any unique string (1-255 printable ASCII characters, e.g. a UUID) naming this attempt. A retry with "
        "the same key and the same request gets the original response (header `Idempotent-Replayed: true`) "
        "and creates nothing; the same key with a different request gets 422, while the first attempt still "
        "runs 409. Keys are per API key and kept 24 hours; only successful responses are stored."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"},
}


def commit() -> None:
    """The POST view's commit: deferred to :func:`idempotent` when the request has a key."""
    if g.get(_ATTEMPT) is not None:
        db.session.flush()
        db.session.expire_all()  # read back as a commit would, so the stored body is the usual one
    else:
        db.session.commit()


def _request_hash() -> str:
    """Digest of method, path, query string and body. A multipart body is digested by its parts
    (fields, file names and contents), not its bytes: its boundary is random, so a client that
    rebuilds the same upload for a retry sends other bytes for the same request."""
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.query_string):
        digest.update(part + b"\n")
    if request.mimetype == "multipart/form-data":
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"field {name!r}={value!r}\n".encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: (item[0], item[1].filename or "")):
            digest.update(f"file {name!r} {upload.filename!r} ".encode())
            for chunk in iter(lambda: upload.stream.read(1 << 20), b""):
                digest.update(chunk)
            upload.stream.seek(0)  # the view reads it again
            digest.update(b"\n")
    else:
        digest.update(request.get_data(cache=True))  # cached: the view's parser reads it again
    return digest.hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _begin(key: str) -> idempotency.Attempt | idempotency.StoredResponse:
    """Claim the key in a transaction of its own, committed at once so duplicates see it."""
    config = current_app.config
    with Session(db.engine) as side:
        try:
            outcome = idempotency.begin(
                side, g.api_key.id, key, _request_hash(), now=_now(),
                ttl=dt.timedelta(seconds=config["IDEMPOTENCY_TTL"]),
                lock_timeout=dt.timedelta(seconds=config["IDEMPOTENCY_LOCK_TIMEOUT"]),
            )
            side.commit()
        except (IntegrityError, StaleDataError):
            side.rollback()
            raise Conflict(idempotency.IN_PROGRESS) from None
    return outcome


def _release(attempt: idempotency.Attempt) -> None:
    db.session.rollback()  # whatever the failed view did is undone
    with Session(db.engine) as side:
        idempotency.release(side, attempt)
        side.commit()


def _replay(stored: idempotency.StoredResponse) -> Response:
    response = current_app.response_class(stored.body, status=stored.status)
    for name, value in stored.headers.items():
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response


def idempotent(blp: Blueprint) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for a POST view (below ``requires_key``, above flask-smorest's decorators)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER)
            if key is None:
                return view(*args, **kwargs)
            if not _VALID.fullmatch(key):
                raise InvalidParameter(HEADER, "An Idempotency-Key has 1 to 255 printable ASCII characters.")
            outcome = _begin(key)
            if isinstance(outcome, idempotency.StoredResponse):
                return _replay(outcome)
            setattr(g, _ATTEMPT, outcome)
            try:
                response = view(*args, **kwargs)
            except BaseException:
                _release(outcome)
                raise
            finally:
                setattr(g, _ATTEMPT, None)
            if not 200 <= response.status_code < 300:
                _release(outcome)
                return response
            headers = {k: v for k, v in response.headers.items() if k.lower() not in _NOT_STORED}
            try:
                idempotency.complete(db.session, outcome, response.status_code, headers, response.get_data(), now=_now())
                db.session.commit()
            except (StaleDataError, Conflict):
                db.session.rollback()
                raise Conflict("This request's Idempotency-Key was taken over by a retry; nothing was written.") from None
            except BaseException:
                _release(outcome)  # not committed, so nothing was written (a committed record is kept)
                raise
            return response

        documented = document_header(blp, wrapper, PARAMETER)
        documented = blp.alt_response(400, response="BAD_REQUEST")(documented)  # a malformed key
        documented = blp.alt_response(409, response="CONFLICT")(documented)  # the first attempt still runs
        return blp.alt_response(422, response="UNPROCESSABLE_ENTITY")(documented)  # the key reused elsewhere

    return decorator
