"""Chart options, normalised, and the versions and ETags built from them.

Every chart URL (spec, image, embed page, card) is turned into a frozen options object here; its ``key()``
and the data version make the ETag, so a conditional GET is answered before any poll is loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from pollapp.exceptions import InvalidParameter
from pollapp.services import chart_i18n as i18n
from pollapp.services import polls as poll_service
from pollapp.services.stats_inputs import TREND_METHODS
from pollapp.services.stats_series import series_version
from pollapp.stats import STATS_VERSION

#: Bump when the spec's shape or look changes: it is part of every chart ETag.
CHART_VERSION = "3"
THEMES = ("light", "dark")
DEFAULT_HEIGHT = 380
DEFAULT_CARD_HEIGHT = 300
DEFAULT_WIDTH = 640  # static renderings and oEmbed when no width is asked for
MIN_SIZE, MAX_SIZE = 120, 2000


# ---------------------------------------------------------------- options


@dataclass(frozen=True)
class ChartOptions:
    """Every option of a chart URL, normalised (the ETag and cache key are built from it)."""

    outcomes: tuple[str, ...] = ()
    method: str = "kalman"
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    height: int | None = None
    width: int | None = None  # None: as wide as its container (embeds); a number for static images
    theme: str = "light"
    show_polls: bool = True
    show_band: bool = True
    title: str | None = None
    lang: str = i18n.DEFAULT_LANGUAGE

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)


def chart_options(
    *,
    outcome: Any = None,
    method: str | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    height: int | None = None,
    width: int | None = None,
    theme: str | None = None,
    show_polls: bool | None = None,
    show_band: bool | None = None,
    title: str | None = None,
    lang: str | None = None,
) -> ChartOptions:
    """Normalise chart arguments; a value that cannot work is a 400 naming the parameter."""
    if method is not None and method not in TREND_METHODS:
        raise InvalidParameter("method", f"method must be one of {', '.join(TREND_METHODS)}.")
    if theme is not None and theme not in THEMES:
        raise InvalidParameter("theme", f"theme must be one of {', '.join(THEMES)}.")
    if lang is not None and lang not in i18n.LANGUAGE_CODES:
        raise InvalidParameter("lang", f"lang must be one of {', '.join(i18n.LANGUAGE_CODES)}.")
    for name, value in (("height", height), ("width", width)):
        if value is not None and not MIN_SIZE <= value <= MAX_SIZE:
            raise InvalidParameter(name, f"{name} must be between {MIN_SIZE} and {MAX_SIZE} pixels.")
    if start_date and end_date and start_date > end_date:
        raise InvalidParameter("start_date", "start_date must not be after end_date.")
    if isinstance(outcome, str):
        outcome = [outcome]
    return ChartOptions(
        outcomes=tuple(dict.fromkeys(outcome or ())),
        method=method or "kalman",
        start_date=start_date,
        end_date=end_date,
        height=height,
        width=width,
        theme=theme or "light",
        show_polls=True if show_polls is None else bool(show_polls),
        show_band=True if show_band is None else bool(show_band),
        title=(title or "").strip() or None,
        lang=lang or i18n.DEFAULT_LANGUAGE,
    )


# ---------------------------------------------------------------- versions and ETags


def data_version(session: Session, slug: str) -> str:
    """The series' data version (404 if unknown): the ONE place charts learn it, so that it can be
    re-pointed (e.g. to the exports' content hash) without touching the views."""
    version = series_version(session, slug)
    # With the fingerprint: a chart draws statistics, which read more than the version hashes
    # (pollapp.services.stats_series.result_key).
    return f"{version.digest}:{version.definition}:{version.fingerprint}"


def poll_data_version(session: Session, poll_id: int) -> str:
    poll = poll_service.get_poll(session, poll_id)
    return f"{poll.id}:{poll.updated_at.isoformat()}:{poll.pollster.updated_at.isoformat()}"


def chart_etag(version: str, kind: str, options: Any, *extra: Any) -> str:
    """ETag of a chart representation: data version + kind (spec, svg, png, embed page...) + options +
    the chart and statistics versions. Computed before any poll is loaded."""
    key = options.key() if hasattr(options, "key") else json.dumps(options, sort_keys=True, default=str)
    basis = json.dumps([CHART_VERSION, STATS_VERSION, version, kind, key, [str(e) for e in extra]])
    return hashlib.sha256(basis.encode()).hexdigest()[:40]



@dataclass(frozen=True)
class CardOptions:
    question: str | None = None
    answer: str | None = None
    height: int | None = None
    width: int | None = None
    theme: str = "light"
    title: str | None = None
    lang: str = i18n.DEFAULT_LANGUAGE

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)


def card_options(*, question: str | None = None, answer: str | None = None, height: int | None = None,
                 width: int | None = None, theme: str | None = None, title: str | None = None,
                 lang: str | None = None) -> CardOptions:
    base = chart_options(height=height, width=width, theme=theme, title=title, lang=lang)
    return CardOptions(question or None, answer or None, base.height, base.width, base.theme, base.title, base.lang)

