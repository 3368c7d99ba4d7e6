"""HTTP for the client: conditional GETs from a small cache, cursor pagination, bounded retries of
429/503 that honour ``Retry-After``, ``Idempotency-Key`` on every POST, and problem+json answers
turned into typed exceptions (:mod:`pollapp.client.errors`).

Why each piece:

* pollapp answers every successful GET with an ETag and a 304 to a matching ``If-None-Match``, and
  its computed GETs (trends, house effects) answer that 304 before fitting any model: a notebook
  re-run that asks again costs the server one aggregate query, and the client reuses the body it
  kept (keyed by the full URL, query string included; least recently used entries are dropped).
* Rate limits answer 429 with ``Retry-After`` and an outage of the database 503 with one: waiting
  that long and retrying is what the server asks for. Retries are bounded (``max_retries``) and a
  wait longer than ``max_retry_wait`` is not slept through: the error is raised at once instead.
* A POST is only safe to retry if the server can tell the retry from a new request: every POST gets
  a fresh ``Idempotency-Key`` (a UUID) and its retries send the same one, so a retried create
  returns the original poll instead of a duplicate.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import requests

from pollapp.client.errors import error_for

RETRY_STATUSES = frozenset({429, 503})
JSON_TYPES = ("application/json", "application/problem+json")


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP-date (RFC 9110 10.2.3); None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())


class Transport:
    """One HTTP session to one pollapp server (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        user_agent: str,
        timeout: float = 60.0,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        cache_size: int = 256,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.cache_size = cache_size
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept"] = "application/json"
        if api_key:
            self.session.headers["Authorization"] = f"Bearer {api_key}"
        self._sleep = sleep
        self._cache: OrderedDict[str, tuple[str, Any]] = OrderedDict()
        #: Counters for the curious (and the tests): requests sent, retries slept, bodies reused on a 304.
        self.stats = {"requests": 0, "retries": 0, "not_modified": 0}

    # ------------------------------------------------------------ requests

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send, retrying 429/503 (and refused connections) within the bounds; raise the typed error
        of any other 4xx/5xx. A POST carries an ``Idempotency-Key`` (the same on each retry)."""
        headers = dict(kwargs.pop("headers", None) or {})
        if method.upper() == "POST":
            headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
        url = self.url(path)
        attempt = 0
        while True:
            try:
                self.stats["requests"] += 1
                response = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
            except requests.ConnectionError:
                wait = self._backoff(attempt)
                if attempt >= self.max_retries or wait > self.max_retry_wait:
                    raise
                self._pause(wait)
                attempt += 1
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.max_retries:
                # never sooner than the server asks, nor than a short backoff: Retry-After is whole
                # seconds rounded down, so "0" can come while the window still has a moment to run
                wait = max(retry_after_seconds(response.headers.get("Retry-After")) or 0.0, self._backoff(attempt))
                if wait <= self.max_retry_wait:
                    response.close()
                    self._pause(wait)
                    attempt += 1
                    continue
            if response.status_code >= 400:
                raise error_for(response.status_code, _problem(response), response.headers, url)
            return response

    def get_json(self, path: str, params: Any = None) -> Any:
        """GET a JSON body, conditionally: a cached body is sent back as ``If-None-Match`` and reused on 304."""
        url = requests.Request("GET", self.url(path), params=params).prepare().url
        cached = self._cache.get(url)
        headers = {"If-None-Match": cached[0]} if cached else {}
        response = self.request("GET", url, headers=headers)
        if response.status_code == 304 and cached:
            self.stats["not_modified"] += 1
            self._cache.move_to_end(url)
            return cached[1]
        body = response.json()
        etag = response.headers.get("ETag")
        if etag and self.cache_size > 0:
            self._cache[url] = (etag, body)
            self._cache.move_to_end(url)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return body

    def get_pages(self, path: str, params: dict[str, Any]) -> tuple[list[Any], int | None]:
        """Every item of a cursor-paginated collection (``{items, next_cursor, total}``), page after
        page; each page is a conditional GET of its own."""
        params = dict(params)
        items: list[Any] = []
        while True:
            page = self.get_json(path, params)
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items, page.get("total")
            params["cursor"] = cursor

    def clear_cache(self) -> None:
        self._cache.clear()

    # ------------------------------------------------------------ helpers

    def _backoff(self, attempt: int) -> float:
        return min(0.5 * 2**attempt, self.max_retry_wait)

    def _pause(self, seconds: float) -> None:
        self.stats["retries"] += 1
        self._sleep(seconds)


def _problem(response: requests.Response) -> dict[str, Any]:
    """The problem details of an error answer (a minimal one if the body is not JSON, e.g. from a proxy)."""
    if response.headers.get("Content-Type", "").split(";")[0].strip() in JSON_TYPES:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            return body
    return {"status": response.status_code, "title": response.reason or "", "detail": response.text[:500] or None}
