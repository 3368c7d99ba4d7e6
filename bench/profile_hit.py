"""CPU per cached hit, in process: pollapp's WSGI app against ``ceiling_app.py`` serving the same bytes.

Why: under ``wrk`` on a shared 2-core machine the req/s of a cached read drift by tens of percent from
run to run; the CPU a hit costs inside the app (``time.process_time`` over N WSGI calls, no sockets,
no gunicorn) is stable, and the ceiling measured the same way in the same run gives the share of it
that pollapp's own code takes. ``--profile`` prints a cProfile of the app's hits (cumulative time).

    DATABASE_URL=sqlite:////tmp/pollapp-bench-http-medium.db .venv/bin/python bench/profile_hit.py
    DATABASE_URL=postgresql+psycopg://...  .venv/bin/python bench/profile_hit.py --case points --profile

The rate limiter is on with its limits raised (as in ``bench_http.py``), so it counts every hit.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from werkzeug.test import EnvironBuilder  # noqa: E402

from bench_http import CACHED, LIMITS  # noqa: E402


def _call(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(app(dict(environ), lambda s, h, exc_info=None: status.append(s)))
    return status[0], body


def cpu_per_request(app: Any, environ: dict[str, Any], n: int, batch: int = 100) -> tuple[float, float, float]:
    """Process CPU (ms) per call of ``environ``: the mean over ``n`` calls, and the least mean of a
    batch of ``batch`` calls (the steadier figure when other processes share the cores; the mean also
    counts the work of other threads, such as a storage's timer); and the mean wall time (ms), which
    also counts waiting for the database (round trips on PostgreSQL)."""
    clock = time.process_time
    batches = []
    wall = time.perf_counter()
    for _ in range(max(1, n // batch)):
        start = clock()
        for _ in range(batch):
            _call(app, environ)
        batches.append((clock() - start) * 1000 / batch)
    wall_ms = (time.perf_counter() - wall) * 1000 / (max(1, n // batch) * batch)
    return statistics.fmean(batches), min(batches), wall_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=sorted(CACHED), help="cases (default: all cached)")
    parser.add_argument("-n", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the app's hits")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    os.environ.update(LIMITS)
    from pollapp import create_app

    app = create_app()
    cases = args.case or ["points", "trend", "embed"]
    environs = {name: EnvironBuilder(path=CACHED[name], environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()
                for name in cases}
    bodies: dict[str, tuple[bytes, str]] = {}
    for name, environ in environs.items():
        for _ in range(3):  # compute, then hits
            status, body = _call(app, environ)
        if not status.startswith("200"):
            raise SystemExit(f"{CACHED[name]}: {status} {body[:300]!r}")
        bodies[name] = (body, "application/octet-stream")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (body, content_type) in bodies.items():
            (Path(tmp) / f"{name}.body").write_bytes(body)
            (Path(tmp) / f"{name}.type").write_text(content_type)
        os.environ["CEILING_DIR"] = tmp
        import ceiling_app

    print(f"{os.environ.get('DATABASE_URL', 'default database').split('@')[-1]}, n={args.n}")
    for name, environ in environs.items():
        ceiling_env = EnvironBuilder(path=f"/c/{name}", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()
        _call(ceiling_app.app, ceiling_env)
        app_ms = cpu_per_request(app, environ, args.n)
        ceiling_ms = cpu_per_request(ceiling_app.app, ceiling_env, args.n)
        print(f"  {name:7s} {len(bodies[name][0]):>10,} bytes  CPU ms per hit, mean/least batch: "
              f"app {app_ms[0]:.3f}/{app_ms[1]:.3f}  ceiling {ceiling_ms[0]:.3f}/{ceiling_ms[1]:.3f};  "
              f"wall ms: app {app_ms[2]:.3f} ceiling {ceiling_ms[2]:.3f}", flush=True)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.n):
                _call(app, environ)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
