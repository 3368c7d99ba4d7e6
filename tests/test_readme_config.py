"""The README's configuration table names every setting the code reads, and nothing it does not.

Settings come from ``pollapp.config.DEFAULTS`` and from every ``config.get("NAME")`` /
``config["NAME"]`` in the package; each is set from the environment as ``POLLAPP_NAME`` (except
the few read under their own names). A setting added without a README row fails here."""

from __future__ import annotations

import re
from pathlib import Path

from pollapp.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[1]
INTERNAL = {  # not operator settings: the OpenAPI document's own fields, engine options, test hooks
    "SQLALCHEMY_ENGINE_OPTIONS", "SQLALCHEMY_DATABASE_URI", "API_TITLE", "API_VERSION", "OPENAPI_VERSION",
    "OPENAPI_URL_PREFIX", "OPENAPI_JSON_PATH", "OPENAPI_REDOC_PATH", "API_SPEC_OPTIONS", "OPENAPI_REDOC_URL",
    "MIGRATIONS_DIR", "TESTING",
}
OWN_NAMES = {"SECRET_KEY", "REDIS_URL"}  # read from the environment without the POLLAPP_ prefix
READ = re.compile(r"config(?:\.get\(|\.setdefault\(|\[)\s*[\"']([A-Z][A-Z0-9_]+)[\"']")


def settings_in_code() -> set[str]:
    names = set(DEFAULTS)
    for path in (ROOT / "pollapp").rglob("*.py"):
        names |= set(READ.findall(path.read_text(encoding="utf-8")))
    return {n for n in names - INTERNAL}


def documented() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## Configuration"):]
    table = table[: table.index("\n## ", 1)]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", table, re.MULTILINE))


def test_every_setting_is_in_the_readme_configuration_table():
    rows = documented()
    missing = sorted(n for n in settings_in_code() if (n if n in OWN_NAMES else f"POLLAPP_{n}") not in rows)
    assert missing == []


def test_the_table_documents_no_setting_the_code_does_not_read():
    code = {n if n in OWN_NAMES else f"POLLAPP_{n}" for n in settings_in_code()}
    outside = {"DATABASE_URL", "TEST_DATABASE_URL", "PORT", "WORKERS", "OPENBLAS_NUM_THREADS"}  # Makefile, config.py
    assert sorted(documented() - code - outside) == []
