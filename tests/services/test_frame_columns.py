"""``frame_columns``' fast paths (issue 7: dates formatted once per distinct day across the date
columns, numeric and datetime64 columns read as they are, strings and nullable integers with nothing
missing taken as they are) give the very values of the former column-by-column conversion, frozen
here as the reference, on a SYNTHETIC frame with every kind of column and missing value, read as a
DataFrame and as numpy arrays (the way ``_poll_columns`` joins the store's columns)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest

from pollapp.services.stats_inputs import DATE, FLOAT, INT, OTHER, PCT, _plain, frame_columns
from pollapp.services.stats_series_records import _Frame


def reference_frame_columns(frame: Any, columns: dict[str, tuple[str, str]], digits: int = 4) -> dict[str, list[Any]]:
    """The conversion before the fast paths (each column on its own, through pandas)."""
    out: dict[str, list[Any]] = {}
    for name, (column, kind) in columns.items():
        if column not in frame.columns:
            continue
        series = frame[column]
        if kind == DATE:
            stamps = pd.to_datetime(series).to_numpy(dtype="datetime64[D]")
            text = np.datetime_as_string(stamps, unit="D").tolist()
            col = [None if t == "NaT" else t for t in text] if np.isnat(stamps).any() else text
        elif kind in (PCT, FLOAT):
            arr = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
            arr = np.round(arr * 100.0 if kind == PCT else arr, digits)
            missing = np.isnan(arr)
            col = np.where(missing, None, arr).tolist() if missing.any() else arr.tolist()
        elif kind == INT and isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu":
            col = series.to_numpy().tolist()
        elif kind == INT:
            col = [None if v is None or v != v else int(v) for v in series.tolist()]
        else:
            col = [v if type(v) is str else None if (isinstance(v, float) and v != v) else _plain(v)
                   for v in series.tolist()]
        out[name] = col
    return out


@pytest.mark.parametrize("rows", [5, 300])  # below and above the size where distinct days are looked up
def test_fast_columns_equal_the_former_conversion(rows):
    rng = np.random.default_rng(7)
    start = np.datetime64("1999-12-20") + rng.integers(0, 90, rows)
    end = start + rng.integers(0, 5, rows)
    published = end.astype("datetime64[s]").copy()
    published[::4] = np.datetime64("NaT")
    frame = pd.DataFrame({
        "start": pd.Series(start.astype("datetime64[s]")),
        "end": pd.Series(end.astype("datetime64[s]")),
        "published": pd.Series(published),
        "as_dates": [None if i % 5 == 0 else dt.date(2001, 1, 1 + i % 28) for i in range(rows)],
        "aware": pd.Series(pd.to_datetime(start.astype("datetime64[s]")).tz_localize("UTC")),
        "p": rng.random(rows),
        "p_nan": np.where(np.arange(rows) % 3 == 0, np.nan, rng.random(rows)),
        "flag": np.arange(rows) % 2 == 0,
        "ints": np.arange(rows) * 7,
        "n_full": pd.array(np.arange(rows) + 500, dtype="Int64"),
        "n_na": pd.array([None if i % 4 == 0 else i for i in range(rows)], dtype="Int64"),
        "n_float": np.where(np.arange(rows) % 6 == 0, np.nan, np.arange(rows) + 0.0),
        "text": [f"pollster {i % 3}" for i in range(rows)],
        "text_na": [None if i % 3 == 0 else "x" for i in range(rows)],
        "objects": np.array([None if i % 2 else "y" for i in range(rows)], dtype=object),
    })
    columns = {
        "start": ("start", DATE), "end": ("end", DATE), "published": ("published", DATE),
        "as_dates": ("as_dates", DATE), "aware": ("aware", DATE), "missing": ("absent", DATE),
        "p": ("p", PCT), "p_nan": ("p_nan", FLOAT), "flag": ("flag", FLOAT), "ints_float": ("ints", FLOAT),
        "ints": ("ints", INT), "n_full": ("n_full", INT), "n_na": ("n_na", INT), "n_float": ("n_float", INT),
        "text": ("text", OTHER), "text_na": ("text_na", OTHER), "objects": ("objects", OTHER),
    }
    in_frame = {name: spec for name, spec in columns.items() if name != "n_na"}  # (NA: only as floats, below)
    expected = reference_frame_columns(frame, in_frame)
    assert list(expected) == [name for name in in_frame if name != "missing"]
    got = frame_columns(frame, in_frame)
    assert list(got) == list(expected) and orjson.dumps(got) == orjson.dumps(expected)
    assert got == expected
    # The same columns as numpy arrays (the join of _poll_columns; nullable ints with NA become floats).
    arrays = _Frame({column: frame[column].to_numpy() for column in frame.columns if column not in ("aware", "as_dates")})
    as_arrays = {name: spec for name, spec in columns.items() if spec[0] in arrays or spec[0] == "absent"}
    reference = reference_frame_columns(_Frame({c: pd.Series(v) for c, v in arrays.items()}), as_arrays)
    assert orjson.dumps(frame_columns(arrays, as_arrays)) == orjson.dumps(reference)
    assert expected["published"][0] is None and reference["n_na"][0] is None and expected["text_na"][0] is None
