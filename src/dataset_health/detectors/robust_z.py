"""Robust z-score of the newest value against its recent history.

Why these choices (see DESIGN.md, "What measuring taught us"):

- median and MAD instead of mean and standard deviation, so one past
  incident does not widen the band for weeks;
- the tested point is left out of its own baseline;
- non-negative counts are judged on a log scale, because a partial load is
  "x0.2" and a duplicate load "x2" whatever the volume;
- on a daily cadence the baseline is the same weekday when there are enough
  of them, so Mondays are compared with Mondays and Sundays with Sundays;
- a spread floor keeps a metric that was constant for months from failing on
  a change smaller than ``min_relative_change``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from dataset_health.detectors.base import (
    FAIL,
    INSUFFICIENT_HISTORY,
    PASS,
    BaseDetector,
    Interval,
    Verdict,
    as_float_array,
)

_MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its sigma
_MIN_SEASONAL_POINTS = 4


class RobustZScore(BaseDetector):
    """Flag the newest value when it lies far from the median of its history.

    Parameters
    ----------
    direction : {"both", "up", "down"}, default="both"
        Which deviations count: "down" catches partial loads and mass
        deletes only, "up" duplicate loads only.
    sensitivity : float, default=4.0
        Robust z-score above which the value fails.
    min_history : int, default=7
        Fewer usable past values than this give ``insufficient_history``.
    training_window : int or None, default=56
        How many of the newest past values form the baseline (None: all).
    seasonality : {"auto", "none", "day_of_week"}, default="auto"
        "auto" compares with the same weekday when updates are daily and
        at least ``min_history`` (and four) same-weekday values are in the
        window; with fewer, the whole window is the baseline.
    scale : {"auto", "linear", "log"}, default="auto"
        "auto" uses the log scale when every value is non-negative and some
        exceed 1 (counts), the linear scale otherwise (fractions, gauges).
    min_relative_change : float, default=0.01
        The smallest change, relative to the median, that may fail.

    Attributes
    ----------
    history_ : ndarray
        The usable past values (NaN removed), oldest first.
    timestamps_ : DatetimeIndex or None
        Their timestamps, when given.
    log_scale_ : bool
        Whether the log scale is used.

    Examples
    --------
    >>> detector = RobustZScore(min_history=5)
    >>> detector.check([21000, 20500, 22000, 21400, 20900, 21800, 900]).reason
    'value 900 is 96% below the usual 21,199 (expected 18,708 to 24,022)'
    """

    name: ClassVar[str] = "robust_z"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "direction": ["both", "up", "down"],
        "sensitivity": [Interval(0, None, closed="neither")],
        "min_history": [Interval(1, None)],
        "training_window": [None, Interval(2, None)],
        "seasonality": ["auto", "none", "day_of_week"],
        "scale": ["auto", "linear", "log"],
        "min_relative_change": [Interval(0, None)],
    }

    def __init__(
        self,
        *,
        direction: str = "both",
        sensitivity: float = 4.0,
        min_history: int = 7,
        training_window: int | None = 56,
        seasonality: str = "auto",
        scale: str = "auto",
        min_relative_change: float = 0.01,
    ) -> None:
        self.direction = direction
        self.sensitivity = sensitivity
        self.min_history = min_history
        self.training_window = training_window
        self.seasonality = seasonality
        self.scale = scale
        self.min_relative_change = min_relative_change

    def fit(self, values: Any, timestamps: Any = None) -> "RobustZScore":
        self._validate_params()
        array = as_float_array(values)
        usable = ~np.isnan(array)
        stamps = None if timestamps is None else pd.DatetimeIndex(pd.to_datetime(timestamps))
        if self.training_window is not None:
            keep = np.flatnonzero(usable)[-self.training_window :]
            usable = np.zeros_like(usable)
            usable[keep] = True
        self.history_ = array[usable]
        self.timestamps_ = None if stamps is None else stamps[usable]
        if self.scale == "auto":
            self.log_scale_ = bool(self.history_.size and self.history_.min() >= 0 and self.history_.max() > 1)
        else:
            self.log_scale_ = self.scale == "log"
        return self

    def judge(self, value: Any, timestamp: Any = None, *, metric: str = "value") -> Verdict:
        observed = as_float_array([value])[0]
        baseline, season = self._baseline(timestamp)
        if np.isnan(observed) or baseline.size < self.min_history:
            why = (
                f"{metric} has no numeric value to judge"
                if np.isnan(observed)
                else f"{metric} has {baseline.size} past values, fewer than the {self.min_history} needed"
            )
            return Verdict(INSUFFICIENT_HISTORY, None, _none_if_nan(observed), None, None, None,
                           int(baseline.size), self.name, why)

        forward, backward = self._transform()
        center = float(np.median(forward(baseline)))
        spread = _MAD_TO_SIGMA * float(np.median(np.abs(forward(baseline) - center)))
        spread = max(spread, self._spread_floor(center, backward))
        z = (float(forward(np.array([observed]))[0]) - center) / spread
        score = {"both": abs(z), "up": max(z, 0.0), "down": max(-z, 0.0)}[self.direction]
        status = FAIL if score > self.sensitivity else PASS
        expected = float(backward(np.array([center]))[0])
        lower = float(backward(np.array([center - self.sensitivity * spread]))[0])
        if self.history_.min() >= 0:
            lower = max(lower, 0.0)  # the band of a non-negative metric stops at zero
        upper = float(backward(np.array([center + self.sensitivity * spread]))[0])
        reason = _reason(metric, observed, expected, lower, upper, season)
        return Verdict(status, round(score, 4), observed, expected, lower, upper,
                       int(baseline.size), self.name, reason)

    # ------------------------------------------------------------------
    def _baseline(self, timestamp: Any) -> tuple[np.ndarray, str]:
        history = self.history_
        if self.seasonality == "none" or timestamp is None or self.timestamps_ is None:
            return history, ""
        stamps = self.timestamps_
        daily = stamps.size > 1 and pd.Timedelta(hours=12) <= np.median(np.diff(stamps.asi8)) * pd.Timedelta(1) <= pd.Timedelta(hours=36)
        if self.seasonality == "auto" and not daily:
            return history, ""
        weekday = pd.Timestamp(timestamp).dayofweek
        same = history[stamps.dayofweek == weekday]
        # Too few same-weekday values: the whole history judges better than none.
        if same.size >= max(_MIN_SEASONAL_POINTS, self.min_history):
            return same, pd.Timestamp(timestamp).day_name()
        return history, ""

    def _transform(self):
        if self.log_scale_:
            return np.log1p, np.expm1
        return (lambda a: a), (lambda a: a)

    def _spread_floor(self, center: float, backward) -> float:
        level = abs(float(backward(np.array([center]))[0]))
        if self.log_scale_:
            # Around zero a relative change means nothing; one unit of log1p is
            # "a handful", so a usually-zero count may reach about e^sensitivity.
            return float(np.log1p(self.min_relative_change)) if level > 0 else 1.0
        return max(self.min_relative_change * level, 1e-9)


def _none_if_nan(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _fmt(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.4g}"


def _reason(metric: str, observed: float, expected: float, lower: float, upper: float, season: str) -> str:
    usual = f"the usual {season} " if season else "the usual "
    if observed == expected or (expected and abs(observed - expected) / abs(expected) < 0.005):
        relation = f"in line with {usual}{_fmt(expected)}"
    elif expected:
        change = (observed - expected) / abs(expected) * 100
        direction = "above" if change > 0 else "below"
        relation = f"{abs(change):.0f}% {direction} {usual}{_fmt(expected)}"
    else:
        relation = f"{'above' if observed > expected else 'below'} {usual}{_fmt(expected)}"
    return f"{metric} {_fmt(observed)} is {relation} (expected {_fmt(lower)} to {_fmt(upper)})"
