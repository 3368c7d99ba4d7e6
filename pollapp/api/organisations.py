"""Shared CRUD views for the two organisation resources (pollsters and sponsors)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from pollapp.api.blueprint import Blueprint

from pollapp.api.auth import requires_key
from pollapp.api.caching import check_if_match, requires_if_match
from pollapp.api.idempotency import commit, idempotent
from pollapp.extensions import db
from pollapp.schemas.organisations import OrganisationListArgsSchema
from pollapp.services import organisations


def organisation_blueprint(
    kind: str,
    path: str,
    in_schema: type[ma.Schema],
    out_schema: type[ma.Schema],
    page_schema: type[ma.Schema],
    description: str,
) -> Blueprint:
    blp = Blueprint(f"{kind}s", __name__ + f".{kind}s", description=description)

    @blp.route("")
    class Collection(MethodView):
        @blp.arguments(OrganisationListArgsSchema, location="query", unknown=ma.RAISE)
        @blp.response(200, page_schema)
        @blp.alt_response(400, response="BAD_REQUEST")
        def get(self, args: dict[str, Any]):
            """List, ordered by slug (cursor pagination)."""
            return organisations.list_page(
                db.session, kind, country=args["country"], cursor=args["cursor"], limit=args["limit"]
            )

        @requires_key(blp, "write")
        @idempotent(blp)
        @blp.no_query_arguments()
        @blp.arguments(in_schema)
        @blp.response(201, out_schema)
        @blp.alt_response(409, response="CONFLICT")
        def post(self, data: dict[str, Any]):
            """Create."""
            obj = organisations.create(db.session, kind, data)
            commit()
            return obj, 201, {"Location": f"{path}/{obj.slug}"}

    @blp.route("/<slug>")
    class Item(MethodView):
        @blp.no_query_arguments()
        @blp.response(200, out_schema)
        @blp.alt_response(404, response="NOT_FOUND")
        def get(self, slug: str):
            """Get one by slug."""
            return organisations.get(db.session, kind, slug)

        @requires_key(blp, "write")
        @requires_if_match(blp)
        @blp.no_query_arguments()
        @blp.arguments(in_schema)
        @blp.response(200, out_schema)
        @blp.alt_response(404, response="NOT_FOUND")
        @blp.alt_response(409, response="CONFLICT")
        def put(self, data: dict[str, Any], slug: str):
            """Replace (fields not sent return to their defaults)."""
            obj = organisations.get(db.session, kind, slug)
            check_if_match(out_schema(), obj)
            obj = organisations.replace(db.session, kind, obj, data)
            db.session.commit()
            return obj

        @requires_key(blp, "write")
        @requires_if_match(blp)
        @blp.no_query_arguments()
        @blp.arguments(in_schema(partial=True))
        @blp.response(200, out_schema)
        @blp.alt_response(404, response="NOT_FOUND")
        @blp.alt_response(409, response="CONFLICT")
        def patch(self, changes: dict[str, Any], slug: str):
            """Change only the fields sent."""
            obj = organisations.get(db.session, kind, slug)
            check_if_match(out_schema(), obj)
            obj = organisations.update(db.session, kind, obj, changes)
            db.session.commit()
            return obj

        @requires_key(blp, "admin")
        @requires_if_match(blp)
        @blp.no_query_arguments()
        @blp.response(204)
        @blp.alt_response(404, response="NOT_FOUND")
        @blp.alt_response(409, response="CONFLICT")
        def delete(self, slug: str):
            """Delete (``admin`` scope; refused while polls refer to it)."""
            obj = organisations.get(db.session, kind, slug)
            check_if_match(out_schema(), obj)
            organisations.delete(db.session, kind, obj)
            db.session.commit()

    return blp
