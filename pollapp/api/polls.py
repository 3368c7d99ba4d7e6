"""``/api/v1/polls``: polls with their methodology, questions and answers, as one document."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from pollapp.api.blueprint import Blueprint

from pollapp.api.auth import requires_key
from pollapp.api.caching import check_if_match, requires_if_match
from pollapp.api.idempotency import commit, idempotent
from pollapp.extensions import db
from pollapp.repository import PollFilters
from pollapp.schemas.common import WriteArgsSchema
from pollapp.schemas.history import HistoryArgsSchema, RevisionPageSchema
from pollapp.schemas.polls import PollInSchema, merge_patch, patch_schema
from pollapp.schemas.polls_list_args import PollListArgsSchema
from pollapp.schemas.polls_out import PollOutSchema, PollPageSchema
from pollapp.services import history, history_log, poll_rows, polls

PATH = "/polls"
blp = Blueprint("polls", __name__, description="Polls with full methodology disclosure, questions and answers.")


@blp.route("")
class PollCollection(MethodView):
    @blp.arguments(PollListArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, PollPageSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    def get(self, args: dict[str, Any]):
        """List polls, filtered and sorted (cursor pagination)."""
        # Bulk output: built from SQL rows and encoded with orjson, byte-identical to the schema's
        # dump (pollapp.services.poll_rows); the schema above still documents it.
        body = poll_rows.poll_page_json(
            db.session, poll_filters(args), sort=args["sort"], cursor=args["cursor"], limit=args["limit"]
        )
        return current_app.response_class(body, mimetype="application/json")

    @requires_key(blp, "write")
    @idempotent(blp)
    @blp.arguments(WriteArgsSchema, location="query", unknown=ma.RAISE)
    @blp.arguments(PollInSchema)
    @blp.response(201, PollOutSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, write: dict[str, Any], doc: dict[str, Any]):
        """Create a poll with its questions and answers, atomically (recorded as revision 1)."""
        history.set_reason(db.session, write["reason"])
        poll = polls.create_poll(db.session, doc)
        commit()
        return polls.get_poll(db.session, poll.id), 201, {"Location": f"/api/v1{PATH}/{poll.id}"}


@blp.route("/<int:poll_id>")
class PollItem(MethodView):
    @blp.no_query_arguments()
    @blp.response(200, PollOutSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE")
    def get(self, poll_id: int):
        """Get one poll with its questions, answers and disclosure score (410 once deleted)."""
        return polls.get_poll(db.session, poll_id)

    @requires_key(blp, "write")
    @requires_if_match(blp)
    @blp.arguments(WriteArgsSchema, location="query", unknown=ma.RAISE)
    @blp.arguments(PollInSchema)
    @blp.response(200, PollOutSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(410, response="GONE")
    def put(self, write: dict[str, Any], doc: dict[str, Any], poll_id: int):
        """Replace the whole poll; questions and answers are matched by code and keep their ids."""
        history.set_reason(db.session, write["reason"])
        poll = polls.get_poll(db.session, poll_id)
        check_if_match(PollOutSchema(), poll)
        polls.replace_poll(db.session, poll, doc)
        db.session.commit()
        return polls.get_poll(db.session, poll_id)

    @requires_key(blp, "write")
    @requires_if_match(blp)
    @blp.arguments(WriteArgsSchema, location="query", unknown=ma.RAISE)
    @blp.arguments(patch_schema())
    @blp.response(200, PollOutSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE")
    def patch(self, write: dict[str, Any], changes: dict[str, Any], poll_id: int):
        """Change the top-level fields sent (``questions``, if sent, replaces all questions)."""
        history.set_reason(db.session, write["reason"])
        poll = polls.get_poll(db.session, poll_id)
        check_if_match(PollOutSchema(), poll)
        polls.replace_poll(db.session, poll, merge_patch(polls.poll_document(poll), changes))
        db.session.commit()
        return polls.get_poll(db.session, poll_id)

    @requires_key(blp, "admin")
    @requires_if_match(blp)
    @blp.arguments(WriteArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(410, response="GONE")
    def delete(self, write: dict[str, Any], poll_id: int):
        """Delete a poll (``admin`` scope): it disappears from lists, series, statistics and exports and answers 410;
        its revision history stays (``/polls/{poll_id}/history``)."""
        history.set_reason(db.session, write["reason"])
        poll = polls.get_poll(db.session, poll_id)
        check_if_match(PollOutSchema(), poll)
        polls.delete_poll(db.session, poll)
        db.session.commit()


@blp.route("/<int:poll_id>/history")
class PollHistory(MethodView):
    @blp.arguments(HistoryArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, RevisionPageSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], poll_id: int):
        """Every recorded revision of the poll, newest first (cursor pagination): action, when, by which
        API key, why, and what changed. Deleted polls keep their history."""
        return history_log.poll_history(db.session, poll_id, cursor=args["cursor"], limit=args["limit"])


def poll_filters(args: dict[str, Any]) -> PollFilters:
    """The list's validated filter arguments as the repository's filters (the downloads share them)."""
    return PollFilters(
        pollsters=args["pollster"],
        sponsors=args["sponsor"],
        countries=args["country"],
        populations=[p.value for p in args["population"]],
        modes=[m.value for m in args["mode"]],
        field_date_from=args["field_date_from"],
        field_date_to=args["field_date_to"],
        series=args["series"],
        tag=args["tag"],
        text=args["q"],
    )
