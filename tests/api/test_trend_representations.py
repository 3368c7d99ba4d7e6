"""Every representation of a trend (``step_days``, ``polls``) and the adjusted points must be the very
bytes the records path gave before issue 7 kept the full result column-wise: the reference here is that
path (included polls joined and turned into dicts, the full payload, then thinned and cut as dicts),
fed with the fit and the loaded polls of the request itself. A SYNTHETIC series made through the API:
15 polls, one with no sample size (filled in), one with a margin of error and a design effect, and four
with two questions for the same population (excluded as duplicates); the bounds are lowered so that
every cut happens (grid thinned, both poll lists cut)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest

import pollapp.stats.house_effects as stats_house
import pollapp.stats.trend as stats_trend
from pollapp.services import stats_series, trend_size
from pollapp.services.stats_inputs import frame_records
from pollapp.services.stats_series_records import GRID_COLUMNS, INCLUDED_COLUMNS

from stats_support import SERIES, add_poll, approval_question, build_world

NOW = "2026-01-01T00:00:00+00:00"
QUERIES = ["", "&polls=all", "&polls=none", "&polls=auto", "&step_days=1", "&step_days=3", "&step_days=1&polls=all",
           "&step_days=7&polls=none", "&step_days=2&polls=all"]


@pytest.fixture
def series(app, client, auth, monkeypatch):
    monkeypatch.setattr(trend_size, "MAX_LISTED_POLLS", 3)
    monkeypatch.setattr(trend_size, "MAX_GRID_POINTS", 10)
    monkeypatch.setattr(stats_series, "_now", lambda: NOW)
    app.config["RESPONSE_CACHE"] = "off"
    build_world(client, auth, rounds=3)
    start = dt.date(2024, 2, 20)
    add_poll(client, auth, pollster="alpha", start=start, approve=41.5, sample_size=None)
    add_poll(client, auth, pollster="beta", start=start, approve=38.2, sample_size=800, design_effect=1.4,
             margin_of_error=4.1)
    for i in range(4):  # two questions each: the second is left out
        add_poll(client, auth, pollster="gamma", start=start + dt.timedelta(days=4 * i), approve=40,
                 questions=[approval_question(40 + i / 10, 50), approval_question(41, 49, code="approval_2")])


@pytest.fixture
def captured(monkeypatch) -> dict[str, Any]:
    """The loaded polls and the model results of the requests (reference inputs)."""
    seen: dict[str, Any] = {}
    for module, name in ((stats_series, "_load_polls"), (stats_trend, "fit_trend"), (stats_house, "house_effects")):
        real = getattr(module, name)

        def spy(*a: Any, _real: Any = real, _name: str = name, **k: Any) -> Any:
            seen[_name] = out = _real(*a, **k)
            return out

        monkeypatch.setattr(module, name, spy)
    return seen


def reference_poll_records(polls: Any, loaded: Any) -> list[dict[str, Any]]:
    """The included polls as the records path built them (one dict per poll, every poll)."""
    info = loaded.info
    pairs = [("question_id", "question_id"), ("field_start_date", "field_start_date"),
             ("field_end_date", "field_end_date"), ("publication_date", "publication_date"),
             ("population", "population"), ("published_pct", "pct"), ("n", "n"), ("n_source", "n_source"),
             ("design_effect_used", "design_effect_used"), ("design_effect_source", "design_effect_source")]
    if "decided" in info.columns:
        pairs.append(("decided", "decided"))
    joined = info[[source for _, source in pairs]].reindex(polls["poll_id"].to_numpy())
    frame = polls.copy()
    for column, source in pairs:
        frame[column] = joined[source].to_numpy()
    return frame_records(frame, INCLUDED_COLUMNS)


def reference_represent(full: dict[str, Any], step_days: int | None, polls: str) -> dict[str, Any]:
    """The records path's cut of the full payload (every grid day and poll, as dicts)."""
    grid = full["grid"]
    step = max(1, int(step_days)) if step_days is not None else max(1, -(-len(grid) // trend_size.MAX_GRID_POINTS))
    if step > 1 and grid:
        first = dt.date.fromisoformat(grid[0]["date"])
        grid = [*[g for g in grid[:-1] if (dt.date.fromisoformat(g["date"]) - first).days % step == 0], grid[-1]]
    included, excluded, warnings = full["included"], full["excluded"], []
    limit = trend_size.MAX_LISTED_POLLS
    if polls == "none":
        included, excluded = [], []
    elif polls == "auto":
        if len(included) > limit:
            warnings.append(f"`included` lists the latest {limit} of the {len(included):,} polls used (by field "
                            "midpoint); ask polls=all for every one, or download the series' data.")
            included = included[-limit:]
        if len(excluded) > limit:
            warnings.append(f"`excluded` lists the first {limit} of the {len(excluded):,} polls left out; ask "
                            "polls=all for every one.")
            excluded = excluded[:limit]
    return {**full, "parameters": {**full["parameters"], "step_days": step, "polls": polls},
            "warnings": [*full["warnings"], *warnings], "included": included, "excluded": excluded, "grid": grid}


def _query(query: str) -> tuple[int | None, str]:
    args = dict(part.split("=") for part in query.split("&") if part)
    return (int(args["step_days"]) if "step_days" in args else None), args.get("polls", "auto")


def test_every_trend_representation_is_the_records_paths_bytes(app, client, series, captured):
    from pollapp.api.statistics import stats_cache

    url = f"/api/v1/series/{SERIES}/trend?outcome=approve"
    full_response = client.get(url + "&step_days=1&polls=all")
    assert full_response.status_code == 200, full_response.get_json()
    result, loaded = captured["fit_trend"], captured["_load_polls"]
    full = orjson.loads(full_response.get_data())
    reference = {**full, "included": reference_poll_records(result.included, loaded),
                 "grid": frame_records(result.grid, GRID_COLUMNS)}
    assert full_response.get_data() == orjson.dumps(reference)
    assert len(reference["included"]) == 15 and len(reference["excluded"]) == 4
    assert any(p["n_source"] == "pollster median" for p in reference["included"])
    assert len(reference["grid"]) > 20

    for fresh in (False, True):  # from the cached full result, then each from a fit of its own
        for query in QUERIES:
            if fresh:
                with app.test_request_context():
                    stats_cache().clear()
            response = client.get(url + query)
            assert response.status_code == 200
            expected = orjson.dumps(reference_represent(reference, *_query(query)))
            assert response.get_data() == expected, (query, fresh)
    assert orjson.loads(client.get(url).get_data())["parameters"]["step_days"] > 1


def test_adjusted_points_are_the_records_paths_bytes(client, series, captured):
    response = client.get(f"/api/v1/series/{SERIES}/adjusted-points?outcome=approve")
    assert response.status_code == 200, response.get_json()
    body = orjson.loads(response.get_data())
    expected = {**body, "points": reference_poll_records(captured["house_effects"].adjusted, captured["_load_polls"])}
    assert len(expected["points"]) == 15
    assert response.get_data() == orjson.dumps(expected)
