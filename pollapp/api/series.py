"""``/api/v1/series``: tracked measures, their member questions and the points behind a chart."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from pollapp.api.blueprint import Blueprint

from pollapp.api.auth import requires_key
from pollapp.api.caching import check_if_match, requires_if_match
from pollapp.api.idempotency import commit, idempotent
from pollapp.api.statistics import stats_cache
from pollapp.extensions import db
from pollapp.repository import PointFilters
from pollapp.schemas.common import WriteArgsSchema
from pollapp.schemas.history import ChangesArgsSchema, SeriesChangePageSchema
from pollapp.schemas.series import (
    MemberInSchema,
    MemberOutSchema,
    PointPageSchema,
    PointsArgsSchema,
    SeriesInSchema,
    SeriesListArgsSchema,
    SeriesOutSchema,
    SeriesPageSchema,
    SeriesPatchSchema,
)
from pollapp.services import data_version, history, history_asof, history_log, pagination
from pollapp.services import series as series_service

PATH = "/series"
blp = Blueprint("series", __name__, description="Series: one measure tracked across polls and pollsters.")


@blp.route("")
class SeriesCollection(MethodView):
    @blp.arguments(SeriesListArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, SeriesPageSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    def get(self, args: dict[str, Any]):
        """List series, ordered by slug (cursor pagination)."""
        return series_service.list_series(
            db.session, country=args["country"], tag=args["tag"], cursor=args["cursor"], limit=args["limit"]
        )

    @requires_key(blp, "write")
    @idempotent(blp)
    @blp.no_query_arguments()
    @blp.arguments(SeriesInSchema)
    @blp.response(201, SeriesOutSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any]):
        """Create a series with its outcomes."""
        created = series_service.create_series(db.session, data)
        commit()
        return series_service.view(db.session, created), 201, {"Location": f"/api/v1{PATH}/{created.slug}"}


@blp.route("/<slug>")
class SeriesItem(MethodView):
    @blp.no_query_arguments()
    @blp.response(200, SeriesOutSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, slug: str):
        """Get a series with its outcomes, poll count, date span and pollsters."""
        return series_service.view(db.session, series_service.get_series(db.session, slug))

    @requires_key(blp, "write")
    @requires_if_match(blp)
    @blp.no_query_arguments()
    @blp.arguments(SeriesPatchSchema)
    @blp.response(200, SeriesOutSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def patch(self, changes: dict[str, Any], slug: str):
        """Change title, description, country or tags."""
        series = series_service.get_series(db.session, slug)  # held: the UPDATE checks the version read here
        check_if_match(SeriesOutSchema(), series_service.view(db.session, series))
        updated = series_service.update_series(db.session, series, changes)
        db.session.commit()
        return series_service.view(db.session, updated)

    @requires_key(blp, "admin")
    @requires_if_match(blp)
    @blp.no_query_arguments()
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, slug: str):
        """Delete a series (``admin`` scope; its polls stay)."""
        series = series_service.get_series(db.session, slug)
        check_if_match(SeriesOutSchema(), series_service.view(db.session, series))
        series_service.delete_series(db.session, series)
        db.session.commit()


@blp.route("/<slug>/members")
class SeriesMembers(MethodView):
    @blp.no_query_arguments()
    @blp.response(200, MemberOutSchema(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, slug: str):
        """The questions measuring this series and how their answers map onto its outcomes."""
        return series_service.members(db.session, slug)

    @requires_key(blp, "write")
    @idempotent(blp)
    @blp.arguments(WriteArgsSchema, location="query", unknown=ma.RAISE)
    @blp.arguments(MemberInSchema)
    @blp.response(200, MemberOutSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    def post(self, write: dict[str, Any], data: dict[str, Any], slug: str):
        """Add a question to the series (or replace its mapping); ``If-Match`` is optional here (adding
        is a create; send it to guard a replaced mapping) and checked against the ETag of the members
        list (GET ``/series/{slug}/members``). Recorded in the poll's history."""
        history.set_reason(db.session, write["reason"])
        series = series_service.get_series(db.session, slug)  # read first: a write after it moves its version
        check_if_match(MemberOutSchema(many=True), lambda: series_service.members(db.session, slug), required=False)
        series_service.set_member(db.session, series, data["question_id"], data["outcomes"])
        commit()
        return series_service.member(db.session, slug, data["question_id"])


@blp.route("/<slug>/members/<int:question_id>")
class SeriesMemberItem(MethodView):
    @requires_key(blp, "write")
    @requires_if_match(blp, "the members list (GET `/series/{slug}/members`)")
    @blp.arguments(WriteArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, write: dict[str, Any], slug: str, question_id: int):
        """Remove a question from the series; ``If-Match`` is checked against the ETag of the
        members list (GET ``/series/{slug}/members``).

        Needs ``write``, not ``admin``: it edits the series' membership (undone by posting the member
        again; the poll and its question stay, and the poll's history records it), like adding a
        member, whereas the deletes that need ``admin`` remove a resource itself."""
        history.set_reason(db.session, write["reason"])
        series = series_service.get_series(db.session, slug)  # read first: a write after it moves its version
        check_if_match(
            MemberOutSchema(many=True), series_service.members(db.session, slug), read_from=f"/api/v1{PATH}/{slug}/members"
        )
        series_service.remove_member(db.session, series, question_id)
        db.session.commit()


@blp.route("/<slug>/points")
class SeriesPoints(MethodView):
    @blp.arguments(PointsArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, PointPageSchema, headers={data_version.HEADER: {
        "description": "The series' data version (content hash of all its points, as of `as_of` if given).",
        "schema": {"type": "string"}}})
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], slug: str):
        """One row per poll and outcome with the poll's methodology: the data behind a chart;
        ``as_of`` gives the rows as served at that instant."""
        filters = PointFilters(
            outcomes=args["outcome"],
            pollsters=args["pollster"],
            populations=[p.value for p in args["population"]],
            field_date_from=args["field_date_from"],
            field_date_to=args["field_date_to"],
        )
        as_of = args["as_of"]
        series = series_service.get_series(db.session, slug)
        version = data_version.series_data_version(db.session, series, as_of=as_of, cache=stats_cache())
        page = series_service.points_page(
            db.session, slug, filters, cursor=args["cursor"], limit=args["limit"], as_of=as_of
        )
        request_key = "points:" + "&".join(f"{k}={args[k]!r}" for k in sorted(args))
        headers = {data_version.HEADER: version, "ETag": f'"{data_version.validator(version, as_of, request_key, data_version.definition_of(series))}"'}
        if history_asof.is_settled(as_of):
            headers["Cache-Control"] = data_version.IMMUTABLE
        # Bulk output: orjson of the point dicts, the same bytes as PointPageSchema's dump (tested).
        return current_app.response_class(pagination.page_json(page), mimetype="application/json"), 200, headers


@blp.route("/<slug>/changes")
class SeriesChanges(MethodView):
    @blp.arguments(ChangesArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, SeriesChangePageSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], slug: str):
        """The series' changelog, oldest first: polls added to it (created, mapped or restored),
        corrected while in it, and removed from it (deleted or unmapped), with revision, time, author,
        reason and the changed paths (see ``/polls/{poll_id}/history`` for the values)."""
        return history_log.series_changes(
            db.session, slug, since=args["since"], cursor=args["cursor"], limit=args["limit"]
        )
