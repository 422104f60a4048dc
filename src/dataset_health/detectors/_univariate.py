"""What every single-metric detector shares, written once.

Each detector only learns a model and scores a value with it
(:meth:`UnivariateDetector._fit_model`, :meth:`UnivariateDetector._estimate`).
This base does the rest, the same way for all, because these are the places
where naive detectors raise false alarms on update metadata:

- cleaning: junk and NaN are missing values, rows marked in ``exclude``
  (labelled incidents) are left out, the newest ``training_window`` usable
  values are kept, timestamps are put in order;
- scale: counts are judged on a log scale (a partial load is "x0.1"
  whatever the volume), fractions on their own scale with an absolute floor,
  small discrete counts with a count model (:mod:`._counts`);
- a metric constant over the whole window fails on any real change and
  only then; a discrete metric repeating its previous value is not a new
  anomaly (the change was already reported);
- too little history is its own outcome, never a pass or a false alarm;
- ``direction`` turns a signed score into the score that counts, and the
  verdict carries a reason a person understands.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from dataset_health.detectors._counts import CountModel, is_discrete_count
from dataset_health.detectors._reason import reason, window_too_small
from dataset_health.text import counted
from dataset_health.detectors.base import (
    FAIL,
    INSUFFICIENT_HISTORY,
    PASS,
    BaseDetector,
    Interval,
    Verdict,
    as_float_array,
    as_mask,
    as_timestamp,
    as_timestamps,
)
from dataset_health.detectors.cadence import UNKNOWN, Cadence, infer_cadence
from dataset_health.detectors._seasons import season_mask
from dataset_health.detectors._shifts import level_shift_start, new_level
from dataset_health.detectors.calendar import HOLIDAYS_CONSTRAINT, resolve_holidays

SHARED_CONSTRAINTS: dict[str, list[Any]] = {
    "direction": ["both", "up", "down"],
    "sensitivity": [Interval(0, None, closed="neither")],
    "min_history": [Interval(1, None)],
    "training_window": [None, Interval(2, None)],
    "seasonality": ["auto", "none", "day_of_week"],
    "holidays": HOLIDAYS_CONSTRAINT,
    "scale": ["auto", "linear", "log", "count"],
    "min_relative_change": [Interval(0, None)],
}

_ZERO_INFLATED = 0.3  # share of exact zeros that makes zero a state of its own
_ZERO_COMMON = 0.05  # a zero passes when like past updates were zero this often

# A fraction near 0 still needs a floor: a tenth of min_relative_change in
# absolute terms (0.1 percentage point by default).
_FRACTION_FLOOR_SHARE = 0.1


@dataclass(frozen=True)
class Estimate:
    """A detector's judgement of one value, before ``direction`` applies.

    ``signed`` is positive above the expectation and negative below, in
    units comparable with ``sensitivity``; the band is in the metric's units.
    """

    signed: float
    expected: float
    lower: float | None
    upper: float | None
    usual: str = "the usual"
    note: str = ""


def clean_history(
    values: Any, timestamps: Any, exclude: Any, training_window: int | None
) -> tuple[np.ndarray, pd.DatetimeIndex | None]:
    """Usable values (and their times), oldest first, the newest window only."""
    y = as_float_array(values)
    stamps = as_timestamps(timestamps, y.size)
    keep = ~np.isnan(y)
    if exclude is not None:
        keep &= ~as_mask(exclude, y.size)
    if stamps is not None:
        keep &= ~np.asarray(stamps.isna())
        order = np.argsort(stamps.asi8, kind="stable")
        y, stamps, keep = y[order], stamps[order], keep[order]
    index = np.flatnonzero(keep)
    if training_window is not None:
        index = index[-int(training_window):]
    return y[index], None if stamps is None else stamps[index]


def resolve_scale(scale: str, history: np.ndarray) -> str:
    """'linear', 'log', 'fraction' or 'count' for this history."""
    if scale != "auto":
        return scale
    if history.size == 0:
        return "linear"
    if is_discrete_count(history):
        return "count"
    if history.min() >= 0 and history.max() <= 1 and not np.all(history == np.round(history)):
        return "fraction"
    if history.min() >= 0 and history.max() > 1:
        return "log"
    return "linear"


class UnivariateDetector(BaseDetector):
    """Base of the single-metric detectors; see the module docstring.

    Subclasses declare ``__init__`` with the shared parameters (scikit-learn
    reads parameters from its signature), extend ``SHARED_CONSTRAINTS``, and
    implement ``_fit_model`` and ``_estimate``; optionally
    ``_required_history`` when the model needs more than ``min_history``.
    """

    name: ClassVar[str] = "univariate"

    # ---------------------------------------------------------------- fit
    def fit(self, values: Any, timestamps: Any = None, exclude: Any = None) -> "UnivariateDetector":
        self._validate_params()
        with threadpool_limits(limits=1):  # small matrices: threads only add contention
            return self._fit_clean(*clean_history(values, timestamps, exclude, self.training_window))

    def walk_forward(
        self, values: Any, timestamps: Any = None, exclude: Any = None, *, metric: str = "value"
    ) -> list[Verdict]:
        """The verdict of every row, each from the rows before it only.

        Rows must be in time order; ``exclude`` marks rows left out of every
        later training. Detectors with a ``refit_every`` parameter refit
        their model only every that many rows and meanwhile feed it the new
        values (cheap updates of level or lags); the others refit at every
        row, which gives exactly the verdicts of :meth:`check` on every
        prefix, without cleaning the whole prefix again each time.
        """
        self._validate_params()
        with threadpool_limits(limits=1):  # small matrices: threads only add contention
            return self._walk_forward(as_float_array(values), timestamps, exclude, metric)

    def _walk_forward(self, y: np.ndarray, timestamps: Any, exclude: Any, metric: str) -> list[Verdict]:
        stamps = as_timestamps(timestamps, y.size)
        usable = ~np.isnan(y)
        if exclude is not None:
            usable &= ~as_mask(exclude, y.size)
        positions = np.flatnonzero(usable)
        verdicts, fitted_at, every = [], None, 1
        for t in range(y.size):
            end = int(np.searchsorted(positions, t))
            if fitted_at is None or t - fitted_at >= every or not self.model_fitted_:
                start = 0 if self._window() is None else max(0, end - self._window())
                index = positions[start:end]
                self._fit_clean(y[index], None if stamps is None else stamps[index])
                fitted_at, every = t, self._refit_interval()  # the interval may depend on the cadence
            elif end and positions[end - 1] == t - 1:  # the previous row is news to the model
                self._update(y[t - 1], None if stamps is None else stamps[t - 1])
            verdicts.append(self.judge(y[t], None if stamps is None else stamps[t], metric=metric))
        return verdicts

    def _window(self) -> int | None:
        return None if self.training_window is None else int(self.training_window)

    def _refit_interval(self) -> int:
        """How many rows a fitted model serves in :meth:`walk_forward`."""
        return 1

    def _update(self, value: float, stamp: pd.Timestamp | None) -> None:
        """Tell a fitted model about a new past value without refitting."""

    def _fit_clean(self, history: np.ndarray, stamps: pd.DatetimeIndex | None, *,
                   follow_shifts: bool = True) -> "UnivariateDetector":
        self._describe(history, stamps)
        self.new_level_ = None
        start = level_shift_start(self) if follow_shifts else None
        if start is not None:
            if history.size - start >= self._needed()[0]:
                # Enough updates since the shift: they alone are the new normal.
                self._describe(history[start:], None if stamps is None else stamps[start:])
            else:
                self.new_level_ = new_level(self, start)
        self.count_model_ = None
        self.model_fitted_ = False
        if self._constant() or self.history_.size < self._needed()[0]:
            return self
        if self.scale_ == "count":
            self.count_model_ = CountModel.fit(self.history_, self.sensitivity)
            return self
        self._fit_model(self._forward(self.history_), self.timestamps_)
        self.model_fitted_ = True
        return self

    def _describe(self, history: np.ndarray, stamps: pd.DatetimeIndex | None) -> None:
        self.history_, self.timestamps_ = history, stamps
        self.cadence_: Cadence = infer_cadence(stamps) if stamps is not None else UNKNOWN
        self.holidays_ = resolve_holidays(self.holidays, stamps)
        self.scale_ = self._resolve_scale()
        self.with_zeros_ = None
        zeros = history == 0
        if self.scale_ != "count" and history.size and _ZERO_INFLATED <= zeros.mean() < 1:
            # An idle source reports exact zeros between normal values (a
            # hurdle): zeros are judged by how common they are, the rest by
            # the model, which must not see zeros as its lower tail.
            self.with_zeros_ = (history, stamps)
            self.history_ = history[~zeros]
            self.timestamps_ = None if stamps is None else stamps[~zeros]
            self.scale_ = self._resolve_scale()

    def _zero_share(self, stamp: pd.Timestamp | None) -> float:
        """How often like past updates (same season when known) were exactly zero."""
        history, stamps = self.with_zeros_
        view = copy.copy(self)  # the seasonal grouping of the full history, zeros included
        view.history_, view.timestamps_ = history, stamps
        season = season_mask(view, stamp)
        like = season[0] if season is not None and season[0].any() else np.ones(history.size, dtype=bool)
        return float(np.mean(history[like] == 0))

    def _fit_model(self, z: np.ndarray, stamps: pd.DatetimeIndex | None) -> None:
        """Learn from the transformed history ``z`` (log or linear scale)."""
        raise NotImplementedError

    def _estimate(self, observed: float, timestamp: pd.Timestamp | None) -> Estimate:
        """Judge ``observed`` (metric units) with the fitted model."""
        raise NotImplementedError

    def _resolve_scale(self) -> str:
        return resolve_scale(self.scale, self.history_)

    def _required_history(self) -> tuple[int, str]:
        """The history a model needs beyond ``min_history``, and why."""
        return 0, ""

    # -------------------------------------------------------------- judge
    def judge(self, value: Any, timestamp: Any = None, *, metric: str = "value") -> Verdict:
        check_is_fitted(self, "history_")
        observed = float(as_float_array([value])[0])
        stamp = as_timestamp(timestamp)
        size = int(self.history_.size)
        needed, why = self._needed()
        if np.isnan(observed):
            return self._insufficient(observed, size, f"{metric} has no numeric value to judge")
        if size < needed:
            what = f"{counted(size, 'past value')}, fewer than the {needed} needed" + (f" {why}" if why else "")
            return self._insufficient(observed, size, f"{metric} has {what}{window_too_small(self, needed)}")
        return self._verdict(observed, self._assess(observed, stamp), size, metric)

    def _assess(self, observed: float, stamp: pd.Timestamp | None) -> Estimate:
        """The estimate of a numeric value, given enough history."""
        if observed == 0 and self.with_zeros_ is not None:
            share = self._zero_share(stamp)
            if share >= _ZERO_COMMON:
                return Estimate(0.0, 0.0, 0.0, None, "a usual", f"zero in {share:.0%} of like past updates")
        if self._constant():
            estimate = self._constant_estimate(observed)
        elif self.scale_ == "count" and observed == self.history_[-1]:
            estimate = Estimate(0.0, observed, None, None, "the previous update's",
                                "a discrete metric repeating its previous value")
        elif self.scale_ == "count":
            estimate = self._count_estimate(observed)
        else:
            estimate = self._estimate(observed, stamp)
        if self.new_level_ is not None:
            # Normal is now the old level or the new one: fail only against both.
            center, noise, since = self.new_level_
            when = "" if since is None else f" since {since:%Y-%m-%d}"
            alternative = self._gaussian(observed, center, noise, usual="the new level", note=f"level shift{when}")
            if abs(alternative.signed) < abs(estimate.signed):
                estimate = alternative
        return estimate

    def _needed(self) -> tuple[int, str]:
        extra, why = self._required_history()
        return (max(int(self.min_history), extra), why) if extra > self.min_history else (int(self.min_history), "")

    def _constant(self) -> bool:
        return self.history_.size > 0 and bool(np.all(self.history_ == self.history_[0]))

    def _insufficient(self, observed: float, size: int, why: str) -> Verdict:
        return Verdict(INSUFFICIENT_HISTORY, None, None if np.isnan(observed) else observed,
                       None, None, None, size, self.name, why)

    def _verdict(self, observed: float, estimate: Estimate, size: int, metric: str) -> Verdict:
        signed = estimate.signed
        score = {"both": abs(signed), "up": max(signed, 0.0), "down": max(-signed, 0.0)}[self.direction]
        lower = None if self.direction == "up" else estimate.lower
        upper = None if self.direction == "down" else estimate.upper
        if lower is not None and self.history_.min() >= 0 and observed >= 0:
            # The band of a non-negative metric stops at zero, unless the value itself is
            # below it: a band ending at 0 would contradict a negative value that passes.
            lower = max(lower, 0.0)
        status = FAIL if score > self.sensitivity else PASS
        why = reason(metric, observed, estimate.expected, lower, upper, usual=estimate.usual, note=estimate.note)
        return Verdict(status, round(float(score), 4), observed, float(estimate.expected),
                       None if lower is None else float(lower), None if upper is None else float(upper),
                       size, self.name, why)

    # ----------------------------------------------------- shared models
    def _constant_estimate(self, observed: float) -> Estimate:
        level = float(self.history_[0])
        # The band's own floor, so that the status and the band agree; a metric
        # constant at 0 has none, and a move off it is scored against its own floor.
        floor = self._raw_floor(abs(level)) or self._raw_floor(abs(observed))
        signed = (observed - level) / floor if floor > 0 else 0.0
        margin = self.sensitivity * self._raw_floor(abs(level))
        if margin == 0 and observed != level:
            # A band of width zero ("expected 0 to 0"): any move leaves it, so it fails.
            signed = float(np.copysign(max(abs(signed), 2 * self.sensitivity), observed - level))
        return Estimate(signed, level, level - margin, level + margin,
                        note=f"constant over the last {self.history_.size} updates")

    def _raw_floor(self, level: float) -> float:
        """The smallest spread, in metric units, at a given level."""
        if self.scale_ == "fraction":
            return self.min_relative_change * max(level, _FRACTION_FLOOR_SHARE)
        return self.min_relative_change * level

    def _count_estimate(self, observed: float) -> Estimate:
        model = self.count_model_
        lower, upper = model.band(self.sensitivity)
        nonzero = int(np.count_nonzero(self.history_))
        note = (f"{nonzero} of {self.history_.size} past updates non-zero"
                if model.median == 0 else "a discrete count")
        return Estimate(model.signed_score(observed), model.median, lower, upper, note=note)

    # --------------------------------------------------- scale and floors
    def _forward(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        return np.log1p(np.maximum(values, 0)) if self.scale_ == "log" else values

    def _backward(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        return np.expm1(values) if self.scale_ == "log" else values

    def _spread_floor(self, center: float) -> float:
        """The smallest spread on the model's scale, around ``center`` (model scale).

        It keeps a metric that barely moved from failing on a change smaller
        than about ``sensitivity * min_relative_change``.
        """
        level = abs(float(self._backward(np.array([center]))[0]))
        if self.scale_ == "log":
            # Around zero a relative change means nothing; one unit of log1p is
            # "a handful", so a usually-zero count may reach about e^sensitivity.
            return float(np.log1p(self.min_relative_change)) if level > 0 else 1.0
        return max(self._raw_floor(level), 1e-9)

    def _gaussian(self, observed: float, center: float, spread: float, *,
                  usual: str = "the usual", note: str = "") -> Estimate:
        """An estimate from a center and spread on the model scale."""
        spread = max(spread, self._spread_floor(center))
        z = (float(self._forward(np.array([observed]))[0]) - center) / spread
        low, mid, high = self._backward(np.array([center - self.sensitivity * spread, center,
                                                  center + self.sensitivity * spread]))
        if self.history_.min() >= 0:  # a forecast of a non-negative metric stays non-negative
            mid, high = max(mid, 0.0), max(high, 0.0)
        return Estimate(z, float(mid), float(low), float(high), usual, note)
