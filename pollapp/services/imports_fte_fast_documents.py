"""The polls of a proven-clean FiveThirtyEight file as the fast path needs them: one plain dict per
poll (:func:`_polls`), and the document ``polls.poll_document`` would give once it is stored
(:func:`document`), which is what a revision snapshot holds.

Both the comparison with stored polls (:mod:`.imports_fte_fast_stored`) and the writer of new polls
(:mod:`.imports_fte_fast_insert`) read polls from here :data:`CHUNK_POLLS` at a time, so memory stays
flat whatever the file's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from pollapp.services import imports_fte as fte
from pollapp.services.imports_fte_frame import REMAINDER_BELOW, FteFrame, methodology, sponsors
from pollapp.services.imports_fte_rows import ANSWERS, CREDIT, FTE_SOURCE, POPULATION_ORDER, POPULATIONS, TRUE, slugify


# Poll fields a 538 poll never sets (the per-poll path stores them as None / [] / False).
NONE_FIELDS = (
    "publication_date", "coverage_exclusions", "sample_type", "sampling_frame", "recruitment", "data_collection",
    "weighted", "design_effect", "margin_of_error", "confidence_level", "response_rate", "response_rate_formula",
    "quality_procedures", "limitations", "report_url", "topline_url", "crosstab_url",
)  # fmt: skip


CHUNK_POLLS = 5000  # new polls built and written per step: memory stays flat


def _polls(frame: FteFrame, indices: list[int]) -> Iterator[dict[str, Any]]:
    """Polls ``indices`` of the frame (one at a time: memory stays flat), with what their stored
    document (:func:`document`) and the writer need. Cells are looked up through plain lists (numpy
    scalars cost ten times more one by one)."""
    cols = frame.columns
    cell = {name: col.values for name, col in cols.items()}
    first_row = frame.first_row[np.asarray(indices, dtype=np.int64)]
    at_first = {
        name: cols[name].codes[first_row].tolist()
        for name in ("pollster", "pollster_id", "methodology", "state", "url", "source", "tracking", "politician",
                     "sponsors", "sponsor_ids", "start_date", "end_date")
    }  # fmt: skip
    if "iso" not in frame.extra:
        frame.extra["iso"] = {name: [d.isoformat() for d in frame.extra["dates"][name]] for name in ("start_date", "end_date")}
    dates = frame.extra["iso"]
    method = [methodology(v) for v in cell["methodology"]]
    slugs = [slugify(v) for v in cell["pollster"]]
    tracking = [v.lower() in TRUE for v in cell["tracking"]]
    wording = [f"Approval of {v}'s job performance" for v in cell["politician"]]
    sponsor_cache: dict[tuple[int, int], list[tuple[str, str, str | None]]] = {}
    bounds = np.r_[frame.first, len(frame.order)]
    starts, ends = bounds[indices].tolist(), bounds[np.asarray(indices, dtype=np.int64) + 1].tolist()
    sample_rows = frame.sample_row[indices].tolist()
    pop_index = frame.extra["pop_index"]
    rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)]) if indices else np.zeros(0, dtype=np.int64)
    # per sorted row of these polls, as lists indexed from 0
    file_rows = frame.order[rows]
    q_id = [cell["question_id"][c] for c in cols["question_id"].codes[file_rows].tolist()]
    q_note = [cell["notes"][c] for c in cols["notes"].codes[file_rows].tolist()]
    q_url = [cell["url"][c] for c in cols["url"].codes[file_rows].tolist()]
    q_pop = [POPULATION_ORDER[i] for i in pop_index[rows].tolist()]
    q_base = [None if v != v else int(v) for v in frame.base_n[rows].tolist()]
    q_yes, q_no = frame.yes[rows].tolist(), frame.no[rows].tolist()
    q_code = [frame.code[k] for k in rows.tolist()]
    offset = 0
    for n, p in enumerate(indices):
        poll_id = frame.poll_ids[p]
        pollster, pollster_id = cell["pollster"][at_first["pollster"][n]], cell["pollster_id"][at_first["pollster_id"][n]]
        method_cell, source = cell["methodology"][at_first["methodology"][n]], cell["source"][at_first["source"][n]]
        url = cell["url"][at_first["url"][n]]
        key = (at_first["sponsors"][n], at_first["sponsor_ids"][n])
        if key not in sponsor_cache:
            sponsor_cache[key] = sponsors(cell["sponsors"][key[0]], cell["sponsor_ids"][key[1]])
        modes, unmapped = method[at_first["methodology"][n]]
        notes = [f"{CREDIT}: poll_id {poll_id}"]
        if pollster_id:
            notes.append(f"pollster_id {pollster_id}")
        if source:
            notes.append(f"538 source: {source}")
        text = ", ".join(notes) + "."
        if not method_cell:
            text += " Methodology not reported by 538."
        for part in unmapped:
            text += f" 538 methodology '{part}' has no pollapp mode."
        sample = sample_rows[n] - starts[n] + offset  # the poll's sample row, within these rows
        questions = []
        for k in range(offset, offset + ends[n] - starts[n]):
            q_notes = [f"FiveThirtyEight question_id {q_id[k]}; wording not given by 538 (paraphrase)."]
            if q_note[k]:
                q_notes.append(f"538 note: {q_note[k]}.")
            if q_url[k] and q_url[k] != url:
                q_notes.append(f"Source for this base: {q_url[k]}")
            y, no = q_yes[k], q_no[k]
            questions.append({
                "code": q_code[k], "population_code": q_pop[k], "base_n": q_base[k], "yes": y, "no": no,
                "remainder": y + no < REMAINDER_BELOW, "notes": " ".join(q_notes),
            })  # fmt: skip
        offset += ends[n] - starts[n]
        yield {
            "source_id": poll_id, "pollster": slugs[at_first["pollster"][n]], "pollster_name": pollster,
            "pollster_id": pollster_id, "sponsor_list": sponsor_cache[key], "modes": modes, "unmapped": unmapped,
            "start": dates["start_date"][at_first["start_date"][n]], "end": dates["end_date"][at_first["end_date"][n]],
            "region": cell["state"][at_first["state"][n]] or None, "population": q_pop[sample],
            "sample_size": q_base[sample], "tracking": tracking[at_first["tracking"][n]], "source_url": url or None,
            "notes": text, "wording": wording[at_first["politician"][n]], "questions": questions,
        }  # fmt: skip


def document(p: dict[str, Any]) -> dict[str, Any]:
    """The poll as ``polls.poll_document`` gives it once stored (the revision snapshot's ``poll``)."""
    doc: dict[str, Any] = {
        "pollster": p["pollster"], "partner_pollsters": [], "sponsors": sorted(s[0] for s in p["sponsor_list"]),
        "self_sponsored": False, "field_start_date": p["start"], "field_end_date": p["end"],
        "field_dates_precision": "day", "country": "US", "region": p["region"],
        "population": POPULATIONS[p["population"]],
        "population_description": "voters (538 population 'v')" if p["population"] == "v" else None,
        "sample_size": p["sample_size"], "modes": p["modes"], "languages": [], "weighting_variables": [],
        "partisan": False, "internal": False, "tracking": p["tracking"], "source_url": p["source_url"],
        "notes": p["notes"], "source": FTE_SOURCE, "source_id": p["source_id"],
    }  # fmt: skip
    for name in NONE_FIELDS:
        doc[name] = None
    doc["questions"] = [
        {
            "code": q["code"], "wording": p["wording"], "wording_exact": False, "wording_en": None, "language": "en",
            "preceding_context": None, "position": i, "population": POPULATIONS[q["population_code"]],
            "base_description": None, "base_n": q["base_n"], "split_variant": None, "multi_select": False,
            "remainder_not_reported": q["remainder"], "notes": q["notes"],
            "answers": [
                {"code": code, "label": label, "pct": q[column], "position": j, "substantive": True, "notes": None, "components": []}
                for j, (column, code, label) in enumerate(ANSWERS, start=1)
            ],
        }
        for i, q in enumerate(p["questions"], start=1)
    ]  # fmt: skip
    return doc


def _outcomes(series: Any) -> dict[str, Any]:
    """How the import maps one question onto the series, as a snapshot's ``series`` entry says it."""
    positions = {o.code: o.position for o in series.outcomes}
    return {o: {"position": positions[o], "answers": list(a)} for o, a in fte.SERIES_OUTCOMES.items()}
