"""Benchmark: trend requests against the bare statistics computation on the same arrays.

For synthetic series of 1,000 and 20,000 polls (see ``synthetic.py``) in a migrated SQLite file:
- baseline: ``pollapp.stats.trend.kalman_trend`` with the default trend request's method and settings
  on a DataFrame built from the same polls (the bench checks that it draws the same line as the
  response), warmed on 50 polls first, median of ``REPEAT`` runs interleaved with the uncached requests';
- uncached request: ``GET /api/v1/series/<slug>/trend`` (data version, load, fit, smooth, encode), server
  side via Flask's test client, in a process where statsmodels is already imported, the app warmed by
  an unrelated request; the first one, then ``REPEAT`` more with the result caches emptied before each
  (what a reader meets after the data changed: nothing cached for the new data version in any process;
  the data version itself was stored by the writing transaction, pollapp.services.data_version_store,
  with the statistics' rows packed, so the request neither hashes nor selects the series' rows), median;
- cached repeat (same data version) and a 304 revalidation;
- the cost moved to writes: a one-poll write of the series, committed (its commit hashes the series to
  store the data version, and packs the statistics' rows of the same read beside it:
  pollapp.services.stats_inputs_store), and that hash and pack alone.
Every timed call starts after a full garbage collection, so that neither side pays for the garbage
the other (or the set-up) left. The ratio is the median uncached request over the median baseline;
the first request's ratio is shown too.
Writes ``bench/results/trend.md`` and ``trend.json`` with the machine line.
Run: ``make bench`` (or ``.venv/bin/python bench/bench_trend.py [N ...]``).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pandas as pd  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from pollapp import create_app  # noqa: E402
from pollapp.extensions import db  # noqa: E402
from synthetic import SERIES_SLUG, fill_database, synthetic_polls  # noqa: E402


REPEAT = int(os.environ.get("BENCH_TREND_REPEAT", "5"))
#: ``BENCH_CLOCK=cpu`` times with this process's CPU time instead of the wall clock: steadier on a
#: shared machine (the app and the baseline run in this one process; SQLite works in it too).
CLOCK = time.process_time if os.environ.get("BENCH_CLOCK") == "cpu" else time.perf_counter


def timed(fn, repeat: int = 1, before=None) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        if before is not None:
            before()
        gc.collect()
        start = CLOCK()
        result = fn()
        times.append(CLOCK() - start)
    return statistics.median(times), result


def bench(n_polls: int) -> dict:
    from pollapp.stats.trend import TrendOptions, kalman_trend
    from pollapp.web.response_cache import EXTENSION as RESPONSE_CACHE

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db"})
        with app.app_context():
            upgrade(directory=str(HERE.parent / "migrations"))
            fill_database(db.session, n_polls)
        frame = pd.DataFrame(
            [
                {"poll_id": i, "pollster": f"p{s['pollster']}", "start_date": s["start"], "end_date": s["end"],
                 "p": s["yes"] / 100, "n_eff": s["n"]}
                for i, s in enumerate(synthetic_polls(n_polls))
            ]
        )  # fmt: skip
        kalman_trend(frame.head(50), TrendOptions())  # import statsmodels outside the timings
        _, fitted = timed(lambda: kalman_trend(frame, TrendOptions()))  # the line the response must draw
        client = app.test_client()
        client.get("/api/v1/series")  # warm the app (first-request machinery, code version), not the trend
        url = f"/api/v1/series/{SERIES_SLUG}/trend?outcome=yes"
        first, response = timed(lambda: client.get(url))
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert response.headers.get("X-Cache") == "miss"
        body = response.get_json()
        # Like with like: the same method, settings and polls draw the same line.
        assert body["method"] == "kalman" and body["settings"]["house_method"] == fitted.settings["house_method"]
        # The default response reports the grid every ``step_days`` days (statistics still daily): the
        # served rows must be the baseline's rows at those dates.
        daily = {d.date().isoformat(): round(v * 100, 4)
                 for d, v in zip(pd.to_datetime(fitted.grid["date"]), fitted.grid["estimate"].tolist())}
        served = {row["date"]: row["estimate_pct"] for row in body["grid"]}
        assert served and all(daily.get(d) == v for d, v in served.items()), "not the same line"

        def forget() -> None:  # what a data change does: no cached version, result or response
            app.extensions.pop("pollapp.stats_cache", None)
            app.extensions.pop(RESPONSE_CACHE, None)

        # Interleaved (bare, request, bare, request...): a drift of the machine's speed during the run
        # (a shared VM) then weighs on both sides alike instead of on whichever ran second.
        bare_times, request_times = [], []
        for _ in range(REPEAT):
            bare_times.append(timed(lambda: kalman_trend(frame, TrendOptions()))[0])
            elapsed, again = timed(lambda: client.get(url), before=forget)
            request_times.append(elapsed)
        baseline, uncached = statistics.median(bare_times), statistics.median(request_times)
        assert again.headers.get("X-Cache") == "miss" and again.get_json()["grid"] == body["grid"]
        cached, again = timed(lambda: client.get(url), repeat=20)
        assert again.headers.get("X-Cache") == "hit"
        etag = again.headers["ETag"]
        revalidate, not_modified = timed(lambda: client.get(url, headers={"If-None-Match": etag}), repeat=20)
        assert not_modified.status_code == 304
        write, hashing = write_costs(app, client)
        return {
            "polls": n_polls,
            "repeat": REPEAT,
            "bare_kalman_s": round(baseline, 3),
            "first_request_s": round(first, 3),
            "first_ratio": round(first / baseline, 2),
            "uncached_request_s": round(uncached, 3),
            "overhead_ratio": round(uncached / baseline, 2),
            "cached_request_ms": round(cached * 1000, 1),
            "revalidation_304_ms": round(revalidate * 1000, 1),
            "body_bytes": len(response.get_data()),
            "one_poll_write_s": round(write, 3),
            "write_hash_s": round(hashing, 3),
        }


def write_costs(app, client) -> tuple[float, float]:
    """What the uncached request no longer pays moved to writes: a one-poll write of the series (an
    answer changed, committed; the commit hashes the series to store its data version), median of
    REPEAT, and the hash with the packing of the statistics' rows alone. A request after that write finds
    the stored version and rows."""
    from sqlalchemy import select

    from pollapp.models import Answer, Poll, Question, Series, utcnow
    from pollapp.services import data_version

    with app.app_context():
        series_id = db.session.scalar(select(Series.id).where(Series.slug == SERIES_SLUG))
        hashing, _ = timed(lambda: data_version.hash_and_pack_series(db.session, series_id), repeat=REPEAT)
        db.session.rollback()
        step = iter(range(1, 1000))

        def write() -> None:
            answer = db.session.scalars(select(Answer).join(Question).where(Answer.code == "yes").limit(1)).one()
            answer.pct = float(answer.pct) + 0.1 * next(step)
            db.session.get(Poll, answer.question.poll_id).updated_at = utcnow()
            db.session.commit()

        write_s, _ = timed(write, repeat=REPEAT)
    url = f"/api/v1/series/{SERIES_SLUG}/trend?outcome=yes"
    after = client.get(url)  # the first request after the write: a fresh fit on the stored version
    assert after.status_code == 200 and after.headers.get("X-Cache") == "miss"
    return write_s, hashing


def main(sizes: list[int]) -> None:
    machine = f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    rows = [bench(n) for n in sizes]
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "trend.json").write_text(json.dumps({"machine": machine, "results": rows}, indent=2) + "\n")
    lines = [
        "# Trend benchmark (synthetic series, SQLite, kalman)",
        "",
        f"Machine: {machine}",
        "",
        f"Clock: {'CPU time of the process' if CLOCK is time.process_time else 'wall'}. Medians of {REPEAT} runs; ratio = uncached request / bare kalman_trend (target <= 1.3).",
        "",
        "| polls | bare kalman_trend (s) | uncached request (s) | ratio | first request (s) | first ratio "
        "| cached repeat (ms) | 304 (ms) | one-poll write (s) | of which: hash and pack of the series (s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {r['polls']:,} | {r['bare_kalman_s']} | {r['uncached_request_s']} | {r['overhead_ratio']} "
            f"| {r['first_request_s']} | {r['first_ratio']} | {r['cached_request_ms']} | {r['revalidation_304_ms']} "
            f"| {r['one_poll_write_s']} | {r['write_hash_s']} |"
            for r in rows
        ),
    ]
    (out / "trend.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 20000])
