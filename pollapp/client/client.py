"""``Client``: the pollapp API as pandas DataFrames.

Each read method maps one endpoint of ``/api/v1`` to a typed DataFrame (columns documented on the
method; the column lists are in :mod:`pollapp.client.frames`), following cursor pagination to the
end. Statistics keep their context: the fields of the answer other than the rows (method,
parameters, band description, warnings, data version, ...) are in ``df.attrs``.

Keyword options are passed to the API as query parameters (lists repeat the parameter, booleans
are ``true``/``false``, dates ISO 8601), so every option the API documents
(``/api/v1/openapi.json``) is available and an unknown one is refused by the server
(:class:`~pollapp.client.errors.InvalidInput`), never silently ignored.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

import pandas as pd
import requests

from pollapp.client.version import __version__
from pollapp.client import frames
from pollapp.client.transport import Transport

API = "/api/v1"
USER_AGENT = f"pollapp-client/{__version__} python-requests/{requests.__version__}"


def _params(options: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters from Python values (None drops the parameter)."""
    params: dict[str, Any] = {}
    for name, value in options.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            params[name] = [_scalar(v) for v in value]
        else:
            params[name] = _scalar(value)
    return params


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    return value


class Client:
    """A pollapp server's API.

    ``Client("http://127.0.0.1:5000")`` reads; writes need ``api_key`` (``flask keys create NAME``).
    ``page_size`` is the ``limit`` of each page fetched (1-500); ``max_retries`` and
    ``max_retry_wait`` (seconds) bound the retries of 429/503 answers; ``cache_size`` is how many GET
    bodies are kept for conditional requests (0: none).
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:5000",
        api_key: str | None = None,
        *,
        page_size: int = 500,
        timeout: float = 60.0,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        cache_size: int = 256,
        session: requests.Session | None = None,
    ) -> None:
        self.page_size = page_size
        self.http = Transport(
            base_url, api_key, user_agent=USER_AGENT, timeout=timeout, max_retries=max_retries,
            max_retry_wait=max_retry_wait, cache_size=cache_size, session=session,
        )

    def __repr__(self) -> str:
        return f"Client({self.http.base_url!r})"

    # ------------------------------------------------------------ reads

    def polls(self, **filters: Any) -> pd.DataFrame:
        """Polls matching the filters of ``GET /polls`` (``pollster``, ``sponsor``, ``country``,
        ``population``, ``mode`` (lists allowed), ``field_date_from``, ``field_date_to``, ``series``,
        ``tag``, ``q``, ``sort``), every page.

        One row per poll. Columns: ``id``, ``pollster`` (slug), ``pollster_name``,
        ``partner_pollsters``, ``sponsors`` (lists of slugs), ``self_sponsored``,
        ``field_start_date``, ``field_end_date``, ``field_dates_precision``, ``publication_date``
        (datetime64), ``country``, ``region``, ``population``, ``population_description``,
        ``sample_size`` (Int64), ``sample_type``, ``modes``, ``languages`` (lists), ``weighted``,
        ``design_effect``, ``margin_of_error``, ``confidence_level``, ``response_rate`` (float),
        ``partisan``, ``internal``, ``tracking``, ``source_url``, ``source``, ``source_id``,
        ``disclosure_score`` (0-100), ``n_questions``. ``attrs["total"]``: the server's count.
        (The questions and answers of one poll: :meth:`intervals`.)
        """
        items, total = self.http.get_pages(f"{API}/polls", self._paged(filters))
        return frames.with_attrs(frames.frame(frames.poll_rows(items), frames.POLL_COLUMNS), {"total": total})

    def series(self, **filters: Any) -> pd.DataFrame:
        """Every series (``GET /series``; filters ``country``, ``tag``), ordered by slug.

        Columns: ``slug``, ``title``, ``description``, ``country``, ``tags``, ``outcomes`` (codes),
        ``outcome_labels``, ``poll_count``, ``first_field_end_date``, ``last_field_end_date``
        (datetime64), ``pollsters`` (slugs), ``created_at``, ``updated_at`` (UTC).
        """
        items, total = self.http.get_pages(f"{API}/series", self._paged(filters))
        return frames.with_attrs(frames.frame(frames.series_rows(items), frames.SERIES_COLUMNS), {"total": total})

    def points(self, slug: str, as_of: Any = None, **filters: Any) -> pd.DataFrame:
        """The data behind a series' chart (``GET /series/{slug}/points``): one row per poll and
        outcome; ``as_of`` (an instant) gives the rows as they were served then. Filters:
        ``outcome``, ``pollster``, ``population`` (lists allowed), ``field_date_from``, ``field_date_to``.

        Columns: ``poll_id``, ``question_id``, ``outcome``, ``pct`` (percent as published),
        ``pollster``, ``pollster_name``, ``field_start_date``, ``field_end_date``,
        ``field_dates_precision``, ``publication_date``, ``country``, ``population``,
        ``sample_size`` (Int64), ``sample_type``, ``modes``, ``design_effect``, ``margin_of_error``,
        ``partisan``, ``tracking``, ``source_url``.
        """
        items, total = self.http.get_pages(f"{API}/series/{slug}/points", self._paged({**filters, "as_of": as_of}))
        return frames.with_attrs(frames.frame(items, frames.POINT_COLUMNS), {"series": slug, "total": total})

    def trend(self, slug: str, method: str = "kalman", **options: Any) -> pd.DataFrame:
        """The trend line of one outcome of a series (``GET /series/{slug}/trend``).
        ``method``: kalman (default), lowess, weighted or rolling; ``options`` are the endpoint's
        (``outcome``, ``level``, ``start_date``, ``end_date``, ``as_of``, ``min_polls``, ``frac``,
        ``window_days``, ``step_days``, ``polls``, ...).

        One row per grid date: every day for a series spanning up to 500 days, else every
        ``attrs["parameters"]["step_days"]`` days plus the last day (``step_days=1`` for every day;
        the values at a date are the same). ``included`` lists at most 100 polls unless
        ``polls="all"``. Columns: ``date`` (datetime64), ``estimate_pct``, ``se_pct``,
        ``lower_pct``, ``upper_pct`` (the band; NaN where the method has none), and for kalman
        ``filtered_estimate_pct``, ``filtered_se_pct``, ``filtered_lower_pct``,
        ``filtered_upper_pct`` (real-time estimates, no look-ahead). ``attrs``: ``band`` (what the
        band means), ``method``, ``parameters``, ``settings``, ``fitted_params``, ``warnings``,
        ``house_effects``, ``excluded``, ``data_version``, ... and ``included`` (the polls used);
        :func:`included_polls` makes the latter a DataFrame.
        """
        body = self.http.get_json(f"{API}/series/{slug}/trend", _params({**options, "method": method}))
        meta = {k: v for k, v in body.items() if k != "grid"}
        return frames.with_attrs(frames.frame(body["grid"], frames.GRID_COLUMNS), meta)

    def house_effects(self, slug: str, **options: Any) -> pd.DataFrame:
        """Each pollster's house effect on one outcome (``GET /series/{slug}/house-effects``;
        options ``outcome``, ``method``, ``constraint``, ``reference_pollster``, ``level``, ...).

        Columns: ``pollster``, ``estimate_pct`` (percentage points above the consensus),
        ``se_pct``, ``lower_pct``, ``upper_pct``, ``n_polls``. ``attrs``: ``method``,
        ``constraint``, ``explanation``, ``level``, ``warnings``, ``excluded``, ``data_version``, ...
        """
        body = self.http.get_json(f"{API}/series/{slug}/house-effects", _params(options))
        meta = {k: v for k, v in body.items() if k != "house_effects"}
        return frames.with_attrs(frames.frame(body.get("house_effects") or [], frames.HOUSE_EFFECT_COLUMNS), meta)

    def intervals(self, poll_id: int, **options: Any) -> pd.DataFrame:
        """Every answer of a poll with its interval (``GET /polls/{poll_id}/intervals``; options
        ``method``, ``level``, ``simultaneous``).

        One row per answer (net answers included). Columns: ``question_id``, ``question`` (code),
        ``wording``, ``multi_select``, ``n`` (Int64), ``n_source``, ``design_effect``,
        ``design_effect_source``, ``n_eff``, ``small_sample``, ``reason`` (why intervals are
        missing), ``answer`` (code), ``label``, ``pct``, ``substantive``, ``is_net``,
        ``components``, ``lower_pct``, ``upper_pct``, ``margin_pct``, ``simultaneous_lower_pct``,
        ``simultaneous_upper_pct``. ``attrs``: the poll's ``interval_label``, ``label_note``,
        ``method``, ``level`` and ``leads`` (question code -> lead with its interval and sentence).
        """
        body = self.http.get_json(f"{API}/polls/{int(poll_id)}/intervals", _params(options))
        meta = {k: v for k, v in body.items() if k != "questions"}
        meta["leads"] = {q["code"]: q.get("lead") for q in body["questions"]}
        return frames.with_attrs(frames.frame(frames.interval_rows(body), frames.INTERVAL_COLUMNS), meta)

    def compare(self, poll_a: int, poll_b: int, **options: Any) -> pd.DataFrame:
        """The change from poll A to poll B (``GET /compare``): ``series`` and ``outcome``, or
        ``question`` and ``answer`` (``question_b``/``answer_b`` if B words it differently);
        ``level``, ``ci_method``, ``test_method``.

        One row. Columns: ``series``, ``outcome``, ``question``, ``answer``, ``diff_pct`` (B minus
        A), ``lower_pct``, ``upper_pct``, ``margin_pct``, ``p_value``, ``significant``, ``level``,
        ``ci_method``, ``test_method``, ``sentence``, then each poll's ``poll_id``, ``pollster``,
        ``field_start_date``, ``field_end_date``, ``publication_date``, ``question_id``,
        ``question``, ``answer``, ``pct``, ``n``, ``n_source``, ``design_effect``,
        ``design_effect_source``, ``n_eff`` prefixed ``a_`` and ``b_``. ``attrs``: ``warnings``.
        """
        body = self.http.get_json(f"{API}/compare", _params({"poll_a": poll_a, "poll_b": poll_b, **options}))
        meta = {"warnings": body.get("warnings", []), "stats_version": body.get("stats_version")}
        return frames.with_attrs(frames.frame([frames.compare_row(body)], frames.COMPARE_COLUMNS), meta)

    def poll(self, poll_id: int) -> dict[str, Any]:
        """One poll's whole document (``GET /polls/{poll_id}``): methodology, questions, answers."""
        return self.http.get_json(f"{API}/polls/{int(poll_id)}")

    # ------------------------------------------------------------ writes (need an API key)

    def create_poll(self, poll: Mapping[str, Any], *, reason: str | None = None) -> dict[str, Any]:
        """Create a poll with its questions and answers (``POST /polls``; the document's fields are
        those of ``GET /polls/{id}``'s input schema) and return the created poll. Sent with an
        ``Idempotency-Key``, so a retry after a lost answer cannot create it twice."""
        response = self.http.request("POST", f"{API}/polls", json=dict(poll), params=_params({"reason": reason}))
        return response.json()

    def update_poll(self, poll_id: int, changes: Mapping[str, Any], *, if_match: str | None = None,
                    reason: str | None = None) -> dict[str, Any]:
        """Change a poll's top-level fields (``PATCH /polls/{poll_id}``). The server needs the ETag
        of the version being edited (``If-Match``): ``if_match`` if given, else the poll is read
        first. A change made by someone else meanwhile raises
        :class:`~pollapp.client.errors.PreconditionFailed` (read again, reapply, retry)."""
        path = f"{API}/polls/{int(poll_id)}"
        if if_match is None:
            if_match = self.http.request("GET", path).headers["ETag"]
        response = self.http.request("PATCH", path, json=dict(changes), headers={"If-Match": if_match},
                                     params=_params({"reason": reason}))
        return response.json()

    def import_file(self, path: str | os.PathLike[str], dry_run: bool = True, *, format: str = "auto",  # noqa: A002
                    series: str | None = None, reason: str | None = None) -> dict[str, Any]:
        """Upload a poll file (``POST /imports``: pollapp CSV/JSON or a FiveThirtyEight CSV).
        ``dry_run`` (the default) validates and reports what would change without writing; pass
        ``dry_run=False`` to import. A file with any problem writes nothing and raises
        :class:`~pollapp.client.errors.InvalidInput` listing every problem (row, column, detail).
        Returns the report (``dry_run``, counts of created/updated/unchanged, notes)."""
        with open(path, "rb") as handle:
            content = handle.read()  # read once: a retry sends the same bytes
        fields = _params({"dry_run": dry_run, "format": format, "series": series, "reason": reason})
        response = self.http.request("POST", f"{API}/imports", data=fields,
                                     files={"file": (os.path.basename(path), content)})
        return response.json()

    # ------------------------------------------------------------ helpers

    def _paged(self, filters: Mapping[str, Any]) -> dict[str, Any]:
        params = _params(filters)
        params.setdefault("limit", self.page_size)
        return params


def included_polls(trend: pd.DataFrame) -> pd.DataFrame:
    """The polls a trend used (``trend.attrs["included"]``) as a typed DataFrame: ``poll_id``,
    ``pollster``, ``mid_date`` (its date in the trend), ``pct`` (value used), ``n_eff``, ..."""
    return frames.frame(trend.attrs.get("included") or [], frames.INCLUDED_COLUMNS)
