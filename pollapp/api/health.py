"""``/healthz`` and ``/readyz`` for load balancers and orchestrators (outside ``/api/v1``: they
describe this process, not the data).

``/healthz`` says the process serves requests; it touches nothing else, so a database outage does
not get every instance killed and restarted (which would not help). ``/readyz`` says whether to send
traffic here (:mod:`pollapp.services.health`). Neither is cached (a stale "ready" is a lie) nor rate
limited (:mod:`pollapp.web.ratelimits`).
"""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from pollapp.api.blueprint import Blueprint
from pollapp.api.problems import problem_response
from pollapp.extensions import db
from pollapp.services import health

NO_STORE = {"Cache-Control": "no-store"}

blp = Blueprint("health", __name__, description="Process health and readiness, for load balancers.")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"description": "Always `ok`."})


class ChecksSchema(ma.Schema):
    database = ma.fields.String(required=True, metadata={"description": "`ok`: `SELECT 1` answered."})
    migrations = ma.fields.String(required=True, metadata={"description": "`ok`: the schema is at the migrations' head."})


class ReadinessSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"description": "`ready`"})
    checks = ma.fields.Nested(ChecksSchema, required=True)


@blp.route("/healthz")
class Healthz(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is alive and serving (no database access)."""
        return {"status": "ok"}, 200, NO_STORE


@blp.route("/readyz")
class Readyz(MethodView):
    @blp.response(200, ReadinessSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self):
        """Ready for traffic: the database answers and its schema is at the migrations' head.
        503 names the failed check in `detail`."""
        result = health.readiness(db.session, current_app.extensions["migrate"].directory)
        if not result.ready:
            return problem_response(
                503, f"Not ready. {result.detail}", headers={"Retry-After": "5"}
            )
        return {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}, 200, NO_STORE
