"""Routes of the newsroom pages (see the package docstring). Views stay thin: arguments -> one service
call -> template or bytes, through :func:`pollapp.embed.http.computed` for ETag and caching."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import marshmallow as ma
from flask import Blueprint, abort, current_app, render_template, request, send_from_directory, url_for
from werkzeug.datastructures import MultiDict

from pollapp.embed import assets, framing
from pollapp.embed.outage import friendly_outage
from pollapp.embed.http import IMMUTABLE, base_url, computed, fresh_data_version, query_args, stats_cache
from pollapp.exceptions import DomainError, InvalidInput, InvalidParameter, NotFound
from pollapp.extensions import db
from pollapp.schemas.charts import (
    CardArgsSchema,
    CardImageArgsSchema,
    ChartArgsSchema,
    ImageArgsSchema,
    OEmbedArgsSchema,
    load_query,
)
from pollapp.schemas.common import StrictSchema
from pollapp.services import chart_card
from pollapp.services import chart_i18n as i18n
from pollapp.services import chart_options
from pollapp.services import chart_render
from pollapp.services import chart_series
from pollapp.services import series as series_service
from pollapp.services.methodology import defaults as methodology_defaults
from pollapp.services.poll_page import poll_methodology

bp = Blueprint("embed", __name__, template_folder="../templates", static_folder=None)
PAGE_VERSION = "2"  # bump with the templates: part of every page ETag
OG_WIDTH, OG_HEIGHT = 1200, 630
EMBED_EXTRA_HEIGHT = 70  # the summary line and the data-table toggle under the chart


# ---------------------------------------------------------------- interactive pages


@bp.get("/embed/series/<slug>")
@friendly_outage
def series_embed(slug: str):
    options = chart_options.chart_options(**query_args(ChartArgsSchema()))
    return _embed_page(
        options, f"series:{slug}", lambda: chart_options.data_version(db.session, slug), "embed-page",
        lambda: chart_series.series_chart(db.session, slug, options, base_url=base_url(), cache=stats_cache()),
        "embed/series.html", "chart", ("series", slug),
    )


@bp.get("/embed/polls/<int:poll_id>")
@friendly_outage
def poll_embed(poll_id: int):
    options = chart_options.card_options(**query_args(CardArgsSchema()))
    return _embed_page(
        options, f"poll:{poll_id}", lambda: chart_options.poll_data_version(db.session, poll_id), "card-page",
        lambda: chart_card.poll_card(db.session, poll_id, options, base_url=base_url()),
        "embed/card.html", "card", ("polls", poll_id),
    )


def _embed_page(options: Any, version_key: str, version_of: Callable[[], str], kind: str, make: Callable[[], Any],
                template: str, name: str, meta_of: tuple[str, Any]):
    """An interactive embed page (a series chart or a poll card): a 304 or cached bytes when its data,
    options, host and script bundle are unchanged; else ``make()`` rendered into ``template`` as ``name``."""
    version = fresh_data_version(version_key, version_of)
    bundle = assets.bundle(current_app._get_current_object())
    etag = chart_options.chart_etag(version, kind, options, base_url(), bundle.filename, PAGE_VERSION)

    def build() -> bytes:
        made = make()
        return render_template(
            template, **{name: made}, options=options, lang=options.lang, t=_words(options.lang),
            bundle_url=_bundle_url(bundle), meta=_meta(*meta_of, made.title, made.summary),
        ).encode()

    return computed(etag, "text/html", build)


@bp.get("/")
@friendly_outage
def gallery():
    query_args(_NoArgs())
    lang = "en"
    page = series_service.list_series(db.session, country=None, tag=None, cursor=None, limit=500)
    items = []
    for view in page.items:
        options = chart_options.chart_options()
        chart = chart_series.series_chart(db.session, view.series.slug, options, base_url=base_url(),
                                          cache=stats_cache())
        page_url = f"{base_url()}/embed/series/{view.series.slug}"
        items.append({
            "slug": view.series.slug, "chart": chart, "embed_url": page_url,
            "snippet": _iframe(page_url, chart.title, None, chart_options.DEFAULT_HEIGHT + EMBED_EXTRA_HEIGHT),
            "oembed_url": f"{base_url()}/oembed?" + urlencode({"url": page_url, "format": "json"}),
        })
    html = render_template("embed/gallery.html", items=items, lang=lang, t=_words(lang),
                           bundle_url=_bundle_url(assets.bundle(current_app._get_current_object())))
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Content-Security-Policy"] = framing.PAGE_POLICY
    return response


@bp.get("/polls/<int:poll_id>")
@friendly_outage
def poll_page(poll_id: int):
    args = query_args(CardArgsSchema())
    options = chart_options.card_options(**args)
    card = chart_card.poll_card(db.session, poll_id, options, base_url=base_url())
    methodology = poll_methodology(db.session, poll_id)
    page_url = f"{base_url()}/embed/polls/{poll_id}?" + urlencode({"question": card.question_code,
                                                                   "answer": card.answer_code})
    html = render_template(
        "embed/poll.html", card=card, m=methodology, lang=options.lang, t=_words(options.lang),
        bundle_url=_bundle_url(assets.bundle(current_app._get_current_object())),
        snippet=_iframe(page_url, card.title, None, chart_options.DEFAULT_CARD_HEIGHT + EMBED_EXTRA_HEIGHT),
        oembed_url=f"{base_url()}/oembed?" + urlencode({"url": page_url, "format": "json"}),
    )
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Content-Security-Policy"] = framing.PAGE_POLICY
    return response


@bp.get("/methodology")
def methodology():
    query_args(_NoArgs())
    html = render_template("embed/methodology.html", lang="en", d=methodology_defaults())
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Content-Security-Policy"] = framing.PAGE_POLICY
    return response


@bp.get("/embed/assets/<filename>")
def asset(filename: str):
    bundle = assets.bundle(current_app._get_current_object())
    if filename != bundle.filename:
        abort(404)
    response = send_from_directory(bundle.directory, filename, mimetype="text/javascript", conditional=True)
    response.headers["Cache-Control"] = IMMUTABLE
    return response


# ---------------------------------------------------------------- static images


@bp.get("/charts/series/<slug>.<any(svg, png, pdf):fmt>")
def series_image(slug: str, fmt: str):
    args = query_args(ImageArgsSchema())
    scale = args.pop("scale")
    options = chart_options.chart_options(**args)
    version = fresh_data_version(f"series:{slug}", lambda: chart_options.data_version(db.session, slug))
    etag = chart_options.chart_etag(version, f"image-{fmt}", options, base_url(), scale)

    def build() -> bytes:
        chart = chart_series.series_chart(db.session, slug, options, base_url=base_url(), cache=stats_cache())
        return chart_render.render(chart_render.static_spec(chart.spec, options.width), fmt, scale=scale)

    return computed(etag, chart_render.IMAGE_FORMATS[fmt], build, filename=f"{slug}.{fmt}")


@bp.get("/charts/polls/<int:poll_id>.<any(svg, png, pdf):fmt>")
def poll_image(poll_id: int, fmt: str):
    args = query_args(CardImageArgsSchema())
    scale = args.pop("scale")
    options = chart_options.card_options(**args)
    version = fresh_data_version(f"poll:{poll_id}", lambda: chart_options.poll_data_version(db.session, poll_id))
    etag = chart_options.chart_etag(version, f"card-{fmt}", options, base_url(), scale)

    def build() -> bytes:
        card = chart_card.poll_card(db.session, poll_id, options, base_url=base_url())
        return chart_render.render(chart_render.static_spec(card.spec, options.width), fmt, scale=scale)

    return computed(etag, chart_render.IMAGE_FORMATS[fmt], build, filename=f"poll-{poll_id}.{fmt}")


# ---------------------------------------------------------------- oEmbed 1.0


class _NoArgs(StrictSchema):
    """Pages without options: any query parameter is refused."""


class FormatNotImplemented(DomainError):
    status = 501
    title = "Not implemented"


@bp.get("/oembed")
def oembed():
    """oEmbed 1.0 provider for embed page URLs of this host: type ``rich`` (an iframe), thumbnail = the
    PNG. 404 for a URL that is not one of ours (or names no series/poll), 501 for a format other than
    json (the spec's answer for an unsupported format)."""
    args = query_args(OEmbedArgsSchema())
    if args["format"] != "json":
        raise FormatNotImplemented(f"format={args['format']} is not implemented; use format=json.")
    target = _embed_target(args["url"])
    if target is None:
        raise NotFound("Not an embeddable URL of this pollapp: give the URL of an /embed/series/... or "
                       "/embed/polls/... page of this host.")
    kind, ident, query = target
    try:
        if kind == "series":
            options = chart_options.chart_options(**load_query(ChartArgsSchema(), query))
            title = options.title or series_service.get_series(db.session, ident).title
            default_height = options.height or chart_options.DEFAULT_HEIGHT
        else:
            options = chart_options.card_options(**load_query(CardArgsSchema(), query))
            title = chart_card.poll_card(db.session, ident, options).title
            default_height = options.height or chart_options.DEFAULT_CARD_HEIGHT
    except (ma.ValidationError, InvalidParameter, InvalidInput) as exc:
        raise NotFound("The URL's chart options are not valid, so it is not an embeddable URL.") from exc
    width = min(chart_options.DEFAULT_WIDTH, args["maxwidth"] or chart_options.DEFAULT_WIDTH)
    height = min(default_height + EMBED_EXTRA_HEIGHT, args["maxheight"] or 10_000)
    chart_height = max(chart_options.MIN_SIZE, height - EMBED_EXTRA_HEIGHT)
    page_query = MultiDict(query)
    page_query["height"] = str(chart_height)
    page_url = f"{base_url()}/embed/{kind}/{ident}?{urlencode(list(page_query.items(multi=True)))}"
    thumb_w, thumb_h = max(chart_options.MIN_SIZE, width), max(chart_options.MIN_SIZE, min(chart_height, height))
    image_query = MultiDict(query)
    image_query["width"], image_query["height"] = str(thumb_w), str(thumb_h)
    image_path = f"/charts/series/{ident}.png" if kind == "series" else f"/charts/polls/{ident}.png"
    body = {
        "version": "1.0",
        "type": "rich",
        "title": title,
        "provider_name": "pollapp",
        "provider_url": base_url() + "/",
        "cache_age": int(current_app.config.get("CHART_MAX_AGE", 300)),
        "html": _iframe(page_url, title, width, height),
        "width": width,
        "height": height,
        "thumbnail_url": f"{base_url()}{image_path}?{urlencode(list(image_query.items(multi=True)))}",
        "thumbnail_width": thumb_w,
        "thumbnail_height": thumb_h,
    }
    if args["maxwidth"] and thumb_w > args["maxwidth"] or args["maxheight"] and thumb_h > args["maxheight"]:
        for key in ("thumbnail_url", "thumbnail_width", "thumbnail_height"):
            body.pop(key)  # all three or none (oEmbed 1.0, 2.3.4)
    response = current_app.json.response(body)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _embed_target(url: str) -> tuple[str, Any, MultiDict] | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    path = parts.path.rstrip("/")
    query = MultiDict(_parse_qs(parts.query))
    prefix_series, prefix_polls = "/embed/series/", "/embed/polls/"
    if path.startswith(prefix_series) and "/" not in path[len(prefix_series):] and path[len(prefix_series):]:
        return "series", path[len(prefix_series):], query
    if path.startswith(prefix_polls) and path[len(prefix_polls):].isdigit():
        ident = int(path[len(prefix_polls):])
        return ("polls", ident, query) if ident < 2**31 else None
    return None


def _parse_qs(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query, keep_blank_values=True)


# ---------------------------------------------------------------- helpers


def _words(lang: str) -> Any:
    return lambda key, **values: i18n.word(lang, key, **values)


def _bundle_url(bundle: assets.Bundle) -> str:
    return url_for("embed.asset", filename=bundle.filename)


def _iframe(src: str, title: str, width: int | None, height: int) -> str:
    from markupsafe import escape

    width_attr = f'width="{width}"' if width else 'width="100%"'
    return (f'<iframe src="{escape(src)}" title="{escape(title)}" {width_attr} height="{height}" '
            f'style="border:0;max-width:100%" loading="lazy"></iframe>')


def _meta(kind: str, ident: Any, title: str, summary: str) -> dict[str, Any]:
    """oEmbed discovery and Open Graph / Twitter card data of an embed page."""
    query = [(k, v) for k, v in request.args.items(multi=True) if k not in ("width", "height")]
    page_url = f"{base_url()}{request.path}" + (f"?{urlencode(query)}" if query else "")
    image_path = f"/charts/{kind}/{ident}"
    og_query = urlencode([*query, ("width", OG_WIDTH), ("height", OG_HEIGHT)])
    return {
        "title": title,
        "summary": summary,
        "page_url": page_url,
        "oembed_url": f"{base_url()}/oembed?" + urlencode({"url": page_url, "format": "json"}),
        "image_url": f"{base_url()}{image_path}.png?{og_query}",
        "image_width": OG_WIDTH,
        "image_height": OG_HEIGHT,
        "svg_url": f"{base_url()}{image_path}.svg" + (f"?{urlencode(list(request.args.items(multi=True)))}" if request.args else ""),
    }
