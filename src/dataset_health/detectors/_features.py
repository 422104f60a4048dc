"""Features of one metric for the machine-learning detectors.

A model that only sees a value cannot tell a Sunday dip from a partial
load; it needs the value's context: the values before it (lags), the value
one season before, and where in the week or day it falls. Positions are
sines and cosines so that Sunday sits next to Monday. Holidays get their
own flag, so a holiday Monday can look like a Sunday.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dataset_health.detectors.cadence import Cadence
from dataset_health.detectors.calendar import holiday_mask

_HOUR = 3600.0


def calendar_features(stamps: pd.DatetimeIndex | None, cadence: Cadence, holidays: pd.DatetimeIndex) -> np.ndarray:
    """Columns for time of day and day of week (as fits the cadence) and holidays."""
    if stamps is None:
        return np.zeros((0, 0))
    columns = []
    step_hours = cadence.step.total_seconds() / _HOUR if cadence.step is not None else None
    if step_hours is not None and step_hours < 12:  # sub-daily: the hour matters
        angle = 2 * np.pi * (stamps.hour + stamps.minute / 60) / 24
        columns += [np.sin(angle), np.cos(angle)]
    if step_hours is not None and step_hours < 24 * 5:  # daily or faster: the weekday matters
        angle = 2 * np.pi * stamps.dayofweek / 7
        columns += [np.sin(angle), np.cos(angle), (stamps.dayofweek >= 5).astype(float)]
    if len(holidays):
        columns.append(holiday_mask(stamps, holidays).astype(float))
    if not columns:
        return np.zeros((len(stamps), 0))
    return np.column_stack(columns)


def lag_matrix(z: np.ndarray, lags: int) -> np.ndarray:
    """Row i: the ``lags`` values before z[lags + i], oldest first."""
    return np.lib.stride_tricks.sliding_window_view(z[:-1], lags)[: z.size - lags]


def without_holidays(z: np.ndarray, stamps: pd.DatetimeIndex | None, holidays: pd.DatetimeIndex,
                     period: int | None) -> np.ndarray:
    """Holiday values replaced by the value one season before.

    A few holidays a year are too few to learn from, and as lags they would
    make the day after a holiday look odd; with the calendar known, the
    models see the week as if the holiday had been an ordinary day.
    """
    if stamps is None or not len(holidays) or not period:
        return z
    z = z.copy()
    for i in np.flatnonzero(holiday_mask(stamps, holidays)):
        if i >= period:
            z[i] = z[i - period]
    return z


class ClosedDays:
    """The last weekend days and holidays of a series: what a holiday is like.

    Forecasting models learn weekdays from hundreds of examples and holidays
    from a handful, so a holiday is forecast as the mean of the last two
    closed days instead (a Saturday and a Sunday differ; a holiday is like
    both).
    """

    def __init__(self, z: np.ndarray, stamps: pd.DatetimeIndex | None, holidays: pd.DatetimeIndex,
                 count: int = 2) -> None:
        self.holidays, self.count = holidays, count
        closed = [] if stamps is None else list(np.flatnonzero(self._closed(stamps)))
        self.values = [float(z[i]) for i in closed[-count:]]

    def _closed(self, stamps: pd.DatetimeIndex) -> np.ndarray:
        return (np.asarray(stamps.dayofweek) >= 5) | holiday_mask(stamps, self.holidays)

    def is_holiday(self, stamp: pd.Timestamp | None) -> bool:
        return stamp is not None and len(self.holidays) > 0 and bool(
            holiday_mask(pd.DatetimeIndex([stamp]), self.holidays)[0])

    def add(self, value: float, stamp: pd.Timestamp | None) -> None:
        if stamp is not None and self._closed(pd.DatetimeIndex([stamp]))[0]:
            self.values = (self.values + [value])[-self.count:]

    def reference(self) -> float | None:
        return float(np.mean(self.values)) if self.values else None
