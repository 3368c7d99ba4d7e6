"""API keys: random, shown once, stored only as a SHA-256 digest, compared in constant time.

A key is ``pa_<prefix>_<secret>``: 32 random bytes (256 bits) of secret, URL-safe base64. The prefix
(8 hex characters, not secret) lets an operator name a key in logs and in ``flask keys revoke``
without ever seeing the secret again. SHA-256 without salt is sound here because the secret is
high-entropy (no dictionary to attack), and it makes lookup a single indexed query.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session

from pollapp import repository
from pollapp.exceptions import InvalidInput, NotFound
from pollapp.models import ApiKey

SCOPES = ("read", "write", "admin")
# A wider scope includes the narrower ones.
IMPLIED = {"read": {"read"}, "write": {"read", "write"}, "admin": {"read", "write", "admin"}}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(session: Session, name: str, scope: str = "write") -> tuple[ApiKey, str]:
    """Create a key; returns the stored record and the token (the only time it is available)."""
    if scope not in SCOPES:
        raise InvalidInput(f"Unknown scope '{scope}'; use one of {', '.join(SCOPES)}.")
    if not name.strip():
        raise InvalidInput("A key needs a name.")
    if len(name.strip()) > 200:
        raise InvalidInput("A key's name has at most 200 characters.")
    prefix = secrets.token_hex(4)
    token = f"pa_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(name=name.strip(), prefix=prefix, key_hash=_digest(token), scopes=sorted(IMPLIED[scope]))
    session.add(key)
    session.flush()
    return key, token


def authenticate(session: Session, token: str) -> ApiKey | None:
    """The active (not revoked) key for ``token``, or None."""
    digest = _digest(token)
    key = repository.api_key_by_hash(session, digest)
    if key is None or not hmac.compare_digest(key.key_hash, digest) or key.revoked_at is not None:
        return None
    key.last_used_at = dt.datetime.now(dt.timezone.utc)
    return key


def grants(key: ApiKey, scope: str) -> bool:
    return scope in key.scopes


def revoke(session: Session, ident: str) -> list[ApiKey]:
    """Revoke the keys named ``ident`` (a key name or its prefix)."""
    keys = [k for k in repository.api_key_by_name_or_prefix(session, ident) if k.revoked_at is None]
    if not keys:
        raise NotFound(f"No active key named or prefixed '{ident}'.")
    now = dt.datetime.now(dt.timezone.utc)
    for key in keys:
        key.revoked_at = now
    session.flush()
    return keys


def list_keys(session: Session) -> list[ApiKey]:
    return repository.list_api_keys(session)


def find_active(session: Session, token: str) -> ApiKey | None:
    """The active key for ``token`` without recording its use: the rate limiter asks on every
    request with a key, reads included, and a read must not write (``last_used_at`` is set by
    :func:`authenticate` when a key is used for a write)."""
    digest = _digest(token)
    key = repository.api_key_by_hash(session, digest)
    if key is None or not hmac.compare_digest(key.key_hash, digest) or key.revoked_at is not None:
        return None
    return key
