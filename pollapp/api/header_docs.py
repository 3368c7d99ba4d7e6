"""Documenting request headers (``If-Match``, ``Idempotency-Key``) next to a view's other parameters.

``blp.doc(parameters=[...])`` would *replace* the parameters flask-smorest derives from
``@blp.arguments`` (its manual doc is merged key by key, lists replaced), dropping e.g. the query
parameter ``reason``. Instead the header is kept in the view's ``_apidoc`` and appended by a
doc-preparation callback of the blueprint, after the arguments' parameters.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from flask_smorest import Blueprint

KEY = "header_parameters"


def _append_headers(doc: dict[str, Any], doc_info: dict[str, Any], **_: Any) -> dict[str, Any]:
    headers = doc_info.get(KEY) or []
    if headers:
        doc.setdefault("parameters", []).extend(deepcopy(headers))
    return doc


def document_header(blp: Blueprint, view: Any, parameter: dict[str, Any]) -> Any:
    """Add ``parameter`` (an OpenAPI header parameter) to ``view``'s documentation."""
    if _append_headers not in blp._prepare_doc_cbks:
        blp._prepare_doc_cbks.append(_append_headers)
    apidoc = deepcopy(getattr(view, "_apidoc", {}))  # shared with the wrapped function by functools.wraps
    apidoc.setdefault(KEY, []).append(parameter)
    view._apidoc = apidoc
    return view
