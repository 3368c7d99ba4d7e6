"""``/methodology`` and ``/docs/data``: the pages that explain the numbers and the fields."""

from __future__ import annotations

import re

from embed_support import SERIES

from pollapp.schemas import dictionary
from pollapp.services import methodology

SECTIONS = ("design-effect", "intervals", "lead", "change", "trend", "band", "house-effects", "opt-in", "limits", "references")


def test_methodology_explains_every_statistic_with_formulas_defaults_and_references(real_client):
    response = real_client.get("/methodology")
    html = response.get_data(as_text=True)

    assert response.status_code == 200 and response.mimetype == "text/html"
    assert all(f'id="{section}"' in html for section in SECTIONS)
    assert "n_eff = n / deff" in html and "√( (p₁ + p₂ − (p₁ − p₂)²) / n_eff )" in html
    assert "credibility interval" in html and "AAPOR" in html
    assert "does <strong>not</strong> cover" in html
    assert html.count("<li>") >= 10 and "Jackman, S. (2005)" in html
    defaults = methodology.defaults()
    assert f"frac={defaults['lowess']['frac']}" in html and f"fewer than\n  {defaults['min_polls']} usable polls" in html


def test_methodology_defaults_are_rendered_from_the_code(real_client, monkeypatch):
    changed = methodology.defaults()
    changed["lowess"]["frac"] = 0.45
    changed["min_polls"] = 7
    monkeypatch.setattr("pollapp.embed.views.methodology_defaults", lambda: changed)

    html = real_client.get("/methodology").get_data(as_text=True)

    assert "frac=0.45" in html and "Fewer than 7 polls" in html


def test_every_chart_and_page_links_to_the_methodology(real_client, peace_poll_id):
    pages = ["/", f"/embed/series/{SERIES}", f"/embed/polls/{peace_poll_id}", "/docs/data"]
    for path in pages:
        response = real_client.get(path)
        assert response.status_code == 200, path
        assert "/methodology" in response.get_data(as_text=True), path
    spec = real_client.get(f"/api/v1/series/{SERIES}/chart.vl.json").get_data(as_text=True)
    assert "/methodology" in spec


def test_data_dictionary_page_lists_every_field_with_unit_and_meaning(real_client):
    response = real_client.get("/docs/data")
    html = response.get_data(as_text=True)

    assert response.status_code == 200 and response.mimetype == "text/html"
    rows = re.findall(r'<tr id="([a-z_]+-[a-z_0-9]+)">', html)
    assert len(rows) == len(dictionary.entries())
    moe = html[html.index('id="poll-margin_of_error"'):]
    moe = moe[: moe.index("</tr>")]
    assert "percentage points" in moe and "Reported margin of error" in moe


def test_data_dictionary_json_is_the_same_dictionary(real_client):
    response = real_client.get("/docs/data.json")

    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == dictionary.as_json()


def test_pages_refuse_unknown_parameters(real_client):
    for path in ("/docs/data", "/docs/data.json", "/methodology"):
        response = real_client.get(path + "?lang=xx")
        assert response.status_code in (400, 422) and response.mimetype == "application/problem+json", path
