"""Newsroom pages: interactive embeds, poll cards, static chart images, oEmbed, the gallery.

A plain Flask Blueprint with Jinja templates (no flask-smorest: these are pages and images, not API
resources). Every page draws the spec of :mod:`pollapp.services.chart_series` with vega-embed from ONE
JavaScript bundle served by pollapp itself (:mod:`pollapp.embed.assets`): no CDN, no cookies, no
tracking. :mod:`pollapp.embed.framing` sets who may frame what, for the whole app.
"""

from __future__ import annotations

from flask import Flask


def register_embed(app: Flask) -> None:
    from pollapp.embed import framing
    from pollapp.embed.docs import bp as docs_bp
    from pollapp.embed.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(docs_bp)
    framing.register(app)
