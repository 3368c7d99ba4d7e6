"""Statistics: intervals of a poll, change between two polls, and per series the trend line, house
effects and house-adjusted points.

Series-wide results are computed GETs: the weak ETag is derived from the series' data version, the
normalised arguments and ``STATS_VERSION`` (one aggregate query), so ``If-None-Match`` is answered 304
before any poll is loaded or any model fitted; the body itself comes from the result cache when the
same result was computed before. (Weak, because ``computed_at`` may differ between two computations
of the same numbers.)
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView
from pollapp.api.blueprint import Blueprint

from pollapp.extensions import db
from pollapp.schemas.statistics_args import (
    CompareArgsSchema,
    HouseEffectArgsSchema,
    IntervalArgsSchema,
    TrendArgsSchema,
)
from pollapp.schemas.statistics_poll_responses import CompareSchema, PollIntervalsSchema
from pollapp.schemas.statistics_series_responses import (
    AdjustedPointsSchema,
    HouseEffectSchema,
    HouseEffectsSchema,
    TrendSchema,
)
from pollapp.services import data_version, history_asof, statistics
from pollapp.services import stats_cache as stats_cache_service
from pollapp.services.cache import ResultCache

PATH = ""
blp = Blueprint(
    "statistics", __name__,
    description="Statistics with their uncertainty: intervals, leads, changes, trend lines, house effects.",
)
CSV_DESCRIPTION = "The trend grid as CSV (one row per grid date, see `step_days`; the JSON grid's columns)."
HOUSE_CSV_DESCRIPTION = "The house effects as CSV (one row per pollster, the columns of the JSON `house_effects` items)."


@blp.route("/polls/<int:poll_id>/intervals")
class PollIntervals(MethodView):
    @blp.arguments(IntervalArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, PollIntervalsSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], poll_id: int):
        """Every answer with its interval (net answers included), simultaneous intervals and leads."""
        return statistics.poll_intervals(db.session, poll_id, **args)


@blp.route("/compare")
class Compare(MethodView):
    @blp.arguments(CompareArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, CompareSchema)
    def get(self, args: dict[str, Any]):
        """Change between two polls in a series outcome, or in one question's answer."""
        return statistics.compare(db.session, args.pop("poll_a"), args.pop("poll_b"), **args)


@blp.route("/series/<slug>/trend")
class SeriesTrend(MethodView):
    @blp.arguments(TrendArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, TrendSchema)
    @blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True,
                      description="The trend as JSON; with `Accept: text/csv`, its grid as CSV.")
    @blp.alt_response(304, response="NOT_MODIFIED")
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], slug: str):
        """Trend line of one outcome (JSON, or the grid as CSV with ``Accept: text/csv``); see ``step_days``
        and ``polls`` for how much of it a response carries."""
        fmt = "csv" if _prefers_csv() else "json"
        as_of = _instant(args)
        return _computed("trend", slug, statistics.trend_params(**args), statistics.series_trend, fmt, as_of=as_of)


@blp.route("/series/<slug>/trend.csv")
class SeriesTrendCsv(MethodView):
    @blp.arguments(TrendArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, {"type": "string"}, content_type="text/csv", description=CSV_DESCRIPTION)
    @blp.alt_response(304, response="NOT_MODIFIED")
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], slug: str):
        """The trend grid as CSV (same arguments as the JSON trend)."""
        as_of = _instant(args)
        return _computed("trend", slug, statistics.trend_params(**args), statistics.series_trend, "csv", as_of=as_of)


@blp.route("/series/<slug>/house-effects")
class SeriesHouseEffects(MethodView):
    @blp.arguments(HouseEffectArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, HouseEffectsSchema)
    @blp.alt_response(304, response="NOT_MODIFIED")
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], slug: str):
        """House effect of each pollster on one outcome, with its interval and poll count."""
        as_of = _instant(args)
        return _computed("house-effects", slug, statistics.house_params(**args), statistics.house_effects, as_of=as_of)


@blp.route("/series/<slug>/house-effects.csv")
class SeriesHouseEffectsCsv(MethodView):
    @blp.arguments(HouseEffectArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, {"type": "string"}, content_type="text/csv", description=HOUSE_CSV_DESCRIPTION)
    @blp.alt_response(304, response="NOT_MODIFIED")
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], slug: str):
        """The house effects as CSV (same arguments as the JSON house effects)."""
        as_of = _instant(args)
        return _computed("house-effects", slug, statistics.house_params(**args), statistics.house_effects, "csv",
                         to_csv=_house_csv, as_of=as_of)


@blp.route("/series/<slug>/adjusted-points")
class SeriesAdjustedPoints(MethodView):
    @blp.arguments(HouseEffectArgsSchema, location="query", unknown=ma.RAISE)
    @blp.response(200, AdjustedPointsSchema)
    @blp.alt_response(304, response="NOT_MODIFIED")
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], slug: str):
        """Each poll's value with its pollster's house effect removed."""
        as_of = _instant(args)
        return _computed("adjusted-points", slug, statistics.house_params(**args), statistics.adjusted_points,
                         as_of=as_of)


# ---------------------------------------------------------------- computed GETs


def _instant(args: dict[str, Any]) -> dt.datetime | None:
    """Split ``as_of``: an instant (reproduce the data as recorded then) is taken out of the arguments;
    a day stays, as the statistics' own option (polls published by then)."""
    as_of = args.get("as_of")
    if isinstance(as_of, dt.datetime):
        args["as_of"] = None
        return as_of
    return None


def _computed(kind: str, slug: str, params: Any, compute: Callable[..., statistics.EncodedResult],
              fmt: str = "json", *, to_csv: Callable[[dict[str, Any]], str] | None = None,
              as_of: dt.datetime | None = None) -> Response:
    """Data-version ETag first (304 without work), then the (cached) result."""
    cache = stats_cache()
    version = statistics.series_version(db.session, slug, as_of=as_of, cache=cache, selection=params.selection)
    etag = hashlib.sha256(f"{statistics.result_key(kind, version, params)}:{fmt}".encode()).hexdigest()[:40]
    if request.if_none_match.contains_weak(etag):
        return _with_validators(current_app.response_class(status=200), etag, version).make_conditional(request)
    if fmt == "csv":
        csv_key = f"{etag}:csv"  # the CSV is cached too: decoding a large JSON body on every hit is slow
        body, cached = cache.get(csv_key), True
        if body is None:
            result = compute(db.session, slug, params, cache=cache, version=version)
            body, cached = (to_csv or _grid_csv)(result.data).encode(), result.cached
            cache.set(csv_key, body)
        response = current_app.response_class(body, mimetype="text/csv")
        response.headers["Content-Disposition"] = f'inline; filename="{slug}-{kind}.csv"'
    else:
        result = compute(db.session, slug, params, cache=cache, version=version)
        response, cached = current_app.response_class(result.body, mimetype="application/json"), result.cached
    response.headers["X-Cache"] = "hit" if cached else "miss"
    return _with_validators(response, etag, version)


def _with_validators(response: Response, etag: str, version: statistics.SeriesVersion) -> Response:
    response.set_etag(etag, weak=True)  # caching.py leaves an ETag set here alone
    response.headers[data_version.HEADER] = version.digest
    if history_asof.is_settled(version.as_of):
        response.headers["Cache-Control"] = data_version.IMMUTABLE
    else:
        response.headers["Cache-Control"] = f"public, max-age={current_app.config['PUBLIC_MAX_AGE']}"
    response.vary.add("Accept")
    return response


def _prefers_csv() -> bool:
    accept = request.accept_mimetypes
    return accept.quality("text/csv") > accept.quality("application/json")


def _grid_csv(data: dict[str, Any]) -> str:
    grid = data["grid"]
    return _rows_csv(grid, list(grid[0]) if grid else ["date", "estimate_pct", "se_pct", "lower_pct", "upper_pct"])


def _house_csv(data: dict[str, Any]) -> str:
    return _rows_csv(data["house_effects"] or [], list(HouseEffectSchema().fields))


def _rows_csv(grid: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if row.get(c) is None else row[c] for c in columns] for row in grid])
    return out.getvalue()


def stats_cache() -> ResultCache:
    """The application's statistics result cache (:mod:`pollapp.services.stats_cache`: shared with the
    charts and embeds, and through Redis with other instances when ``REDIS_URL`` is set)."""
    return stats_cache_service.of_app(current_app.extensions, current_app.config)
