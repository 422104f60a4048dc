"""The phases ``consensus_z`` compares a value within: hour of day, weekday, days off.

An hourly update is compared with past updates at the same hour, a daily
one with the same weekday, and, given a holiday calendar, a holiday with
past holidays and weekends (its phase is "day off"). Stamps are int64 UTC
nanoseconds (or on the dataset's clock, as the detector was given them).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from dataset_health.detectors.cadence import infer_cadence
from dataset_health.detectors.calendar import NS_PER_DAY, NS_PER_HOUR, resolve_holidays, weekday

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_OFF = 7  # the phase of holidays, judged with weekends
_PHASES = 24
# A phase needs this many past values before its view counts; until then
# the value is judged against all history alone.
MIN_PHASE_HISTORY = 3
# Spacings judged by weekday, as daily ones (infer_cadence calls 16 to 36 hours daily).
_FEW_A_DAY = (pd.Timedelta(hours=6), pd.Timedelta(hours=16))


class Season:
    """The past values of the tested value's phase, and the spread around every phase's mean."""

    def __init__(self, values: np.ndarray, pooled: float, kind: str, phase: int) -> None:
        self.values, self.pooled = values, pooled
        self.mean, self.deviation = float(values.mean()), float(values.std())
        hourly = kind == "hour_of_day"
        self.name = f"{phase:02d}:00" if hourly else (*_WEEKDAYS, "day off")[phase]
        self.plural = f"{self.name} updates" if hourly else ("days off" if phase == _DAY_OFF else f"{self.name}s")
        self.pattern = "daily" if hourly else "weekly"

    @classmethod
    def of(cls, history: np.ndarray, stamps: np.ndarray, stamp: int, kind: str,
           days_off: np.ndarray | None = None, tally: "PhaseTally | None" = None) -> "Season | None":
        """The season of ``stamp``; ``days_off`` marks the holidays of ``stamps`` and ``stamp``.
        ``tally``: the phases of ``history`` without days off, when a walk-forward kept them."""
        phase = int(_phase(np.array([stamp]), kind)[0])
        if tally is None:
            keys = _phase(stamps, kind)
            if kind == "day_of_week" and days_off is not None:
                keys = np.where(days_off[:-1], _DAY_OFF, keys)
                if days_off[-1]:
                    phase = _DAY_OFF
            tally = PhaseTally.of(history, keys)
        if kind == "day_of_week" and phase == _DAY_OFF:
            same = history[(tally.keys == phase) | (tally.keys >= 5)]  # a holiday is judged with weekends
        else:
            same = tally.values_of(phase)
        if same.size < MIN_PHASE_HISTORY:
            return None
        # Spread of every past value around the mean of its own phase: the
        # noise once the cycle is taken out, from all phases at once.
        means = tally.sums / np.maximum(tally.counts, 1)
        pooled = float(np.sqrt(np.mean((history - means[tally.keys]) ** 2)))
        return cls(same, pooled, kind, phase)


class PhaseTally:
    """The phase of each past value, and each phase's count and total."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray, sums: np.ndarray,
                 values_of: Callable[[int], np.ndarray]) -> None:
        self.keys, self.counts, self.sums, self.values_of = keys, counts, sums, values_of

    @classmethod
    def of(cls, history: np.ndarray, keys: np.ndarray) -> "PhaseTally":
        return cls(keys, np.bincount(keys, minlength=_PHASES), np.bincount(keys, weights=history, minlength=_PHASES),
                   lambda phase: history[keys == phase])


class RunningTally:
    """The :class:`PhaseTally` of every prefix of one history, computed once (``_prefixes``).

    Sums run in time order, as ``np.bincount`` adds, so each prefix's
    totals are bit for bit the ones it would count itself.
    """

    def __init__(self, history: np.ndarray, stamps: np.ndarray, kind: str) -> None:
        self.history, self.keys = history, _phase(stamps, kind)
        in_phase = self.keys[:, None] == np.arange(_PHASES)
        none = np.zeros((1, _PHASES))
        self.counts = np.vstack((none.astype(np.int64), np.cumsum(in_phase, axis=0)))
        self.sums = np.vstack((none, np.cumsum(np.where(in_phase, history[:, None], 0.0), axis=0)))
        self.positions = [np.flatnonzero(in_phase[:, phase]) for phase in range(_PHASES)]

    def at(self, size: int) -> PhaseTally:
        counts = self.counts[size]
        return PhaseTally(self.keys[:size], counts, self.sums[size],
                          lambda phase: self.history[self.positions[phase][: counts[phase]]])


@lru_cache(maxsize=16)
def auto_seasonality(recent: bytes) -> str | None:
    """The "auto" seasonality of the newest stamps (int64 UTC nanoseconds, as bytes)."""
    cadence = infer_cadence(np.frombuffer(recent, dtype=np.int64))
    if cadence.name == "regular" and _FEW_A_DAY[0] <= cadence.step < _FEW_A_DAY[1]:
        # A few updates a day are compared by weekday, all of a day's
        # updates together: the weekly pattern is still there.
        return "day_of_week"
    return {"hourly": "hour_of_day", "daily": "day_of_week"}.get(cadence.name)


@lru_cache(maxsize=64)
def _holiday_days_of(holidays: str | tuple[Any, ...], first_year: int, last_year: int) -> np.ndarray:
    span = pd.DatetimeIndex([pd.Timestamp(first_year, 1, 1), pd.Timestamp(last_year, 12, 31)])
    # One text form for dates, datetimes and strings alike: mixed forms would not parse as one list.
    named = holidays if isinstance(holidays, str) else [pd.Timestamp(d).isoformat() for d in holidays]
    dates = resolve_holidays(named, span)
    days = np.unique(dates.as_unit("ns").asi8 // NS_PER_DAY)
    days.setflags(write=False)  # shared by every caller through the cache
    return days


def holiday_days(holidays: Any, first_day: int, last_day: int) -> np.ndarray:
    """The holidays of ``holidays`` (a calendar name or dates) between two UTC day numbers
    (days since 1970-01-01), as day numbers. Cached: walk-forward loops ask at every update."""
    years = pd.DatetimeIndex(np.array([first_day, last_day]) * NS_PER_DAY)
    key = holidays if isinstance(holidays, str) else tuple(holidays)
    return _holiday_days_of(key, int(years[0].year), int(years[1].year))


def _phase(stamps: np.ndarray, kind: str) -> np.ndarray:
    """Hour of day (0-23) or weekday (0 = Monday) of int64 UTC nanoseconds."""
    if kind == "hour_of_day":
        return (stamps // NS_PER_HOUR) % 24
    return weekday(stamps)
