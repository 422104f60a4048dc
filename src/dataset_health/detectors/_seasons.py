"""Seasonal baselines: which past values a new value is compared with.

A Monday is compared with Mondays, a holiday with weekends and past
holidays, an hourly update with the same hour (of the week, once two weeks
are known). With fewer than 20 values of the season, their median is still
the best center but their spread is not: the spread is then pooled over
seasons.
The detector passed in is any single-metric detector after ``fit``
(``history_``, ``timestamps_``, ``cadence_``, ``holidays_``, ``seasonality``,
``min_history``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dataset_health.detectors._robust import median
from dataset_health.detectors.calendar import CLOSED_DAYS, HOLIDAY, NS_PER_HOUR, day_kind, weekday

# Same-season values that measure their own spread. Eight Mondays (the default window of 56
# daily updates) give a median deviation so shaky that 4 of them flag 3-4% of pure noise;
# the deviations pooled over every season do not (bench/tune_default.py).
_MIN_SEASONAL_POINTS = 20
_TWO_WEEKS = 14


@dataclass(frozen=True)
class Baseline:
    """The past values a new value is compared with, on the model scale.

    ``values`` set the center; ``deviations`` set the spread. With few
    values of the same season (eight Mondays), their median is still the best
    center, but their spread is unreliable: ``deviations`` then pools every
    season's deviations from its own median (weekday-to-weekday noise).
    """

    values: np.ndarray
    deviations: np.ndarray
    label: str


def season_mask(detector: Any, timestamp: pd.Timestamp | None) -> tuple[np.ndarray, str] | None:
    """Which past values share the season of ``timestamp``, and its name (None: no season).

    Daily updates share a weekday, and a holiday shares with weekends and
    past holidays; hourly updates (``seasonality="auto"``) share the hour.
    """
    keys = _history_keys(detector)
    if keys is None or timestamp is None:
        return None
    key = int(_season_keys(detector, np.array([timestamp.value]))[0])
    if key == HOLIDAY and _by_day(detector):
        return np.isin(keys, CLOSED_DAYS), "weekend or holiday"
    if _by_day(detector):
        label = timestamp.day_name()
    elif (keys >= 24).any():  # hour of the week
        label = f"{timestamp.day_name()} {timestamp.hour:02d}:00"
    else:
        label = f"{timestamp.hour:02d}:00"
    return keys == key, label


def seasonal_baseline(
    detector: Any, z: np.ndarray, timestamp: pd.Timestamp | None, center: Any = median,
    own_spread_from: int = _MIN_SEASONAL_POINTS,
) -> Baseline:
    """The baseline of a new value among the transformed history ``z``; a season with at
    least ``own_spread_from`` values has a spread of its own."""
    season = season_mask(detector, timestamp)
    if season is not None:
        mask, label = season
        if mask.sum() >= max(own_spread_from, detector.min_history):
            return Baseline(z[mask], z[mask] - center(z[mask]), label)
        if mask.sum() >= 2:
            return Baseline(z[mask], _pooled_deviations(z, _history_keys(detector), center), label)
    return Baseline(z, z - center(z), "")


def _pooled_deviations(z: np.ndarray, keys: np.ndarray, center: Any) -> np.ndarray:
    """Each value's deviation from the center of its own season, seasons of two or more
    values only, season by season in key order (then time order)."""
    order = np.argsort(keys, kind="stable")
    values, ordered_keys = z[order], keys[order]
    starts = np.flatnonzero(np.r_[True, ordered_keys[1:] != ordered_keys[:-1]])
    sizes = np.diff(np.r_[starts, keys.size])
    if center is median:
        # Every season's median at once: a walk-forward asks at each update, for up to 168 seasons.
        ranked = values[np.lexsort((values, np.repeat(np.arange(starts.size), sizes)))]
        centers = (ranked[starts + (sizes - 1) // 2] + ranked[starts + sizes // 2]) / 2
    else:
        centers = np.array([center(season) for season in np.split(values, starts[1:])])
    deviations = values - np.repeat(centers, sizes)
    return deviations[np.repeat(sizes >= 2, sizes)]


def weekly_requirement(detector: Any) -> tuple[int, str]:
    """Two weeks of daily history before a weekday can be judged against its like."""
    if detector.timestamps_ is not None and _by_day(detector):
        return _TWO_WEEKS, "(two weeks, to learn the weekly pattern)"
    return 0, ""


def _by_day(detector: Any) -> bool:
    return detector.seasonality == "day_of_week" or (
        detector.seasonality == "auto" and detector.cadence_.name == "daily")


def _history_keys(detector: Any) -> np.ndarray | None:
    """The season keys of the fitted history, computed once per fit: every judgement
    and every level-shift test of a walk-forward asks for them."""
    stamps, cached = detector.timestamps_, getattr(detector, "_history_keys_of", None)
    if cached is not None and cached[0] is stamps and cached[1] is detector.holidays_ \
            and cached[2] == detector.seasonality:
        return cached[3]
    keys = None if stamps is None else _season_keys(detector, stamps.as_unit("ns").asi8)
    detector._history_keys_of = (stamps, detector.holidays_, detector.seasonality, keys)
    return keys


def _season_keys(detector: Any, stamps: np.ndarray) -> np.ndarray | None:
    """The season of each of ``stamps`` (int64 nanoseconds, naive UTC or the dataset's clock)."""
    history = detector.timestamps_
    if detector.seasonality == "none" or history is None:
        return None
    if _by_day(detector):
        return day_kind(stamps, detector.holidays_)
    if detector.cadence_.name == "hourly":
        # The hour of the week once two weeks are known (weekend hours are
        # quieter), else the hour of the day.
        hour = stamps // NS_PER_HOUR % 24
        by_week = history[-1] - history[0] >= pd.Timedelta(days=_TWO_WEEKS)
        return weekday(stamps) * 24 + hour if by_week else hour
    return None
