"""examples/trend_with_band.py runs end to end against a live server (as against ``make run``'s)
and writes a real PNG: the signature, a decodable image of the size asked for, and a plot rather
than a blank canvas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "trend_with_band.py"


def test_the_example_plots_the_concessions_trend_with_its_band(seeded, tmp_path):
    output = tmp_path / "trend.png"

    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--base-url", seeded.url, "--output", str(output)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    assert "Ukrainians ready for territorial concessions: 11 polls" in done.stdout
    assert f"wrote {output}" in done.stdout
    data = output.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    with Image.open(output) as image:
        image.load()
        assert image.format == "PNG" and image.size == (900, 500)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colours) > 50  # a band, a line, points and text; a blank canvas has one colour
    used = [r for r in seeded.seen if r["user_agent"] and r["user_agent"].startswith("pollapp-client/")]
    assert {"/api/v1/series", "/api/v1/series/ukraine-territorial-concessions/trend"} <= {r["path"] for r in used}
