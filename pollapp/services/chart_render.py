"""Static renderings of a chart spec (SVG, PNG, PDF) by vl-convert, with no browser."""

from __future__ import annotations

from typing import Any

from pollapp.services.chart_options import DEFAULT_WIDTH


IMAGE_FORMATS = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


def render(spec: dict[str, Any], fmt: str, *, scale: float = 1.0) -> bytes:
    """The spec drawn by vl-convert (no browser): SVG text, PNG or PDF bytes. The spec carries its
    locale and theme, so nothing else is passed."""
    import vl_convert

    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec).encode()
    if fmt == "png":
        return vl_convert.vegalite_to_png(spec, scale=scale)
    if fmt == "pdf":
        return vl_convert.vegalite_to_pdf(spec)
    raise ValueError(f"unknown image format {fmt!r}")


def static_spec(spec: dict[str, Any], width: int | None) -> dict[str, Any]:
    """A static image has no container: give the spec a width (the default one when none was asked)."""
    if spec.get("width") == "container":
        return {**spec, "width": width or DEFAULT_WIDTH}
    return spec
