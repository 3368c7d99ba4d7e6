"""``pollapp.client`` is installable on its own with only requests and pandas (issue 8): the
distribution's unconditional requirements are exactly those two (the server's are the ``server``
extra), and the client imports and works in a Python where the server's libraries cannot be imported."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap

from packaging.requirements import Requirement

SERVER_MODULES = ("flask", "flask_smorest", "flask_sqlalchemy", "flask_migrate", "limits", "flask_cors",
                  "werkzeug", "sqlalchemy", "alembic", "marshmallow", "webargs", "apispec", "statsmodels", "scipy",
                  "psycopg", "gunicorn", "orjson", "redis", "vl_convert", "openpyxl", "pyarrow")


def test_the_distribution_needs_only_requests_and_pandas_unless_an_extra_is_asked_for():
    requirements = [Requirement(r) for r in importlib.metadata.requires("pollapp") or []]

    unconditional = {r.name for r in requirements if r.marker is None}
    server = {r.name for r in requirements if r.marker is not None and r.marker.evaluate({"extra": "server"})}

    assert unconditional == {"requests", "pandas"}
    assert {"flask", "sqlalchemy", "statsmodels", "gunicorn"} <= server


def test_the_client_imports_and_reads_without_any_server_library(seeded):
    script = textwrap.dedent(f"""
        import sys
        for name in {SERVER_MODULES!r}:
            sys.modules[name] = None  # importing any of them now raises ImportError
        import pollapp.client
        frame = pollapp.client.Client({seeded.url!r}).series()
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {SERVER_MODULES!r} and sys.modules[m] is not None)
        print(len(frame), loaded)
    """)

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["7", "[]"]
