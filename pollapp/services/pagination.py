"""Opaque keyset cursors and the page envelope shared by every list."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

from pollapp.exceptions import InvalidParameter

T = TypeVar("T")
_MAX_INT = 2**31 - 1  # cursor integers are ids and positions: INTEGER columns


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    total: int


def page_json(page: Page[dict[str, Any]]) -> bytes:
    """The envelope ``{items, next_cursor, total}`` of plain-dict items as JSON bytes (orjson), for bulk
    outputs: the same bytes as Flask's JSON provider makes of the envelope schema's dump when the items
    already hold what the item schema would dump (UTF-8 text, compact separators, final newline)."""
    body = {"items": page.items, "next_cursor": page.next_cursor, "total": page.total}
    return orjson.dumps(body, option=orjson.OPT_APPEND_NEWLINE)


def encode_cursor(kind: str, values: tuple[Any, ...]) -> str:
    """Encode the last row's sort key. ``kind`` names the ordering so a cursor from one list or
    sort order cannot be replayed on another."""
    plain = [v.isoformat() if isinstance(v, dt.date) else v for v in values]
    raw = json.dumps([kind, plain], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, kind: str, types: tuple[type, ...]) -> tuple[Any, ...]:
    """Decode a cursor made by :func:`encode_cursor`, checking it belongs to this ordering."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded_kind, values = json.loads(raw)
        if decoded_kind != kind or len(values) != len(types):
            raise ValueError("cursor from another list or sort order")
        return tuple(_coerce(value, typ) for value, typ in zip(values, types, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidParameter(
            "cursor", "Invalid cursor: pass the next_cursor of the previous page with the same filters and sort."
        ) from exc


def _coerce(value: Any, typ: type) -> Any:
    if typ is dt.datetime:
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive timestamp in a cursor")
        return moment
    if typ is dt.date:
        return dt.date.fromisoformat(value)
    if typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("expected an integer")
        if not -_MAX_INT - 1 <= value <= _MAX_INT:
            raise ValueError("integer out of the columns' range")  # the query would fail, not match
        return value
    if typ is str:
        if not isinstance(value, str):
            raise TypeError("expected a string")
        if "\x00" in value:
            raise ValueError("NUL in a cursor string")  # PostgreSQL text cannot hold it
        return value
    raise TypeError(f"unsupported cursor type {typ}")
