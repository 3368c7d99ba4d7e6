"""The JavaScript of the embeds: Vega, Vega-Lite and vega-embed in ONE file, served by pollapp.

``vl_convert.javascript_bundle()`` (the same library versions that render the static images) is
written once per installed vl-convert version into ``CHART_ASSET_DIR`` (default
``<instance>/chart-assets``) under a content-hashed name, and served with a one-year immutable cache:
readers download it once for every chart of every site. It is built on the first embed request
(about 2 s) rather than at startup, so commands and tests that never draw a chart do not pay for it;
several workers may race to write it, which is harmless (same bytes, atomic rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from flask import Flask

_lock = threading.Lock()


@dataclass(frozen=True)
class Bundle:
    directory: Path
    filename: str

    @property
    def path(self) -> Path:
        return self.directory / self.filename


def asset_dir(app: Flask) -> Path:
    return Path(app.config.get("CHART_ASSET_DIR") or os.path.join(app.instance_path, "chart-assets"))


def bundle(app: Flask) -> Bundle:
    """The bundle's file, written if missing (cached on the app after the first call)."""
    found = app.extensions.get("pollapp.chart_bundle")
    if found is not None:
        return found
    with _lock:
        found = app.extensions.get("pollapp.chart_bundle")
        if found is None:
            found = _load_or_write(asset_dir(app))
            app.extensions["pollapp.chart_bundle"] = found
    return found


def _load_or_write(directory: Path) -> Bundle:
    version = metadata.version("vl-convert-python")
    manifest = directory / "manifest.json"
    try:
        known = json.loads(manifest.read_text())
        if known.get("vl_convert") == version and (directory / known["file"]).is_file():
            return Bundle(directory, known["file"])
    except (OSError, ValueError, KeyError):
        pass
    import vl_convert

    code = vl_convert.javascript_bundle().encode()
    name = f"vega-{hashlib.sha256(code).hexdigest()[:16]}.js"
    directory.mkdir(parents=True, exist_ok=True)
    _atomic_write(directory / name, code)
    _atomic_write(manifest, json.dumps({"vl_convert": version, "file": name}).encode())
    return Bundle(directory, name)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
