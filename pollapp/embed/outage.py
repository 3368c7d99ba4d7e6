"""A friendly page, not an error document, when a newsroom page cannot reach the database.

Readers meet these pages inside a news article: during a database outage they get a short HTML
503 that refreshes itself after ``Retry-After`` seconds, instead of the API's problem+json (which the
app answers for the images and oEmbed, whose clients are programs). Nothing about the failure is
shown; it is logged.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, render_template, request
from sqlalchemy.exc import OperationalError

from pollapp.embed import framing
from pollapp.extensions import db

RETRY_AFTER = 5
log = logging.getLogger(__name__)


def friendly_outage(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except OperationalError as error:
            db.session.rollback()
            log.error("Database unavailable on %s %s: %s", request.method, request.path, error.orig)
            html = render_template("embed/unavailable.html", retry_after=RETRY_AFTER)
            response = current_app.response_class(html, status=503, mimetype="text/html")
            response.headers["Retry-After"] = str(RETRY_AFTER)
            response.headers["Cache-Control"] = "no-store"
            if not framing.framable(request.path):
                response.headers["Content-Security-Policy"] = framing.PAGE_POLICY
            return response

    return wrapper
