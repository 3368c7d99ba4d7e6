"""The data version's digest is a contract (cited in datapackage.json, served as Pollapp-Data-Version):
hashing each point row with one orjson call (issue 7) must give the digests of the former per-value
formula, for every kind of value a point row holds. SYNTHETIC rows."""

from __future__ import annotations

import datetime as dt
import hashlib

import orjson

from pollapp import repository
from pollapp.models import DatePrecision, Population, SampleType
from pollapp.services.data_version import version_of


def former_version_of(points) -> str:
    """The digest as computed before issue 7: each value converted (enum members to their values)."""
    digest = hashlib.sha256()
    for point in points:
        digest.update(orjson.dumps([getattr(point[c], "value", point[c]) for c in repository.POINT_COLUMNS]))
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def point(**values) -> dict:
    row = {
        "poll_id": 7, "question_id": 12, "outcome": "yes", "pct": 45.0, "pollster": "synthetic-kiis",
        "pollster_name": "Синтетичний КМІС «тест»", "field_start_date": dt.date(2024, 12, 2),
        "field_end_date": dt.date(2024, 12, 17), "field_dates_precision": DatePrecision.DAY,
        "publication_date": None, "country": "UA", "population": Population.ADULTS, "sample_size": 985,
        "sample_type": SampleType.PROBABILITY, "modes": ["phone_live", "online"], "design_effect": 1.1,
        "margin_of_error": None, "partisan": False, "tracking": True, "source_url": "https://example.org/p",
        "outcome_position": 1,
    }
    row.update(values)
    return row


def test_the_digest_is_the_former_formulas():
    rows = [
        point(),
        point(poll_id=8, pct=0.30000000000000004, population="registered_voters", sample_type=None, sample_size=None,
              field_dates_precision="month", publication_date=dt.date(2025, 1, 1), modes=[], source_url=None),
        point(poll_id=9, pct=100.0, design_effect=None, pollster_name="tab\tquote\" back\\slash 😀"),
    ]
    assert version_of(rows) == former_version_of(rows)
    assert version_of(rows[:2]) == former_version_of(rows[:2]) != version_of(rows)
    assert version_of([]) == former_version_of([])
