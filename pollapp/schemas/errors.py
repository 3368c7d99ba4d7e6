"""Flatten marshmallow's nested error messages into RFC 9457 ``errors`` entries.

marshmallow (and webargs, which adds the request location on top) reports errors as nested dicts
keyed by field name and list index; clients want one entry per problem with a JSON Pointer
(RFC 6901) into the body, or the name of the offending query parameter.
"""

from __future__ import annotations

from typing import Any


def _pointer(path: list[str | int]) -> str:
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in path)
    return "/" + "/".join(escaped) if path else ""


def _flatten(messages: Any, path: list[str | int]) -> list[tuple[list[str | int], str]]:
    """Walk marshmallow's nested error dict into (path, message) pairs."""
    if isinstance(messages, dict):
        pairs: list[tuple[list[str | int], str]] = []
        for key, value in messages.items():
            if key == "_schema":
                pairs.extend(_flatten(value, path))
            else:
                pairs.extend(_flatten(value, [*path, key]))
        return pairs
    if isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            return [(path, m) for m in messages]
        pairs = []
        for value in messages:
            pairs.extend(_flatten(value, path))
        return pairs
    return [(path, str(messages))]


def webargs_errors(messages: dict[str, Any]) -> list[dict[str, str]]:
    """Flatten ``{location: {field: [...]}}`` into the problem's ``errors`` list."""
    errors = []
    for location, fields in messages.items():
        for path, message in _flatten(fields, []):
            if location in ("json", "form", "files"):
                errors.append({"pointer": _pointer(path), "detail": message})
            else:
                # A query parameter is named as the client sent it ("population", not "population.0"
                # for the first of its repeated values).
                errors.append({"parameter": str(path[0]) if path else "", "detail": message})
    return errors
