"""Bytes of an uploaded file to text, or one clear problem: never a traceback, never silent mojibake.

* UTF-8, with or without a byte-order mark, is read as it is;
* UTF-16 and UTF-32 with a byte-order mark (Excel's "Unicode text") are decoded: the mark makes the
  encoding certain;
* anything else that is not valid UTF-8 is refused, line by line, with a hint at the likely encoding
  (Windows-1251 when the non-ASCII bytes come in word-long runs, else Windows-1252/Latin-1): guessing would risk
  storing mojibake, and re-saving as UTF-8 takes the sender a minute;
* NUL bytes mean a binary file (a spreadsheet, an archive) or UTF-16 without a mark: refused, naming
  the file type when its signature is known.
"""

from __future__ import annotations

import codecs

from pollapp.exceptions import FieldError, InvalidInput
from pollapp.services.imports_fte import Problems

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx or .ods spreadsheet is one)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word file"),
    (b"%PDF", "a PDF"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"PAR1", "a Parquet file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
SAVE_AS = "save it as CSV UTF-8 (in Excel: File > Save As > 'CSV UTF-8')"


def decode(data: bytes, name: str) -> str:
    """The text of ``data``; raises InvalidInput with every problem (see the module docstring)."""
    if not data.strip(b" \t\r\n\x00"):
        raise InvalidInput(f"{name} is empty; nothing was imported.", [FieldError(name, "The file is empty.", row=1)])
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    f"{name} starts with a {encoding.upper()} byte-order mark but is not valid {encoding.upper()}; "
                    "nothing was imported.",
                    [FieldError(name, f"byte {exc.start + len(bom) + 1} cannot be decoded; {SAVE_AS}.")],
                ) from exc
    for signature, kind in SIGNATURES:
        if data.startswith(signature):
            raise InvalidInput(
                f"{name} is {kind}, not a CSV or JSON text file; nothing was imported.",
                [FieldError(name, f"Export the data as CSV or JSON: {SAVE_AS}.", row=1)],
            )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InvalidInput(
            f"{name} holds NUL bytes: it is a binary file or UTF-16 text without a byte-order mark; nothing was imported.",
            [FieldError(f"{name}:{line}", f"NUL byte on this line; {SAVE_AS}.", row=line)],
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    hint = _encoding_hint(data)
    problems = Problems(name)
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.add(
                number, None, f"byte 0x{raw[exc.start : exc.start + 1].hex()} at position {exc.start + 1} is not valid "
                f"UTF-8; the file looks like {hint}: {SAVE_AS} and import it again."
            )
    problems.raise_if_any()
    raise AssertionError("unreachable: the data failed to decode as a whole")  # pragma: no cover


def _encoding_hint(data: bytes) -> str:
    """Windows-1251 when the non-ASCII bytes come in runs (Cyrillic words are all non-ASCII), else
    Windows-1252: Latin accented letters (é, ü) stand alone between ASCII letters."""
    sample = data[:200_000]
    high = [i for i, b in enumerate(sample) if b >= 0x80]
    if not high:
        return "Windows-1252 or Latin-1"
    positions = set(high)
    in_runs = sum(1 for i in high if i - 1 in positions or i + 1 in positions)
    if in_runs >= 0.6 * len(high):
        return "Windows-1251 (Cyrillic, e.g. Ukrainian or Russian text)"
    return "Windows-1252 or Latin-1"
