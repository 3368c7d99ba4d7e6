"""The API's Blueprint: flask-smorest's, with a webargs parser that bounds how deeply a JSON body
may nest.

Why: webargs parses bodies with the standard library's ``json.loads``, which raises RecursionError
(not a decoding error) on a body like ``[[[[...]]]]`` a few thousand levels deep, and anything nested
a few hundred levels deep then overflows the stack of whatever walks it next (the NUL-character check,
marshmallow): a 500 from a 20 kB request. No pollapp document nests more than a handful of levels, so
a body deeper than ``MAX_JSON_DEPTH`` is refused as invalid JSON (400 problem), like any other
malformed body, before anything looks at it.
"""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser

from pollapp.schemas.common import NoArgsSchema

MAX_JSON_DEPTH = 32


def nesting_within(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists/objects at most ``limit`` levels deep (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


class BoundedJsonParser(FlaskParser):
    """FlaskParser whose JSON bodies nest at most ``MAX_JSON_DEPTH`` levels."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        # webargs reads a decoding error with an empty ``doc`` as "no body": name the body instead.
        too_deep = json.JSONDecodeError(f"nested more than {MAX_JSON_DEPTH} levels deep", "(request body)", 0)
        try:
            value = super()._raw_load_json(req)
        except RecursionError as exc:
            raise too_deep from exc
        if not nesting_within(value, MAX_JSON_DEPTH):
            raise too_deep
        return value


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = BoundedJsonParser()

    def no_query_arguments(self) -> Any:
        """Decorator for an operation that takes no query parameters: any parameter sent is refused
        (422 naming it, like the other operations' unknown parameters) rather than ignored, before the
        view runs. The view gets no extra argument."""
        return self.arguments(NoArgsSchema, location="query", unknown=ma.RAISE, as_kwargs=True)
