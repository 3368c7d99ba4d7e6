"""Chart specs: the ONE Vega-Lite spec of a series chart or a poll card, as JSON.

The spec is what the embed pages draw and what the static images are rendered from
(:mod:`pollapp.services.chart_series`, :mod:`pollapp.services.chart_card`). A computed GET: the ETag (series data version + normalised options +
chart and statistics versions) is known before any poll is loaded, so ``If-None-Match`` gets a 304
without work (Werkzeug's ``make_conditional`` keeps ETag and Cache-Control on it).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import orjson
from flask import Response, current_app, request
from flask.views import MethodView
from pollapp.api.blueprint import Blueprint

from pollapp.extensions import db
from pollapp.schemas.charts import CardArgsSchema, ChartArgsSchema
from pollapp.services import chart_card
from pollapp.services import chart_options
from pollapp.services import chart_series

PATH = ""
blp = Blueprint("charts", __name__, description="Chart specs (Vega-Lite) for newsroom embeds and images.")
SPEC_DESCRIPTION = "A Vega-Lite v5 spec with its data, theme, locale, text summary and source line."


@blp.route("/series/<slug>/chart.vl.json")
class SeriesChartSpec(MethodView):
    @blp.arguments(ChartArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, {"type": "object"}, description=SPEC_DESCRIPTION)
    @blp.alt_response(304, response="NOT_MODIFIED")
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], slug: str):
        """Vega-Lite spec of a series chart: polls, trend line and band per outcome, latest values, source."""
        options = chart_options.chart_options(**args)
        version = chart_options.data_version(db.session, slug)
        etag = chart_options.chart_etag(version, "spec", options, request.host_url)
        return _spec_response(etag, lambda: chart_series.series_chart(
            db.session, slug, options, base_url=request.host_url.rstrip("/"), cache=_stats_cache()).spec)


@blp.route("/polls/<int:poll_id>/card.vl.json")
class PollCardSpec(MethodView):
    @blp.arguments(CardArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, {"type": "object"}, description=SPEC_DESCRIPTION)
    @blp.alt_response(304, response="NOT_MODIFIED")
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], poll_id: int):
        """Vega-Lite spec of a poll card: one quoted result, its interval, net breakdown and disclosure."""
        options = chart_options.card_options(**args)
        version = chart_options.poll_data_version(db.session, poll_id)
        etag = chart_options.chart_etag(version, "card-spec", options, request.host_url)
        return _spec_response(etag, lambda: chart_card.poll_card(
            db.session, poll_id, options, base_url=request.host_url.rstrip("/")).spec)


def _spec_response(etag: str, build) -> Response:
    response = current_app.response_class(status=200, mimetype="application/json")
    response.set_etag(etag)
    max_age = int(current_app.config.get("CHART_MAX_AGE", 300))
    stale = int(current_app.config.get("CHART_STALE_WHILE_REVALIDATE", 86400))
    response.headers["Cache-Control"] = f"public, max-age={max_age}, stale-while-revalidate={stale}"
    if request.if_none_match.contains(etag):
        return response.make_conditional(request)
    response.set_data(orjson.dumps(build()))
    return response.make_conditional(request)


def _stats_cache():
    """The statistics result cache shared with ``/series/{slug}/trend`` (:mod:`pollapp.services.stats_cache`),
    so a chart reuses a trend the API computed and the other way round."""
    from pollapp.services import stats_cache

    return stats_cache.of_app(current_app.extensions, current_app.config)
