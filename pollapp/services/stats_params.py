"""Normalised parameters of the series-wide statistics (trend, house effects).

Every request is turned into a frozen dataclass with every default filled in, so that equivalent
spellings of a request (``level=0.950``, pollsters in another order) share one cache entry and one
ETag, and the response can echo every parameter used. Combinations that cannot work (a lowess
setting with ``method=kalman``, ``constraint=reference`` without a pollster) are refused here with a
422 naming the parameter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from pollapp.services.stats_inputs import (
    DEFAULT_N,
    DEFAULT_POPULATION_PREFERENCE,
    HOUSE_EFFECT_CONSTRAINTS,
    HOUSE_EFFECT_METHODS,
    TREND_HOUSE_EFFECTS,
    TREND_HOUSE_METHODS,
    TREND_METHODS,
    enum_value,
    invalid,
)
from pollapp.services.trend_size import POLL_LISTS


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class Selection:
    """Which polls a series-wide statistic uses and how each poll's value is formed."""

    outcome: str | None = None
    decided_against: str | None = None
    level: float = 0.95
    min_polls: int = 5
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    as_of: dt.date | None = None
    exclude_pollsters: tuple[str, ...] = ()
    population_preference: tuple[str, ...] = DEFAULT_POPULATION_PREFERENCE
    drop_overlapping_tracking: bool = True
    n_default: int = DEFAULT_N

    @classmethod
    def build(
        cls,
        *,
        outcome: str | None = None,
        decided_against: str | None = None,
        level: float | None = None,
        min_polls: int | None = None,
        start_date: dt.date | None = None,
        end_date: dt.date | None = None,
        as_of: dt.date | None = None,
        exclude_pollster: Any = None,
        population_preference: Any = None,
        drop_overlapping_tracking: bool | None = None,
        n_default: int | None = None,
    ) -> Selection:
        level = 0.95 if level is None else float(level)
        if not 0 < level < 1:
            raise invalid("level", "level must be strictly between 0 and 1 (e.g. 0.95).")
        min_polls = 5 if min_polls is None else int(min_polls)
        if min_polls < 2:
            raise invalid("min_polls", "min_polls must be at least 2.")
        n_default = DEFAULT_N if n_default is None else int(n_default)
        if n_default < 1:
            raise invalid("n_default", "n_default must be at least 1.")
        if decided_against is not None and decided_against == outcome:
            raise invalid("decided_against", "decided_against must be another outcome than outcome.")
        if start_date and end_date and start_date > end_date:
            raise invalid("start_date", "start_date must not be after end_date.")
        preference = tuple(dict.fromkeys(enum_value(p) for p in (population_preference or ())))
        return cls(
            outcome=outcome,
            decided_against=decided_against,
            level=level,
            min_polls=min_polls,
            start_date=start_date,
            end_date=end_date,
            as_of=as_of,
            exclude_pollsters=tuple(sorted(set(exclude_pollster or ()))),
            population_preference=preference or DEFAULT_POPULATION_PREFERENCE,
            drop_overlapping_tracking=True if drop_overlapping_tracking is None else bool(drop_overlapping_tracking),
            n_default=n_default,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "decided_against": self.decided_against,
            "level": self.level,
            "min_polls": self.min_polls,
            "start_date": _iso(self.start_date),
            "end_date": _iso(self.end_date),
            "as_of": _iso(self.as_of),
            "exclude_pollster": list(self.exclude_pollsters),
            "population_preference": list(self.population_preference),
            "drop_overlapping_tracking": self.drop_overlapping_tracking,
            "n_default": self.n_default,
        }


SELECTION_PARAMETERS = tuple(Selection.build().as_dict())

#: Each trend method's own settings with their defaults (the API echoes every one used).
TREND_SETTINGS: dict[str, dict[str, Any]] = {
    "kalman": {
        "house_effects": "sum_to_zero",
        "reference_pollster": None,
        "house_method": "auto",
        "extra_variance": True,
        "bin_days": 7,
    },
    "lowess": {"frac": 0.3, "it": 0, "bootstrap": 0, "seed": 0},
    "weighted": {"half_life_days": 14.0, "n_cap": 2000.0, "window_days": 90},
    "rolling": {"k": 5, "window_days": 30},
}
TREND_SETTING_NAMES = tuple(dict.fromkeys(name for s in TREND_SETTINGS.values() for name in s))
TREND_PARAMETERS = ("method", *SELECTION_PARAMETERS, *TREND_SETTING_NAMES, "step_days", "polls")


@dataclass(frozen=True)
class TrendParams:
    selection: Selection
    method: str
    settings: tuple[tuple[str, Any], ...]
    # What the response carries (pollapp.services.trend_size): grid step (None: automatic) and poll lists.
    step_days: int | None = None
    polls: str = "auto"

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, **self.selection.as_dict(), **dict(self.settings),
                "step_days": self.step_days, "polls": self.polls}

    def full(self) -> TrendParams:
        """The same trend with every grid day and every poll (what is fitted and cached first)."""
        return replace(self, step_days=1, polls="all")

    def is_full(self) -> bool:
        return self.step_days == 1 and self.polls == "all"


def trend_params(method: str | None = None, step_days: int | None = None, polls: str | None = None,
                 **args: Any) -> TrendParams:
    """Normalise trend arguments: defaults filled, settings of another method refused (422)."""
    method = method or "kalman"
    polls = polls or "auto"
    if polls not in POLL_LISTS:
        raise invalid("polls", f"polls must be one of {', '.join(POLL_LISTS)}.")
    if step_days is not None and int(step_days) < 1:
        raise invalid("step_days", "step_days must be at least 1 (1: every day).")
    if method not in TREND_METHODS:
        raise invalid("method", f"method must be one of {', '.join(TREND_METHODS)}.")
    given = {name: args.pop(name) for name in list(args) if name in TREND_SETTING_NAMES}
    selection = Selection.build(**args)
    defaults = TREND_SETTINGS[method]
    for name, value in given.items():
        if value is not None and name not in defaults:
            owners = [m for m, s in TREND_SETTINGS.items() if name in s]
            raise invalid(name, f"{name} applies to method={' or '.join(owners)}, not to method={method}.")
    settings = {name: given[name] if given.get(name) is not None else default for name, default in defaults.items()}
    if method == "kalman":
        if settings["house_effects"] not in TREND_HOUSE_EFFECTS:
            raise invalid("house_effects", f"house_effects must be one of {', '.join(TREND_HOUSE_EFFECTS)}.")
        if settings["house_method"] not in TREND_HOUSE_METHODS:
            raise invalid("house_method", f"house_method must be one of {', '.join(TREND_HOUSE_METHODS)}.")
        _check_reference(settings["house_effects"], settings["reference_pollster"], "house_effects")
    return TrendParams(selection, method, tuple(settings.items()), None if step_days is None else int(step_days),
                       polls)


@dataclass(frozen=True)
class HouseParams:
    selection: Selection
    method: str = "auto"
    constraint: str = "sum_to_zero"
    reference_pollster: str | None = None
    bin_days: int = 7
    extra_variance: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            **self.selection.as_dict(),
            "constraint": self.constraint,
            "reference_pollster": self.reference_pollster,
            "bin_days": self.bin_days,
            "extra_variance": self.extra_variance,
        }


HOUSE_PARAMETERS = ("method", *SELECTION_PARAMETERS, "constraint", "reference_pollster", "bin_days", "extra_variance")


def house_params(
    method: str | None = None,
    constraint: str | None = None,
    reference_pollster: str | None = None,
    bin_days: int | None = None,
    extra_variance: bool | None = None,
    **args: Any,
) -> HouseParams:
    method = method or "auto"
    constraint = constraint or "sum_to_zero"
    if method not in HOUSE_EFFECT_METHODS:
        raise invalid("method", f"method must be one of {', '.join(HOUSE_EFFECT_METHODS)}.")
    if constraint not in HOUSE_EFFECT_CONSTRAINTS:
        raise invalid("constraint", f"constraint must be one of {', '.join(HOUSE_EFFECT_CONSTRAINTS)}.")
    _check_reference(constraint, reference_pollster, "constraint")
    return HouseParams(
        Selection.build(**args),
        method,
        constraint,
        reference_pollster,
        7 if bin_days is None else int(bin_days),
        True if extra_variance is None else bool(extra_variance),
    )


def _check_reference(constraint: str, reference: str | None, constraint_name: str) -> None:
    if constraint == "reference" and not reference:
        raise invalid("reference_pollster", f"{constraint_name}=reference needs reference_pollster (a pollster slug).")
    if reference and constraint != "reference":
        raise invalid("reference_pollster", f"reference_pollster applies only with {constraint_name}=reference.")


