"""Robust z-score of the newest value against its recent history.

Why these choices (see DESIGN.md, "What measuring taught us"):

- median and MAD instead of mean and standard deviation, so one past
  incident does not widen the band for weeks;
- the tested point is left out of its own baseline;
- non-negative counts are judged on a log scale, because a partial load is
  "x0.2" and a duplicate load "x2" whatever the volume;
- on a daily cadence the baseline is the same weekday when there are enough
  of them, so Mondays are compared with Mondays and Sundays with Sundays,
  and with a holiday calendar a holiday with weekends and past holidays;
- a spread floor keeps a metric that was constant for months from failing on
  a change smaller than ``min_relative_change``; small discrete counts get a
  count model (see :mod:`dataset_health.detectors._univariate`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from dataset_health.detectors._robust import mad_sigma, median
from dataset_health.detectors._seasons import seasonal_baseline, weekly_requirement
from dataset_health.detectors._univariate import SHARED_CONSTRAINTS, Estimate, UnivariateDetector



class RobustZScore(UnivariateDetector):
    """Flag the newest value when it lies far from the median of its history.

    Parameters
    ----------
    direction : {"both", "up", "down"}, default="both"
        Which deviations count: "down" catches partial loads and mass
        deletes only, "up" duplicate loads only.
    sensitivity : float, default=4.0
        Robust z-score above which the value fails.
    min_history : int, default=7
        Fewer usable past values than this give ``insufficient_history``;
        on a daily cadence, two weeks are needed to learn the weekly pattern.
    training_window : int or None, default=56
        How many of the newest past values form the baseline (None: all).
    seasonality : {"auto", "none", "day_of_week"}, default="auto"
        "auto" compares with the same weekday when updates are daily (with
        the same hour of day when hourly); with fewer than ``min_history``
        (and four) such values, their spread is pooled over all weekdays.
        "day_of_week" uses weekdays whatever the cadence.
    holidays : None, "us_federal" or list of dates, default=None
        Holidays are compared with weekends and past holidays, not with
        their weekday (see :mod:`dataset_health.detectors.calendar`).
    scale : {"auto", "linear", "log", "count"}, default="auto"
        "auto" uses a count model for small discrete counts, the log scale
        when every value is non-negative and some exceed 1 (counts), the
        linear scale otherwise (fractions, gauges).
    min_relative_change : float, default=0.01
        The smallest change, relative to the median, that may fail.

    Attributes
    ----------
    history_ : ndarray
        The usable past values (NaN and excluded rows removed), oldest first.
    timestamps_ : DatetimeIndex or None
        Their timestamps, when given.
    scale_ : str
        The scale used: "linear", "log", "fraction" or "count".
    cadence_ : Cadence
        The update cadence read from the timestamps.

    See Also
    --------
    ZScore : the same with mean and standard deviation.
    IQRDetector : Tukey's fences around the quartiles.

    Examples
    --------
    >>> detector = RobustZScore(min_history=5)
    >>> detector.check([21000, 20500, 22000, 21400, 20900, 21800, 900]).reason
    'value 900 is 96% below the usual 21,199 (expected 18,708 to 24,022)'
    """

    name: ClassVar[str] = "robust_z"
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

    @property
    def log_scale_(self) -> bool:
        """Whether the log scale is used (kept for callers of earlier releases)."""
        return self.scale_ == "log"

    def _required_history(self) -> tuple[int, str]:
        return weekly_requirement(self)

    def _fit_model(self, z: np.ndarray, stamps: pd.DatetimeIndex | None) -> None:
        self.transformed_ = z  # the median and MAD depend on the season judged

    def _estimate(self, observed: float, timestamp: pd.Timestamp | None) -> Estimate:
        baseline = seasonal_baseline(self, self.transformed_, timestamp)
        center = median(baseline.values)
        spread = mad_sigma(baseline.deviations, 0.0)
        usual = f"the usual {baseline.label}" if baseline.label else "the usual"
        return self._gaussian(observed, center, spread, usual=usual)
