"""``/docs/data`` (HTML) and ``/docs/data.json``: the data dictionary, generated from the schemas
(:mod:`pollapp.schemas.dictionary`), so the documentation of every field cannot drift from the code."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, current_app, render_template

from pollapp.embed import framing
from pollapp.embed.http import query_args
from pollapp.schemas import dictionary
from pollapp.schemas.common import StrictSchema

bp = Blueprint("docs", __name__, template_folder="../templates")
MAX_AGE = "public, max-age=3600"


class _NoArgs(StrictSchema):
    """The dictionary has no options: any query parameter is refused."""


@bp.get("/docs/data")
def data_dictionary():
    """The dictionary as a page: one table per entity and download."""
    query_args(_NoArgs())
    by_entity = {name: list(rows) for name, rows in groupby(dictionary.entries(), key=lambda e: e.entity)}
    html = render_template("embed/data_dictionary.html", entities=dictionary.ENTITIES, fields=by_entity)
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Cache-Control"] = MAX_AGE
    response.headers["Content-Security-Policy"] = framing.PAGE_POLICY
    return response


@bp.get("/docs/data.json")
def data_dictionary_json():
    """The same dictionary for programs: ``{entities: [...], fields: [...]}``."""
    query_args(_NoArgs())
    response = current_app.json.response(dictionary.as_json())
    response.headers["Cache-Control"] = MAX_AGE
    return response
