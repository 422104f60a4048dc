"""Change detectors: judge how much a metric moved since its reference update.

``row_count`` grows on every update, so its level is always "new"; what
must look normal is its change. These detectors learn the usual change
from the history (median and MAD of past changes, so a steady growth trend
is the expectation, not an anomaly) and score the newest change against it:

- :class:`RateOfChange` on the log scale for counts: a relative change,
  "x0.1" or "x2" whatever the volume (Deequ's RelativeRateOfChange, with
  a learned instead of a fixed bound);
- :class:`AbsoluteChange` on the metric's own scale: for fractions and
  gauges, where +0.68 of null fraction matters whatever the level.

The reference is the previous update, or on a daily cadence the same
weekday a week before (a Monday is not a Sunday plus the usual change).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from dataset_health.detectors._reason import fmt
from dataset_health.detectors._robust import mad_sigma, median
from dataset_health.detectors._univariate import SHARED_CONSTRAINTS, Estimate, UnivariateDetector
from dataset_health.detectors.calendar import CLOSED_DAYS, HOLIDAY, day_kind

_MAX_SEASONAL_LAG = pd.Timedelta(days=21)  # a "same weekday" older than this is no reference


class _ChangeDetector(UnivariateDetector):
    """Shared by both change detectors: references, past changes, the score."""

    def _seasonal(self) -> bool:
        if self.seasonality == "none" or self.timestamps_ is None:
            return False
        return self.seasonality == "day_of_week" or self.cadence_.name == "daily"

    def _groups(self, stamps: pd.DatetimeIndex) -> np.ndarray:
        kinds = day_kind(stamps, self.holidays_)
        return np.where(np.isin(kinds, CLOSED_DAYS) & (kinds == HOLIDAY), HOLIDAY, kinds)

    def _fit_model(self, z: np.ndarray, stamps: pd.DatetimeIndex | None) -> None:
        self.transformed_ = z
        if not self._seasonal():
            self.groups_ = None
            changes = np.diff(z)
        else:
            self.groups_ = self._groups(stamps)
            references = [self._reference(i) for i in range(z.size)]
            changes = np.array([z[i] - z[r].mean() for i, r in enumerate(references) if r is not None])
        self.changes_ = changes

    def _reference(self, i: int, group: int | None = None, stamp: pd.Timestamp | None = None) -> np.ndarray | None:
        """Indices of the reference of history row ``i`` (or of a new value when i = size).

        One index: the previous update, or the same weekday before. A holiday
        is referred to the last two closed days (a Saturday and a Sunday
        differ; a holiday is like both).
        """
        if self.groups_ is None:
            return np.array([i - 1]) if i > 0 else None
        group = self.groups_[i] if group is None else group
        stamp = self.timestamps_[i] if stamp is None else stamp
        wanted, count = (CLOSED_DAYS, 2) if group == HOLIDAY else ((group,), 1)
        found = []
        for j in range(i - 1, -1, -1):
            if stamp - self.timestamps_[j] > _MAX_SEASONAL_LAG:
                break
            if self.groups_[j] in wanted:
                found.append(j)
                if len(found) == count:
                    return np.array(found)
        return np.array(found) if found else None

    def _required_history(self) -> tuple[int, str]:
        return (15, "(two weeks, to compare each weekday with the one before)") if self._seasonal() else (0, "")

    def _estimate(self, observed: float, timestamp: pd.Timestamp | None) -> Estimate:
        ref, what = np.array([self.history_.size - 1]), "the previous update"
        if self.groups_ is not None and timestamp is not None:
            group = int(self._groups(pd.DatetimeIndex([timestamp]))[0])
            found = self._reference(self.history_.size, group, timestamp)
            # No like day within three weeks: the previous update is the best we have.
            if found is not None:
                ref = found
                what = ("the weekend days or holidays before" if group == HOLIDAY
                        else f"the {timestamp.day_name()} before")
        if self.changes_.size < 2:
            center, spread = 0.0, 0.0
        else:
            center = median(self.changes_)
            spread = mad_sigma(self.changes_, center)
        base = float(self.transformed_[ref].mean())
        spread = max(spread, self._spread_floor(base))
        x = float(self._forward(np.array([observed]))[0])
        signed = (x - base - center) / spread
        low, mid, high = self._backward(np.array([base + center - self.sensitivity * spread, base + center,
                                                  base + center + self.sensitivity * spread]))
        reference = float(self._backward(np.array([base]))[0])
        note = f"from {what}, {fmt(reference)}, plus the usual change"
        return Estimate(float(signed), float(mid), float(low), float(high), "the expected", note)


_DOC_PARAMETERS = """
    Parameters
    ----------
    direction : {"both", "up", "down"}, default="both"
        Which changes count: "down" for drops, "up" for jumps.
    sensitivity : float, default=4.0
        Robust z-score of the change above which the value fails.
    min_history : int, default=7
        Fewer usable past values than this give ``insufficient_history``.
    training_window : int or None, default=56
        How many of the newest past values the usual change is learned from.
    seasonality : {"auto", "none", "day_of_week"}, default="auto"
        "auto" compares a daily update with the same weekday a week before
        (then 15 past values are needed), other cadences with the previous
        update; "none" always with the previous update.
    holidays : None, "us_federal" or list of dates, default=None
        A holiday is compared with the last weekend day or holiday.
    scale : {"auto", "linear", "log", "count"}, default="auto"
        See :class:`~dataset_health.detectors.RobustZScore`.
    min_relative_change : float, default=0.01
        The smallest change, relative to the reference value, that may fail.

    Attributes
    ----------
    changes_ : ndarray
        The past changes the usual change is learned from.
    scale_ : str
        The scale used.
"""


class RateOfChange(_ChangeDetector):
    __doc__ = """Flag an unusual relative change since the reference update.

    Counts are compared on the log scale, so the score measures "x0.1" or
    "x2" against the usual ratio between updates; a steady growth is the
    usual ratio.
    """ + _DOC_PARAMETERS + """
    Examples
    --------
    >>> counts = [1000, 1010, 1021, 1030, 1041, 1050, 1062, 1071, 1080, 540]
    >>> RateOfChange(min_history=5).check(counts).status
    'fail'
    >>> RateOfChange(min_history=5).check(counts[:-1] + [1090]).status
    'pass'
    """

    name: ClassVar[str] = "rate_of_change"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = dict(SHARED_CONSTRAINTS)

    def __init__(
        self,
        *,
        direction: str = "both",
        sensitivity: float = 4.0,
        min_history: int = 7,
        training_window: int | None = 56,
        seasonality: str = "auto",
        holidays: Any = None,
        scale: str = "auto",
        min_relative_change: float = 0.01,
    ) -> None:
        self.direction = direction
        self.sensitivity = sensitivity
        self.min_history = min_history
        self.training_window = training_window
        self.seasonality = seasonality
        self.holidays = holidays
        self.scale = scale
        self.min_relative_change = min_relative_change


class AbsoluteChange(_ChangeDetector):
    __doc__ = """Flag an unusual absolute change since the reference update.

    The change is measured in the metric's own units, never on a log scale:
    right for fractions (a null fraction 0.02 -> 0.7) and gauges, where a
    relative change means little near zero.
    """ + _DOC_PARAMETERS + """
    Examples
    --------
    >>> nulls = [0.020, 0.021, 0.019, 0.022, 0.020, 0.018, 0.021, 0.70]
    >>> print(AbsoluteChange(min_history=5).check(nulls, metric="null_fraction").reason)
    null_fraction 0.7 is 34 times the expected 0.0205 (expected 0.0116 to 0.0294; from the previous update, 0.021, plus the usual change)
    """

    name: ClassVar[str] = "absolute_change"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = dict(SHARED_CONSTRAINTS)

    def __init__(
        self,
        *,
        direction: str = "both",
        sensitivity: float = 4.0,
        min_history: int = 7,
        training_window: int | None = 56,
        seasonality: str = "auto",
        holidays: Any = None,
        scale: str = "auto",
        min_relative_change: float = 0.01,
    ) -> None:
        self.direction = direction
        self.sensitivity = sensitivity
        self.min_history = min_history
        self.training_window = training_window
        self.seasonality = seasonality
        self.holidays = holidays
        self.scale = scale
        self.min_relative_change = min_relative_change

    def _resolve_scale(self) -> str:
        scale = super()._resolve_scale()
        return "linear" if scale == "log" else scale  # absolute means the metric's own units
