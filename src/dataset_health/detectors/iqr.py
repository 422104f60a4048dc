"""Tukey's fences: flag values far outside the interquartile range.

Quartiles ignore the tails, so a few past incidents do not move the
fences; the score is how many interquartile ranges the value lies beyond
the nearer quartile (Tukey's k: 1.5 "outside", 3 "far out").
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from dataset_health.detectors._robust import median
from dataset_health.detectors._seasons import seasonal_baseline, weekly_requirement
from dataset_health.detectors._univariate import SHARED_CONSTRAINTS, Estimate, UnivariateDetector

_IQR_TO_SIGMA = 1.349  # the IQR of a normal distribution in standard deviations


class IQRDetector(UnivariateDetector):
    """Flag the newest value when it lies beyond Tukey's fences of its history.

    Parameters
    ----------
    direction : {"both", "up", "down"}, default="both"
        Which deviations count.
    sensitivity : float, default=3.0
        Tukey's k: the value fails when it lies more than k interquartile
        ranges beyond the nearer quartile (3 is Tukey's "far out", about
        4.7 standard deviations of a normal distribution).
    min_history : int, default=7
        Fewer usable past values than this give ``insufficient_history``.
    training_window : int or None, default=56
        How many of the newest past values form the baseline (None: all).
    seasonality : {"auto", "none", "day_of_week"}, default="auto"
        Baseline of the same weekday (daily cadence) or hour (hourly).
    holidays : None, "us_federal" or list of dates, default=None
        Holidays are compared with weekends and past holidays.
    scale : {"auto", "linear", "log", "count"}, default="auto"
        See :class:`~dataset_health.detectors.RobustZScore`.
    min_relative_change : float, default=0.01
        Floor of the spread, relative to the median, so a near-constant
        metric does not fail on a tiny change.

    Attributes
    ----------
    history_ : ndarray
        The usable past values, oldest first.
    scale_ : str
        The scale used.

    Examples
    --------
    >>> detector = IQRDetector(min_history=5)
    >>> detector.check([100, 104, 98, 101, 99, 103, 150]).status
    'fail'
    >>> detector.check([100, 104, 98, 101, 99, 103, 106]).status
    'pass'
    """

    name: ClassVar[str] = "iqr"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = dict(SHARED_CONSTRAINTS)

    def __init__(
        self,
        *,
        direction: str = "both",
        sensitivity: float = 3.0,
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

    def _required_history(self) -> tuple[int, str]:
        return weekly_requirement(self)

    def _fit_model(self, z: np.ndarray, stamps: pd.DatetimeIndex | None) -> None:
        self.transformed_ = z

    def _estimate(self, observed: float, timestamp: pd.Timestamp | None) -> Estimate:
        baseline = seasonal_baseline(self, self.transformed_, timestamp)
        center = median(baseline.values)
        q1, q3 = center + np.percentile(baseline.deviations, [25, 75])
        season = baseline.label
        iqr = max(q3 - q1, _IQR_TO_SIGMA * self._spread_floor(center))
        x = float(self._forward(np.array([observed]))[0])
        signed = (x - q3) / iqr if x > q3 else (x - q1) / iqr if x < q1 else 0.0
        k = self.sensitivity
        low, mid, high = self._backward(np.array([q1 - k * iqr, center, q3 + k * iqr]))
        usual = f"the usual {season}" if season else "the usual"
        return Estimate(float(signed), float(mid), float(low), float(high), usual)
