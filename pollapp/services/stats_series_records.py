"""The records a series statistic's response lists (included and excluded polls, the daily grid,
house effects), built column by column from the model's DataFrames
(:func:`pollapp.services.stats_inputs.frame_records`), never row by row. Split from
:mod:`pollapp.services.stats_series`."""

from __future__ import annotations

from typing import Any

from pollapp.services.stats_inputs import DATE, FLOAT, INT, OTHER, PCT, column_rows, frame_columns, frame_records
from pollapp.services.stats_series_polls import _Loaded


EXCLUDED_COLUMNS = {"poll_id": ("poll_id", INT), "pollster": ("pollster", OTHER), "reason": ("reason", OTHER)}
INCLUDED_COLUMNS = {
    "poll_id": ("poll_id", INT),
    "question_id": ("question_id", INT),
    "pollster": ("pollster", OTHER),
    "field_start_date": ("field_start_date", DATE),
    "field_end_date": ("field_end_date", DATE),
    "mid_date": ("mid_date", DATE),
    "publication_date": ("publication_date", DATE),
    "population": ("population", OTHER),
    "pct": ("p", PCT),
    "published_pct": ("published_pct", FLOAT),
    "decided_pct": ("decided", PCT),
    "n": ("n", INT),
    "n_source": ("n_source", OTHER),
    "design_effect": ("design_effect_used", FLOAT),
    "design_effect_source": ("design_effect_source", OTHER),
    "n_eff": ("n_eff", FLOAT),
    "house_effect_pct": ("house_effect", PCT),
    "house_effect_se_pct": ("house_effect_se", PCT),
    "adjusted_pct": ("adjusted_p", PCT),
}
GRID_COLUMNS = {
    "date": ("date", DATE),
    **{
        f"{name}_pct": (name, PCT)
        for name in ("estimate", "se", "lower", "upper", "filtered_estimate", "filtered_se", "filtered_lower",
                     "filtered_upper")
    },
}
HOUSE_COLUMNS = {
    "pollster": ("pollster", OTHER),
    "estimate_pct": ("estimate", PCT),
    "se_pct": ("se", PCT),
    "lower_pct": ("lower", PCT),
    "upper_pct": ("upper", PCT),
    "n_polls": ("n_polls", INT),
}


def _poll_records(polls: Any, loaded: _Loaded) -> list[dict[str, Any]]:
    """Included polls as dicts (:func:`_poll_columns`, every row)."""
    return column_rows(_poll_columns(polls, loaded))


def _poll_columns(polls: Any, loaded: _Loaded) -> dict[str, list[Any]]:
    """Included polls, column-wise: the stats columns joined with what the store says about each poll
    (one lookup of every poll in ``loaded.info``; no copy of the frame)."""
    import pandas as pd

    info = loaded.info
    pairs = [("question_id", "question_id"), ("field_start_date", "field_start_date"),
             ("field_end_date", "field_end_date"), ("publication_date", "publication_date"),
             ("population", "population"), ("published_pct", "pct"), ("n", "n"), ("n_source", "n_source"),
             ("design_effect_used", "design_effect_used"), ("design_effect_source", "design_effect_source")]
    if "decided" in info.columns:
        pairs.append(("decided", "decided"))
    wanted = {column for column, _ in INCLUDED_COLUMNS.values()}
    frame = _Frame({column: polls[column] for column in polls.columns if column in wanted})
    positions = info.index.get_indexer(polls["poll_id"].to_numpy())  # one lookup, not one per column
    if (positions >= 0).all():
        # Each column's values at those positions, as numpy arrays (a nullable Int64 with NA gives floats
        # with NaN, strings with NaN stay strings): the values frame_columns reads are those of the
        # records path, without a frame reindexed and a pandas Series (an arrow string array) per column.
        frame.update({column: info[source].to_numpy()[positions] for column, source in pairs})
    else:  # a poll the store did not describe (never expected): NaN, as a reindex gives
        joined = info[[source for _, source in pairs]].reindex(polls["poll_id"].to_numpy())
        frame.update({column: pd.Series(joined[source].to_numpy()) for column, source in pairs})
    return frame_columns(frame, INCLUDED_COLUMNS)


class _Frame(dict[str, Any]):
    """Named columns (pandas Series or numpy arrays of one length) read as :func:`frame_columns` reads a DataFrame:
    joining columns this way costs no frame copy."""

    @property
    def columns(self) -> Any:
        return self.keys()


def _excluded_records(loaded: _Loaded, stats_excluded: Any) -> list[dict[str, Any]]:
    out = list(loaded.excluded)
    if stats_excluded is not None and len(stats_excluded):
        out.extend(frame_records(stats_excluded, EXCLUDED_COLUMNS))
    return out


def _house_records(table: Any) -> list[dict[str, Any]] | None:
    if table is None:
        return None
    return frame_records(table.reset_index(), HOUSE_COLUMNS)


def _has_estimate(grid: Any) -> bool:
    """A fit that "succeeded" with not one finite estimate (NaN everywhere) is a failure, not a line."""
    import numpy as np

    estimates = np.asarray(grid["estimate"], dtype=float) if "estimate" in grid else np.array([])
    return bool(np.isfinite(estimates).any())
