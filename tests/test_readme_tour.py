"""The README's five-minute tour, run as written: every ``sh`` block of the section, in order, in one
bash session (variables carry over), against a live server on 127.0.0.1 holding the real Ukraine-war
seed polls. ``curl`` fails on any HTTP error here (``--fail-with-body``), so a command that stops
working, or an endpoint that moves, fails the suite instead of rotting in the README."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_pollapp import served_in_thread
from own_database import migrated_app

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCUMENTED_BASE = "http://127.0.0.1:5000"
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def tour_blocks() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    start = text.index("## A five-minute tour")
    end = text.index("\n## ", start + 1)
    return BLOCK.findall(text[start:end])


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    source = tmp_path_factory.mktemp("seed")
    for name in ("pollsters.csv", "sponsors.csv", "series.json"):
        shutil.copy(ROOT / "data" / name, source / name)
    (source / "polls").mkdir()
    shutil.copy(ROOT / "data" / "polls" / "ukraine_war.csv", source / "polls" / "ukraine_war.csv")
    with migrated_app(tmp_path_factory.mktemp("tour"), "tour_test") as app:
        loaded = app.test_cli_runner().invoke(args=["data", "load", str(source)])
        assert loaded.exit_code == 0, loaded.output
        with served_in_thread(app) as url:
            yield url


def test_the_tour_has_the_steps_the_readme_promises():
    shell = "\n".join(code for kind, code in tour_blocks() if kind == "sh")
    for step in ("/series", "/trend", "/embed/polls/", "/intervals", "data.csv", "datapackage.json", "/oembed"):
        assert step in shell, step


def test_every_shell_command_of_the_tour_runs(served, tmp_path):
    script = "\n".join(code for kind, code in tour_blocks() if kind == "sh").replace(DOCUMENTED_BASE, served)
    prelude = 'set -euo pipefail\ncurl() { command curl --fail-with-body --show-error "$@"; }\n'
    result = subprocess.run(
        ["bash", "-c", prelude + script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path)},
    )

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout
    assert '"slug"' in out and "kalman" in out and "95% band" in out
    assert '"peace_closer"' in out  # the intervals of the KIIS poll
    assert (tmp_path / "card.svg").read_bytes().lstrip().startswith(b"<svg")
    assert (tmp_path / "chart.svg").read_bytes().lstrip().startswith(b"<svg")
    assert b'id="card-spec"' in (tmp_path / "card.html").read_bytes()  # the embeddable card page
    assert (tmp_path / "concessions.csv").read_text().startswith("poll_id,question_id,outcome,pct")
    assert '"data-dictionary"' in (tmp_path / "datapackage.json").read_text()
    assert "<iframe" in out  # the oEmbed snippet



def test_every_python_block_of_the_tour_runs(served, tmp_path):
    blocks = [code for kind, code in tour_blocks() if kind == "python"]
    assert blocks, "the tour shows the Python client"
    for code in blocks:
        result = subprocess.run(
            [sys.executable, "-c", code.replace(DOCUMENTED_BASE, served)], cwd=tmp_path,
            capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert "ukraine-territorial-concessions" in result.stdout and "estimate_pct" in result.stdout
