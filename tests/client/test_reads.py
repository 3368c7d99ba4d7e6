"""The client's read methods on a live server with the real seed data: each returns the documented,
typed DataFrame; pagination is followed; a repeated GET is a conditional one answered 304 from
which the kept body is reused; errors arrive as typed exceptions with their problem details."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd
import pytest

from pollapp import __version__
from pollapp.client import Client, InvalidInput, NotFound, PollappError, included_polls

DATA = Path(__file__).resolve().parents[2] / "data"
CONCESSIONS = "ukraine-territorial-concessions"
PUTIN = "russia-putin-approval"


@pytest.fixture(scope="module")
def api(seeded) -> Client:
    return Client(seeded.url)


def test_series_lists_every_seeded_series_with_typed_columns(api):
    series = api.series()

    seeded_slugs = {s["slug"] for s in json.loads((DATA / "series.json").read_text())}
    assert set(series.slug) == seeded_slugs and series.attrs["total"] == len(seeded_slugs)
    assert list(series.slug) == sorted(series.slug)
    assert series.dtypes["first_field_end_date"] == "datetime64[ns]"
    assert series.dtypes["poll_count"] == "int64"
    assert str(series.dtypes["created_at"]) == "datetime64[ns, UTC]"
    row = series.set_index("slug").loc[CONCESSIONS]
    assert row.outcomes == ["ready", "against", "undecided"] and row.pollsters == ["kiis"]
    assert row.poll_count == 11 and row.first_field_end_date == pd.Timestamp("2022-07-27")


def test_polls_follow_cursor_pagination_across_pages(seeded):
    small = Client(seeded.url, page_size=3)
    before = len(seeded.seen)

    polls = small.polls(series=CONCESSIONS)

    pages = [r for r in seeded.seen[before:] if r["path"] == "/api/v1/polls"]
    assert len(pages) == 4  # 11 polls, 3 a page
    assert [parse_qs(r["query"])["limit"] for r in pages] == [["3"]] * 4
    assert "cursor" not in parse_qs(pages[0]["query"]) and all("cursor" in parse_qs(r["query"]) for r in pages[1:])
    assert len(polls) == 11 == polls.attrs["total"] and polls.id.is_unique
    assert set(polls.pollster) == {"kiis"} and polls.field_end_date.is_monotonic_decreasing
    assert polls.dtypes["id"] == "int64" and polls.dtypes["field_end_date"] == "datetime64[ns]"
    assert str(polls.dtypes["sample_size"]) == "Int64" and polls.dtypes["margin_of_error"] == "float64"
    one_page = Client(seeded.url).polls(series=CONCESSIONS)
    pd.testing.assert_frame_equal(polls, one_page)


def test_points_are_the_published_figures(api):
    points = api.points(CONCESSIONS)

    assert set(points.outcome) <= {"ready", "against", "undecided"} and points.poll_id.nunique() == 11
    july_2022 = points[points.field_end_date == "2022-07-27"].set_index("outcome").pct
    assert july_2022["ready"] == 10.0 and july_2022["against"] == 84.0  # KIIS, July 2022
    assert points.dtypes["pct"] == "float64" and points.dtypes["publication_date"] == "datetime64[ns]"
    filtered = api.points(CONCESSIONS, outcome="ready")
    assert set(filtered.outcome) == {"ready"} and len(filtered) == 11


def test_points_as_of_an_instant_before_the_load_is_an_empty_frame_with_the_same_columns(api):
    before = api.points(CONCESSIONS, as_of=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))

    assert before.empty
    assert list(before.columns) == list(api.points(CONCESSIONS).columns)
    assert before.dtypes["field_end_date"] == "datetime64[ns]"


def test_trend_is_a_daily_grid_with_its_band_and_the_polls_used(api):
    trend = api.trend(CONCESSIONS, outcome="ready", step_days=1)

    assert trend.attrs["method"] == "kalman" and trend.attrs["n_polls_included"] == 11
    assert "95% interval" in trend.attrs["band"]
    assert trend.dtypes["date"] == "datetime64[ns]"
    assert (trend.date.diff().dropna() == pd.Timedelta(days=1)).all()
    assert ((trend.lower_pct <= trend.estimate_pct) & (trend.estimate_pct <= trend.upper_pct)).all()
    assert trend.estimate_pct.between(0, 100).all()
    used = included_polls(trend)
    assert len(used) == 11 and set(used.poll_id) == set(api.points(CONCESSIONS).poll_id)
    assert used.dtypes["mid_date"] == "datetime64[ns]" and used.dtypes["n_eff"] == "float64"


def test_trend_by_default_reports_fewer_dates_with_the_same_values(api):
    daily = api.trend(CONCESSIONS, outcome="ready", step_days=1).set_index("date")
    default = api.trend(CONCESSIONS, outcome="ready").set_index("date")

    step = default.attrs["parameters"]["step_days"]
    assert step > 1 and len(default) <= 501 and default.index[-1] == daily.index[-1]  # 1,046 days: over 500
    pd.testing.assert_frame_equal(default, daily.loc[default.index], check_freq=False)


def test_trend_passes_method_and_options(api):
    rolling = api.trend(CONCESSIONS, method="rolling", outcome="against", k=3)

    assert rolling.attrs["method"] == "rolling" and rolling.attrs["outcome"] == "against"
    assert rolling.attrs["parameters"]["k"] == 3


def test_house_effects_of_three_russian_pollsters(api):
    effects = api.house_effects(PUTIN, outcome="approve")

    assert set(effects.pollster) == {"fom", "levada-center", "vtsiom"}
    assert effects.estimate_pct.sum() == pytest.approx(0, abs=0.01)  # sum_to_zero, the default constraint
    assert ((effects.lower_pct < effects.estimate_pct) & (effects.estimate_pct < effects.upper_pct)).all()
    assert effects.dtypes["n_polls"] == "int64" and effects.n_polls.sum() == effects.attrs["n_polls_included"]
    assert effects.attrs["constraint"] == "sum_to_zero"


def test_intervals_of_a_kiis_poll(api):
    poll_id = int(api.polls(series=CONCESSIONS).id.iloc[0])

    intervals = api.intervals(poll_id)

    assert set(intervals.columns) >= {"question", "answer", "pct", "lower_pct", "upper_pct", "n_eff"}
    with_interval = intervals.dropna(subset=["lower_pct"])
    assert not with_interval.empty
    assert ((with_interval.lower_pct <= with_interval.pct) & (with_interval.pct <= with_interval.upper_pct)).all()
    published = api.poll(poll_id)
    first_question = published["questions"][0]
    rows = intervals[intervals.question == first_question["code"]]
    assert list(rows.pct[~rows.is_net.astype(bool)]) == [a["pct"] for a in first_question["answers"] if not a["is_net"]]
    assert intervals.attrs["poll_id"] == poll_id and intervals.attrs["method"] == "wilson"
    assert first_question["code"] in intervals.attrs["leads"]


def test_compare_two_kiis_polls(api):
    polls = api.polls(series=CONCESSIONS, sort="field_end_date")
    known_n = polls[polls.sample_size.notna()]  # a change can be tested only with known sample sizes
    first, last = int(known_n.id.iloc[0]), int(known_n.id.iloc[-1])

    change = api.compare(first, last, series=CONCESSIONS, outcome="ready")

    assert len(change) == 1
    row = change.iloc[0]
    assert row.a_poll_id == first and row.b_poll_id == last
    assert row.diff_pct == pytest.approx(row.b_pct - row.a_pct, abs=1e-6)
    assert row.lower_pct < row.diff_pct < row.upper_pct
    assert change.dtypes["a_field_end_date"] == "datetime64[ns]" and change.dtypes["significant"] == "boolean"


def test_a_repeated_read_is_conditional_and_reuses_the_kept_body(seeded):
    api = Client(seeded.url)
    first = api.trend(CONCESSIONS, method="rolling", outcome="against")
    before = len(seeded.seen)

    again = api.trend(CONCESSIONS, method="rolling", outcome="against")

    (request,) = seeded.requests_to(f"/api/v1/series/{CONCESSIONS}/trend")[-1:]
    assert seeded.seen[before:] == [request]
    assert request["if_none_match"] and request["if_none_match"].startswith('W/"')
    assert request["status"] == 304
    pd.testing.assert_frame_equal(first, again)
    assert again.attrs == first.attrs
    # lists too (every page is a GET of its own)
    api.series()
    api.series()
    assert [r["status"] for r in seeded.requests_to("/api/v1/series")[-2:]] == [200, 304]
    assert api.http.stats["not_modified"] == 2


def test_requests_name_the_client_and_its_version(seeded, api):
    api.series()

    assert seeded.seen[-1]["user_agent"].startswith(f"pollapp-client/{__version__} ")


def test_unknown_series_raises_not_found_with_the_problem_details(api):
    with pytest.raises(NotFound) as caught:
        api.points("no-such-series")

    error = caught.value
    assert error.status == 404 and error.title.lower() == "not found" and "no-such-series" in error.detail
    assert error.type == "about:blank" and str(error).startswith("404 Not found: No series")


def test_an_unknown_option_is_refused_not_ignored(api):
    with pytest.raises(InvalidInput) as caught:
        api.polls(pollser="kiis")

    assert caught.value.status == 422
    assert [e["parameter"] for e in caught.value.errors] == ["pollser"]
    assert "pollser" in str(caught.value)


def test_a_forged_cursor_is_a_bad_request(api):
    with pytest.raises(InvalidInput) as caught:
        api.polls(cursor="not-a-cursor")

    assert caught.value.status == 400 and caught.value.errors[0]["parameter"] == "cursor"


def test_an_invalid_value_and_too_little_data_are_invalid_input(api):
    with pytest.raises(InvalidInput) as bad_level:
        api.trend(CONCESSIONS, outcome="ready", level=1.5)
    with pytest.raises(InvalidInput) as one_pollster:
        api.house_effects(CONCESSIONS, outcome="ready")  # KIIS alone: nothing to compare

    assert bad_level.value.status == 422 and bad_level.value.errors[0]["parameter"] == "level"
    assert one_pollster.value.status == 422 and one_pollster.value.title == "Not enough data"
    assert one_pollster.value.type.startswith("urn:pollapp:problem:")
    assert isinstance(one_pollster.value, PollappError)
