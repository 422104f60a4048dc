"""Updates on a regular time grid, for models that need evenly spaced data.

STL and Holt-Winters count seasons in steps. A missed run would shift every
later value by one step and a double publish add one; placing updates by
their time on a grid of the cadence's step keeps Mondays on Mondays. Gaps
are filled from the same position a cycle before (else interpolated), and
holidays are treated as gaps so they do not bend the weekly cycle.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dataset_health.detectors._robust import mad_sigma
from dataset_health.detectors.calendar import holiday_mask

_MAX_GRID_GROWTH = 3  # a grid over three times the updates means huge gaps: use update order


class SeasonalGrid:
    """Updates placed on a regular time grid, with gaps and holidays filled.

    ``values`` has one entry per grid slot (filled), ``observed`` says which
    slots held a real update, ``times`` are the slots' timestamps.
    """

    def __init__(self, z: np.ndarray, stamps: pd.DatetimeIndex | None, step: pd.Timedelta | None,
                 holidays: pd.DatetimeIndex, fill_period: int | None) -> None:
        self.start = None if stamps is None else stamps[0]
        self.step = step
        if stamps is None or step is None:
            slots = np.arange(z.size)
            self.step = None
        else:
            slots = np.rint((stamps.asi8 - stamps.asi8[0]) / step.value).astype(np.int64)
            if slots[-1] + 1 > _MAX_GRID_GROWTH * z.size:
                slots, self.step = np.arange(z.size), None
        values = np.full(int(slots[-1]) + 1, np.nan)
        values[slots] = z  # two updates in one slot: the later one stands
        self.observed = ~np.isnan(values)
        self.times = None if self.step is None else self.at(np.arange(values.size))
        if self.times is not None and len(holidays):
            values[holiday_mask(self.times, holidays)] = np.nan  # a holiday would distort the season
        self.values = _fill(values, fill_period)

    def naive_scale(self, period: int | None) -> float:
        """Robust spread of one-cycle differences over the square root of 2.

        The noise a seasonal model cannot beat. A model fitted on two or
        three cycles overfits, and its in-sample errors would promise a band
        several times narrower than its real errors: this floors them.
        """
        lag = period or 1
        if self.values.size <= lag:
            return 0.0
        both = self.observed[lag:] & self.observed[:-lag]
        steps = (self.values[lag:] - self.values[:-lag])[both]
        return mad_sigma(steps) / np.sqrt(2)

    def spans_week(self, period: int) -> bool:
        """Whether ``period`` slots make a week (the cycle a holiday is judged in)."""
        return self.step is not None and abs(period * self.step - pd.Timedelta(days=7)) < pd.Timedelta(hours=1)

    def weekend_like(self, slots: np.ndarray, stamp: pd.Timestamp) -> np.ndarray:
        """Which ``slots`` are weekend days, at the time of day of ``stamp`` when sub-daily."""
        times = self.at(slots)
        like = np.asarray(times.dayofweek >= 5)
        if self.step < pd.Timedelta(hours=12):
            like &= np.asarray(times.hour == stamp.hour)
        return like

    def at(self, slots: np.ndarray) -> pd.DatetimeIndex:
        """The timestamps of grid slots."""
        return pd.DatetimeIndex(self.start + pd.to_timedelta(np.asarray(slots) * self.step.value, unit="ns"))

    def slot(self, stamp: pd.Timestamp | None, seen: int = 0) -> int:
        """The grid slot of a new update, ``seen`` updates after the grid's last."""
        last = self.values.size - 1
        if stamp is None or self.step is None:
            return last + 1 + seen
        return max(int(round((stamp - self.start) / self.step)), last + 1)


def _fill(values: np.ndarray, period: int | None) -> np.ndarray:
    """Fill gaps from one cycle before when known, else by interpolation."""
    values = values.copy()
    if period:
        for i in np.flatnonzero(np.isnan(values)):
            if i >= period and not np.isnan(values[i - period]):
                values[i] = values[i - period]
    series = pd.Series(values).interpolate(limit_direction="both")
    return series.to_numpy()
