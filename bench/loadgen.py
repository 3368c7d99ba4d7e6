"""Load generation for the HTTP benchmarks: gunicorn servers started and always stopped, and ``wrk``
runs parsed into numbers.

Every server, app or baseline, runs with the SAME settings (:data:`GUNICORN_ARGS`: 2 sync workers,
``--preload``, one BLAS thread), so that a ratio compares the code, not the configuration. Sync
workers, not gthread: gthread sometimes puts every keep-alive connection on one worker (see
``notes/performance.md``), which halves throughput at random.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# --timeout 600: the first request of a case may compute for minutes on a loaded machine (a trend on the
# large set); the default 30 s would kill the worker. It does not change steady-state throughput.
GUNICORN_ARGS = ("--workers", "2", "--worker-class", "sync", "--preload", "--timeout", "600", "--log-level", "warning")
WRK_THREADS, WRK_CONNECTIONS = 2, 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, timeout: float = 300, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET; the body as sent (still compressed when ``headers`` asked for a coding)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=dict(headers or {}))
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@contextlib.contextmanager
def gunicorn(app: str, env: Mapping[str, str], ready_path: str = "/healthz") -> Iterator[int]:
    """A gunicorn serving ``app`` (``module:variable``, run from the repository root, with ``bench/``
    on the Python path) on a free port; yields the port once ``ready_path`` answers, and kills the whole
    process group afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", *GUNICORN_ARGS,
         "--pythonpath", str(ROOT / "bench"), app],
        cwd=ROOT, env={**os.environ, "OPENBLAS_NUM_THREADS": "1", **env}, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited with {server.returncode}")
            try:
                if get(port, ready_path, timeout=5)[0] < 500:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn {app} did not answer {ready_path}")
            time.sleep(0.3)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
_SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict[str, float | int]:
    """Requests/s, p50/p90/p99 latency (ms), requests, errors and bytes read from ``wrk --latency``."""
    out: dict[str, float | int] = {}
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M)
        if match:
            out[f"p{pct}_ms"] = round(_ms(match.group(1)), 2)
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(B|KB|MB|GB) read", output)
    if total is None:
        raise ValueError(f"unrecognised wrk output:\n{output}")
    out["requests"] = int(total.group(1))
    out["bytes_read"] = int(float(total.group(4)) * _SIZES[total.group(5)])
    out["req_per_s"] = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    out["socket_errors"] = sum(int(g) for g in sockets.groups()) if sockets else 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    out["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    return out


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: `make wrk` (apt-get install wrk)")
    return found


def wrk(port: int, path: str, seconds: float, connections: int = WRK_CONNECTIONS,
        headers: Mapping[str, str] | None = None) -> dict[str, float | int]:
    """One ``wrk -t2 -c32 -d<seconds>s --latency`` run against 127.0.0.1 (``headers`` sent with each request)."""
    extra = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    command = [wrk_binary(), f"-t{WRK_THREADS}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
               "--timeout", "60s", *extra, f"http://127.0.0.1:{port}{path}"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return parse_wrk(done.stdout)
