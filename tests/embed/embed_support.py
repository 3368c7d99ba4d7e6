"""Names shared by the embed tests and their conftest (conftest itself is not importable by name)."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

SERIES = "ukraine-territorial-concessions"
SERIES_TITLE = "Ukrainians ready for territorial concessions"
KIIS_PEACE_POLL = "kiis-2024-12-02"  # KIIS, Dec 2024: "peace closer" 45% = 15% + 30% (a net answer)
KIIS = "Kyiv International Institute of Sociology"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"


def svg_text(body: bytes) -> tuple[ET.Element, str]:
    """The parsed SVG (a ParseError fails the test) and all its text, tspans joined by spaces."""
    root = ET.fromstring(body)
    assert root.tag == f"{SVG_NS}svg"
    texts = []
    for element in root.iter(f"{SVG_NS}text"):
        texts.append(" ".join(t.strip() for t in element.itertext() if t.strip()))
    return root, "\n".join(texts)


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == PNG_MAGIC
    assert body[12:16] == b"IHDR"
    return struct.unpack(">II", body[16:24])
