"""Classic z-score: distance from the mean of recent history in standard deviations.

The naive detector most tools ship (Elementary's anomaly tests, Soda's
anomaly score). It is kept simple on purpose and serves as the reference
the other detectors must beat; it still leaves the tested point out of its
baseline, compares like weekdays with like, and uses the log scale for
counts, because without those it mostly measures the weekly cycle.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from dataset_health.detectors._seasons import seasonal_baseline, weekly_requirement
from dataset_health.detectors._univariate import SHARED_CONSTRAINTS, Estimate, UnivariateDetector


class ZScore(UnivariateDetector):
    """Flag the newest value when it lies more than ``sensitivity`` deviations from the mean.

    Parameters
    ----------
    direction : {"both", "up", "down"}, default="both"
        Which deviations count.
    sensitivity : float, default=3.0
        z-score above which the value fails.
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
        The smallest change, relative to the mean, that may fail.

    Attributes
    ----------
    history_ : ndarray
        The usable past values, oldest first.
    scale_ : str
        The scale used.

    See Also
    --------
    RobustZScore : median and MAD, so one past incident does not widen the band.

    Examples
    --------
    >>> ZScore(min_history=5).check([100, 104, 98, 101, 99, 103, 160]).status
    'fail'
    >>> ZScore(min_history=5).check([100, 104, 98, 101, 99, 103, 102]).reason
    'value 102 is 1% above the usual 101 (expected 94.11 to 108)'
    """

    name: ClassVar[str] = "zscore"
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
        # From four values of its own: a standard deviation pooled over seasons takes in every
        # unlabelled holiday's deviation, which the median-based detectors shrug off.
        baseline = seasonal_baseline(self, self.transformed_, timestamp, center=np.mean, own_spread_from=4)
        deviations = baseline.deviations
        spread = float(np.sqrt(np.sum(deviations**2) / (deviations.size - 1))) if deviations.size > 1 else 0.0
        usual = f"the usual {baseline.label}" if baseline.label else "the usual"
        return self._gaussian(observed, float(baseline.values.mean()), spread, usual=usual)
