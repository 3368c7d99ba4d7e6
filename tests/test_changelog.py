"""CHANGELOG.md records every change to the API or the export columns.

The contract is the served OpenAPI document without its prose (paths, methods, parameters, bodies,
status codes, schemas, scopes) plus the columns of every download. Its fingerprint is written in
CHANGELOG.md; when the contract changes, this test fails until the change is recorded there and the
fingerprint line updated (the failure message gives the new value). Prose edits (descriptions,
summaries, examples) do not count."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from pollapp.services import exports, poll_layout

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"
PROSE = {"description", "summary", "title", "example", "examples", "externalDocs", "info", "tags"}
LINE = re.compile(r"^API and export contract: `([0-9a-f]{16})`$", re.MULTILINE)


def _without_prose(node):
    if isinstance(node, dict):
        return {k: _without_prose(v) for k, v in node.items() if k not in PROSE}
    if isinstance(node, list):
        return [_without_prose(v) for v in node]
    return node


def contract(spec: dict) -> dict:
    return {
        "api": _without_prose({"paths": spec["paths"], "components": spec.get("components", {})}),
        "series_download": [(f.name, f.type, f.unit) for f in exports.FIELDS],
        "export_version": exports.EXPORT_VERSION,
        "poll_file": [(c.name, c.type) for c in poll_layout.COLUMNS],
    }


def fingerprint(spec: dict) -> str:
    return hashlib.sha256(json.dumps(contract(spec), sort_keys=True).encode()).hexdigest()[:16]


def test_the_changelog_records_the_current_api_and_export_contract(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    recorded = LINE.findall(CHANGELOG.read_text(encoding="utf-8"))
    current = fingerprint(spec)

    assert recorded, "CHANGELOG.md must carry the line 'API and export contract: `<fingerprint>`'"
    assert recorded[0] == current, (
        f"The API or the export columns changed (contract {recorded[0]} -> {current}): record the change in "
        f"CHANGELOG.md under [Unreleased] and write 'API and export contract: `{current}`' there."
    )


def test_the_fingerprint_moves_with_the_contract_and_not_with_prose(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    base = fingerprint(spec)
    reworded = json.loads(json.dumps(spec))
    for item in reworded["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation["description"] = "reworded"
    changed = json.loads(json.dumps(spec))
    changed["paths"]["/api/v1/polls"]["get"]["parameters"].append({"in": "query", "name": "new_filter"})

    assert fingerprint(reworded) == base
    assert fingerprint(changed) != base


def test_the_changelog_follows_keep_a_changelog():
    text = CHANGELOG.read_text(encoding="utf-8")
    assert text.startswith("# Changelog") and "## [Unreleased]" in text
    assert text.index("## [Unreleased]") < text.index("API and export contract:")
