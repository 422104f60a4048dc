"""How often a dataset updates, and which seasonal periods that implies.

Seasonal detectors need a period in updates. An archive rarely says it, but
its timestamps do: hourly updates repeat daily (24) and weekly (168), daily
updates weekly (7), weekly ones yearly (52), monthly ones yearly (12).
Real archives miss runs and publish twice some days, so the cadence is the
median spacing, and it counts as regular when most spacings are close to it.
When the spacing is regular but none of those, the period can be read from
the data (:func:`period_from_data`).

Examples
--------
>>> import pandas as pd
>>> infer_cadence(pd.date_range("2024-01-01", periods=60, freq="D")).periods
(7,)
>>> infer_cadence(pd.date_range("2024-01-01", periods=400, freq="h")).name
'hourly'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dataset_health.detectors._robust import median

_REGULAR_SHARE = 0.6  # spacings within a factor 1.5 of the median, for a regular cadence

# (name, typical spacing, tolerance as a factor, natural periods shortest first)
_KNOWN = (
    ("5min", pd.Timedelta(minutes=5), 1.3, (288,)),
    ("hourly", pd.Timedelta(hours=1), 1.3, (24, 168)),
    ("daily", pd.Timedelta(days=1), 1.5, (7,)),
    ("weekly", pd.Timedelta(days=7), 1.3, (52,)),
    ("monthly", pd.Timedelta(days=30.4), 1.2, (12,)),
)


@dataclass(frozen=True)
class Cadence:
    """The update rhythm: a name, the typical spacing and its seasonal periods."""

    name: str
    step: pd.Timedelta | None
    periods: tuple[int, ...] = ()

    @property
    def regular(self) -> bool:
        return self.step is not None


UNKNOWN = Cadence("unknown", None)
IRREGULAR = Cadence("irregular", None)


def infer_cadence(stamps: pd.DatetimeIndex | np.ndarray | None) -> Cadence:
    """The cadence of an ordered series of update timestamps.

    ``stamps`` is a DatetimeIndex, an array of int64 UTC nanoseconds or a
    datetime64 array of any unit.
    """
    if stamps is None or len(stamps) < 4:
        return UNKNOWN
    # Walk-forward loops ask at every update with int64 nanoseconds: an
    # index built for the question would cost more than the answer.
    nanoseconds = np.asarray(stamps) if _is_int64(stamps) else pd.DatetimeIndex(stamps).as_unit("ns").asi8
    gaps = np.diff(nanoseconds)
    gaps = gaps[gaps > 0]
    if gaps.size < 3:
        return UNKNOWN
    typical = median(gaps)
    regular = np.mean((gaps >= typical / 1.5) & (gaps <= typical * 1.5))
    if regular < _REGULAR_SHARE:
        return IRREGULAR
    step = pd.Timedelta(int(typical), "ns")
    for name, typical, tolerance, periods in _KNOWN:
        if typical / tolerance <= step <= typical * tolerance:
            return Cadence(name, step, periods)
    return Cadence("regular", step)


def _is_int64(stamps: pd.DatetimeIndex | np.ndarray) -> bool:
    return isinstance(stamps, np.ndarray) and stamps.dtype == np.int64


def phase(stamps: pd.DatetimeIndex, cadence: Cadence, period: int) -> np.ndarray:
    """The position of each stamp within a seasonal cycle, from the calendar.

    Calendar positions survive missed runs, unlike counting updates.
    """
    key = (cadence.name, period)
    if key == ("hourly", 24):
        return np.asarray(stamps.hour)
    if key == ("hourly", 168):
        return np.asarray(stamps.dayofweek * 24 + stamps.hour)
    if key == ("daily", 7):
        return np.asarray(stamps.dayofweek)
    if key == ("5min", 288):
        return np.asarray((stamps.hour * 60 + stamps.minute) // 5)
    if key == ("weekly", 52):
        return np.minimum(np.asarray(stamps.isocalendar().week, dtype=int) - 1, 51)
    if key == ("monthly", 12):
        return np.asarray(stamps.month - 1)
    if cadence.step is None:
        raise ValueError(f"no seasonal phase for an {cadence.name} cadence")
    slots = np.rint((stamps.asi8 - stamps.asi8[0]) / cadence.step.value).astype(np.int64)
    return slots % period


def period_from_data(values: np.ndarray, max_period: int, *, min_correlation: float = 0.3) -> int | None:
    """The lag of the strongest autocorrelation peak of a detrended series.

    Returns None when no lag in ``[2, max_period]`` correlates above
    ``min_correlation`` more than its neighbours, i.e. no visible season.
    """
    y = np.asarray(values, dtype=float)
    y = y[~np.isnan(y)]
    max_period = min(max_period, y.size // 3)
    if max_period < 2:
        return None
    y = np.diff(y) if y.size > 3 else y  # differencing removes a trend that swamps the ACF
    y = y - y.mean()
    denominator = float(np.dot(y, y))
    if denominator == 0:
        return None
    acf = np.array([np.dot(y[:-lag], y[lag:]) / denominator for lag in range(1, max_period + 2)])
    best, best_value = None, min_correlation
    for lag in range(2, max_period + 1):
        value = acf[lag - 1]
        if value > best_value and value >= acf[lag - 2] and value >= acf[lag]:
            best, best_value = lag, value
    return best
