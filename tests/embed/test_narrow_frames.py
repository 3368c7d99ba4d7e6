"""Charts in narrow frames (issue 5: embeds work in newsroom iframes, phones included; found by the
release check of issue 9 at 360 px): the spec served for a narrow width draws nothing past that width.

vl-convert lays the spec out exactly as it would for ``width`` (the same plot width, so the same legend
columns and label limits), but with a blank band added to the right padding: anything that would
overflow a ``width``-wide frame is drawn in that band instead of being clipped, and the test sees it.
"""

from __future__ import annotations

import copy
import io

import pytest
import vl_convert
from PIL import Image, ImageChops

from embed_support import SERIES, svg_text

BAND = 300  # px of blank right padding the probe adds


def drawn_right_edge(spec: dict, width: int) -> int:
    """The right-most pixel column the spec paints when laid out for a ``width``-pixel frame."""
    probe = copy.deepcopy(spec)
    probe["width"] = width + BAND
    probe["padding"] = {**probe["padding"], "right": probe["padding"]["right"] + BAND}
    image = Image.open(io.BytesIO(vl_convert.vegalite_to_png(probe))).convert("RGB")
    background = image.getpixel((image.width - 1, image.height - 1))
    band = image.crop((width, 0, image.width, image.height))
    painted = ImageChops.difference(band, Image.new("RGB", band.size, background)).getbbox()
    return width + (painted[2] if painted else 0)


def test_the_probe_sees_an_overflow(real_client):
    """The probe itself: a legend with its labels forced to stay long overflows a 320 px frame."""
    spec = real_client.get(f"/api/v1/series/{SERIES}/chart.vl.json?width=320").get_json()
    spec["config"]["legend"].update(columns=4, labelLimit=400)
    assert drawn_right_edge(spec, 320) > 400


@pytest.mark.parametrize("width", [320, 360])
@pytest.mark.parametrize("query", ["", "?lang=uk&theme=dark"])
def test_series_spec_fits_a_narrow_frame(real_client, width, query):
    sep = "&" if query else "?"
    spec = real_client.get(f"/api/v1/series/{SERIES}/chart.vl.json{query}{sep}width={width}").get_json()
    assert drawn_right_edge(spec, width) <= width


def test_a_long_pollster_name_is_cut_to_a_phone_frame_but_whole_in_a_wide_one(real_client):
    long_name = "Russian Public Opinion Research Center (VTsIOM)"
    spec = real_client.get(f"/api/v1/series/{SERIES}/chart.vl.json?width=360").get_json()
    spec["datasets"]["pollster_names"] = [{**p, "name": long_name} for p in spec["datasets"]["pollster_names"]]
    assert drawn_right_edge(spec, 360) <= 360
    assert long_name in vl_convert.vegalite_to_svg({**spec, "width": 800})


def test_poll_card_fits_a_narrow_frame_with_its_question_whole(real_client, peace_poll_id):
    """The card's title is the question's wording (113 characters): on a phone it is broken into lines
    at spaces instead of being cut with an ellipsis."""
    url = f"/api/v1/polls/{peace_poll_id}/card.vl.json?question=trump_peace_closer&answer=peace_closer"
    spec = real_client.get(f"{url}&width=320&lang=uk").get_json()
    assert drawn_right_edge(spec, 320) <= 320
    _, text = svg_text(vl_convert.vegalite_to_svg(spec).encode())
    wording = spec["params"][0]["value"]
    assert len(wording) > 100 and wording in text  # the lines, joined by spaces, are the whole question
    assert "…" not in text.split("\n")[0]


def test_static_images_keep_their_requested_width(real_client):
    svg = real_client.get(f"/charts/series/{SERIES}.svg?width=360").data.decode()
    assert 'width="360"' in svg.split(">", 1)[0]
    legend_labels = "Ready for some territorial concessions"
    assert legend_labels in svg  # the legend label is whole at 360 px: its column is the plot's width
