"""How completely a poll discloses its methodology, against AAPOR's items for immediate disclosure.

Source: AAPOR Code of Professional Ethics and Practices (2021), section III.A, items 1-12 (the same
list as the AAPOR Transparency Initiative checklist). The score is the share of the 12 items present,
0-100; ``missing`` names the absent ones so an editor knows what to ask the pollster for.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pollapp.models import DatePrecision, Poll


@dataclass(frozen=True)
class DisclosureItem:
    code: str
    label: str
    present: Callable[[Poll], bool]


def _has(value: Any) -> bool:
    return value is not None and value != "" and value != []


ITEMS: tuple[DisclosureItem, ...] = (
    DisclosureItem(
        "data_collection",
        "Data collection strategy",
        lambda p: _has(p.data_collection) or _has(p.modes),
    ),
    DisclosureItem(
        "sponsor",
        "Who sponsored and who conducted the poll",
        lambda p: _has(p.sponsors) or p.self_sponsored,
    ),
    DisclosureItem(
        "question_wording",
        "Exact question wording and response options",
        lambda p: bool(p.questions) and all(q.wording_exact and q.answers for q in p.questions),
    ),
    DisclosureItem(
        "population",
        "Population and geographic coverage",
        lambda p: _has(p.population_description) and _has(p.country),
    ),
    DisclosureItem("sampling_frame", "Sampling frame and its coverage", lambda p: _has(p.sampling_frame)),
    DisclosureItem(
        "sample_design",
        "Sample design and recruitment (probability or not)",
        lambda p: _has(p.sample_type) and _has(p.recruitment),
    ),
    DisclosureItem("mode", "Mode(s) and languages", lambda p: _has(p.modes) and _has(p.languages)),
    DisclosureItem(
        "field_dates",
        "Exact dates of data collection",
        lambda p: p.field_dates_precision == DatePrecision.DAY,
    ),
    DisclosureItem(
        "sample_size_precision",
        "Sample size and precision (margin of error or design effect)",
        lambda p: _has(p.sample_size) and (_has(p.margin_of_error) or _has(p.design_effect)),
    ),
    DisclosureItem(
        "weighting",
        "Weighting, or a statement that there was none",
        lambda p: p.weighted is False or (p.weighted is True and _has(p.weighting_variables)),
    ),
    DisclosureItem("quality_procedures", "Data processing and quality procedures", lambda p: _has(p.quality_procedures)),
    DisclosureItem("limitations", "Limitations of the design", lambda p: _has(p.limitations)),
)


def assess(poll: Poll) -> dict[str, Any]:
    """``{"score": 0-100, "missing": [labels], "items": [{code, label, present}]}``."""
    return _assessment(presence(poll))


def presence(poll: Any) -> tuple[bool, ...]:
    """Which of :data:`ITEMS` ``poll`` discloses (anything with a poll's attributes will do)."""
    return tuple(bool(item.present(poll)) for item in ITEMS)


@functools.lru_cache(maxsize=None)  # at most 2**12 outcomes
def shared_assessment(present: tuple[bool, ...]) -> dict[str, Any]:
    """The assessment of a :func:`presence` tuple, one shared object per outcome: bulk outputs
    (a page of 500 polls) encode it without rebuilding it per poll. Read-only: do not mutate."""
    return _assessment(present)


def _assessment(present: tuple[bool, ...]) -> dict[str, Any]:
    items = [{"code": item.code, "label": item.label, "present": here} for item, here in zip(ITEMS, present, strict=True)]
    return {
        "score": round(100 * sum(present) / len(ITEMS)),
        "missing": [item["label"] for item in items if not item["present"]],
        "items": items,
    }
