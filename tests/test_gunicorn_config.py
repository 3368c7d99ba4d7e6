"""gunicorn as ``make run`` starts it trusts no forwarded header by itself: ``POLLAPP_PROXY_COUNT``
alone decides whether ``X-Forwarded-Proto: https`` makes a request HTTPS. gunicorn's default
``forwarded_allow_ips`` (127.0.0.1) would otherwise set the scheme before pollapp sees the request,
and a plain-HTTP request from the same host would get ``Strict-Transport-Security``
(``gunicorn.conf.py``).

The Makefile's own command line is loaded the way gunicorn loads it (arguments, then the config
file) and a request from 127.0.0.1 is parsed by gunicorn's own parser, in process: starting a real
gunicorn costs the app's import (several seconds) per database pass for the same answer. (By hand:
``curl -sI -H 'X-Forwarded-Proto: https' http://127.0.0.1:5000/healthz`` under ``make run`` shows no
``Strict-Transport-Security``.)"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

from gunicorn.app.wsgiapp import WSGIApplication
from gunicorn.http.message import Request
from gunicorn.http.unreader import IterUnreader

ROOT = Path(__file__).resolve().parents[1]


def make_run_argv() -> list[str]:
    """The gunicorn command line of the Makefile's ``run`` target, its variables filled in."""
    line = re.search(r"^\texec (\$\(BIN\)/gunicorn .*)$", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1)
    values = {"BIN": str(Path(sys.executable).parent), "HOST": "127.0.0.1", "PORT": "5000", "WORKERS": "2"}
    return shlex.split(re.sub(r"\$\((\w+)\)", lambda m: values[m.group(1)], line))


def scheme_of_a_local_request(cfg, headers: str) -> str:
    raw = f"HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1:5000\r\n{headers}\r\n".encode()
    return Request(cfg, IterUnreader([raw]), ("127.0.0.1", 40000)).scheme


def test_make_run_gunicorn_leaves_forwarded_headers_to_pollapp(monkeypatch):
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "argv", make_run_argv())
    cfg = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg  # loads arguments and the config file

    assert cfg.forwarded_allow_ips == [] and cfg.secure_scheme_headers == {}
    assert scheme_of_a_local_request(cfg, "X-Forwarded-Proto: https\r\n") == "http"
    assert scheme_of_a_local_request(cfg, "X-Forwarded-Ssl: on\r\n") == "http"


def test_without_the_config_gunicorn_would_trust_a_local_proxy(monkeypatch):
    """What the config file prevents (so the test above cannot pass for the wrong reason)."""
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "argv", [a for a in make_run_argv() if a not in ("--config", "gunicorn.conf.py")]
                        + ["--config", "/dev/null"])
    cfg = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg

    assert scheme_of_a_local_request(cfg, "X-Forwarded-Proto: https\r\n") == "https"


def test_the_readme_production_command_uses_the_same_settings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^.*gunicorn wsgi:app .*$", readme, re.MULTILINE)
    assert commands and all("--config gunicorn.conf.py" in c for c in commands)
