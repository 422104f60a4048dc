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
from threadpoolctl import threadpool_limits

from dataset_health.detectors._counts import CountModel, is_discrete_count
from dataset_health.detectors._reason import reason
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
from dataset_health.detectors.calendar import (
    CLOSED_DAYS,
    HOLIDAY,
    HOLIDAYS_CONSTRAINT,
    day_kind,
    resolve_holidays,
)

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

_MAD_TO_SIGMA = 1.4826
_SHIFT_CONFIRMATIONS = 2  # updates failing on the same side that make a new level
_MIN_BEFORE_SHIFT = 3  # values before a shift needed to call it one
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


def _head(stamps: pd.DatetimeIndex | None, size: int) -> pd.DatetimeIndex | None:
    return None if stamps is None else stamps[:size]


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
        start = self._level_shift_start() if follow_shifts else None
        if start is not None:
            if history.size - start >= self._needed()[0]:
                # Enough updates since the shift: they alone are the new normal.
                self._describe(history[start:], None if stamps is None else stamps[start:])
            else:
                self.new_level_ = self._new_level(start)
        self.count_model_ = None
        self.model_fitted_ = False
        if self._judged_by_base() or self.history_.size < self._needed()[0]:
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
        if self.scale_ != "count" and _ZERO_INFLATED <= zeros.mean() < 1:
            # An idle source reports exact zeros between normal values (a
            # hurdle): zeros are judged by how common they are, the rest by
            # the model, which must not see zeros as its lower tail.
            self.with_zeros_ = (history, stamps)
            self.history_ = history[~zeros]
            self.timestamps_ = None if stamps is None else stamps[~zeros]
            self.scale_ = self._resolve_scale()

    # -------------------------------------------------------- level shifts
    def _level_shift_start(self) -> int | None:
        """Where a lasting level shift began, if the newest updates show one.

        A metric that changes legitimately once (a new column, a bigger
        source, nulls fixed for good) would otherwise fail on every update
        until the window forgets the old level. Two views, because a short
        run of odd values must be judged by the model (a weekend is not a
        shift) while a long one can be seen plainly:

        - long: the newest ``min_history`` or more values all lie beyond
          ``sensitivity`` robust deviations of the values before them, on one
          side; they alone are then the history;
        - short: the last ``_SHIFT_CONFIRMATIONS`` values all fail on one
          side under the model fitted without them; they are then an
          alternative level a new value may match.
        """
        n, k = self.history_.size, _SHIFT_CONFIRMATIONS
        needed = self._needed()[0]
        if n < needed + k or self._constant():
            return None
        z = self._forward(self.history_)
        for length in sorted({n - _MIN_BEFORE_SHIFT, 3 * n // 4, n // 2, needed}, reverse=True):
            if needed <= length <= n - _MIN_BEFORE_SHIFT and self._beyond(z[:n - length], z[n - length:]):
                return n - length
        if self.scale_ == "count":
            return None  # a discrete metric repeating a new value passes anyway; see _assess
        # The short view asks a seasonal robust baseline, not the detector's
        # own model: as cheap for a forest as for a median, and a weekend
        # is compared with weekends, so it is never a "new level".
        view = copy.copy(self)
        view.history_, view.timestamps_ = self.history_[:-k], _head(self.timestamps_, n - k)
        sides = set()
        for i in range(n - k, n):
            baseline = seasonal_baseline(view, z[:n - k], None if self.timestamps_ is None else self.timestamps_[i])
            sides.add(self._side(baseline, z[i:i + 1]))
        return n - k if len(sides) == 1 and 0 not in sides else None

    def _zero_share(self, stamp: pd.Timestamp | None) -> float:
        """How often like past updates (same season when known) were exactly zero."""
        history, stamps = self.with_zeros_
        view = copy.copy(self)  # the seasonal grouping of the full history, zeros included
        view.history_, view.timestamps_ = history, stamps
        season = season_mask(view, stamp)
        like = season[0] if season is not None and season[0].any() else np.ones(history.size, dtype=bool)
        return float(np.mean(history[like] == 0))

    def _beyond(self, before: np.ndarray, after: np.ndarray) -> bool:
        """Whether every value of ``after`` lies far from ``before``, all on one side."""
        return self._side(Baseline(before, before - np.median(before), ""), after) != 0

    def _side(self, baseline: Baseline, after: np.ndarray) -> int:
        """+1 or -1 when every value of ``after`` lies far above or below the baseline, else 0."""
        center = float(np.median(baseline.values))
        spread = max(_MAD_TO_SIGMA * float(np.median(np.abs(baseline.deviations))), self._spread_floor(center))
        scores = (after - center) / spread
        return 1 if np.all(scores > self.sensitivity) else -1 if np.all(scores < -self.sensitivity) else 0

    def _new_level(self, start: int) -> tuple[float, float, pd.Timestamp | None]:
        """Center and noise (model scale) of the updates since a shift, and its time."""
        z = self._forward(self.history_)
        before = np.diff(z[:start])
        noise = _MAD_TO_SIGMA * float(np.median(np.abs(before - np.median(before)))) / np.sqrt(2) if before.size else 0.0
        return float(np.median(z[start:])), noise, None if self.timestamps_ is None else self.timestamps_[start]

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
        observed = float(as_float_array([value])[0])
        stamp = as_timestamp(timestamp)
        size = int(self.history_.size)
        needed, why = self._needed()
        if np.isnan(observed):
            return self._insufficient(observed, size, f"{metric} has no numeric value to judge")
        if size < needed:
            what = f"{size} past values, fewer than the {needed} needed" + (f" {why}" if why else "")
            return self._insufficient(observed, size, f"{metric} has {what}")
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

    def _judged_by_base(self) -> bool:
        return self._constant()

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
        if lower is not None and self.history_.min() >= 0:
            lower = max(lower, 0.0)  # the band of a non-negative metric stops at zero
        status = FAIL if score > self.sensitivity else PASS
        why = reason(metric, observed, estimate.expected, lower, upper, usual=estimate.usual, note=estimate.note)
        return Verdict(status, round(float(score), 4), observed, float(estimate.expected),
                       None if lower is None else float(lower), None if upper is None else float(upper),
                       size, self.name, why)

    # ----------------------------------------------------- shared models
    def _constant_estimate(self, observed: float) -> Estimate:
        level = float(self.history_[0])
        floor = self._raw_floor(max(abs(level), abs(observed)))
        signed = (observed - level) / floor if floor > 0 else 0.0
        margin = self.sensitivity * self._raw_floor(abs(level))
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


_MIN_SEASONAL_POINTS = 4  # same-season values that measure their own spread
_TWO_WEEKS = 14


@dataclass(frozen=True)
class Baseline:
    """The past values a new value is compared with, on the model scale.

    ``values`` set the center; ``deviations`` set the spread. With few
    values of the same season (two Mondays), their median is still the best
    center, but their spread is unreliable: ``deviations`` then pools every
    season's deviations from its own median (weekday-to-weekday noise).
    """

    values: np.ndarray
    deviations: np.ndarray
    label: str


def season_mask(detector: UnivariateDetector, timestamp: pd.Timestamp | None) -> tuple[np.ndarray, str] | None:
    """Which past values share the season of ``timestamp``, and its name (None: no season).

    Daily updates share a weekday, and a holiday shares with weekends and
    past holidays; hourly updates (``seasonality="auto"``) share the hour.
    """
    keys = _season_keys(detector, detector.timestamps_)
    if keys is None or timestamp is None:
        return None
    key = int(_season_keys(detector, pd.DatetimeIndex([timestamp]))[0])
    if key == HOLIDAY and _by_day(detector):
        return np.isin(keys, CLOSED_DAYS), "weekend or holiday"
    label = timestamp.day_name() if _by_day(detector) else f"{timestamp.hour:02d}:00"
    return keys == key, label


def seasonal_baseline(
    detector: UnivariateDetector, z: np.ndarray, timestamp: pd.Timestamp | None, center: Any = np.median
) -> Baseline:
    """The baseline of a new value among the transformed history ``z``."""
    season = season_mask(detector, timestamp)
    if season is not None:
        mask, label = season
        if mask.sum() >= max(_MIN_SEASONAL_POINTS, detector.min_history):
            return Baseline(z[mask], z[mask] - center(z[mask]), label)
        if mask.sum() >= 2:
            keys = _season_keys(detector, detector.timestamps_)
            pooled = [z[keys == k] - center(z[keys == k]) for k in np.unique(keys) if (keys == k).sum() >= 2]
            return Baseline(z[mask], np.concatenate(pooled), label)
    return Baseline(z, z - center(z), "")


def weekly_requirement(detector: UnivariateDetector) -> tuple[int, str]:
    """Two weeks of daily history before a weekday can be judged against its like."""
    if detector.timestamps_ is not None and _by_day(detector):
        return _TWO_WEEKS, "(two weeks, to learn the weekly pattern)"
    return 0, ""


def _by_day(detector: UnivariateDetector) -> bool:
    return detector.seasonality == "day_of_week" or (
        detector.seasonality == "auto" and detector.cadence_.name == "daily")


def _season_keys(detector: UnivariateDetector, stamps: pd.DatetimeIndex | None) -> np.ndarray | None:
    if detector.seasonality == "none" or stamps is None or detector.timestamps_ is None:
        return None
    if _by_day(detector):
        return day_kind(stamps, detector.holidays_)
    if detector.cadence_.name == "hourly":
        return np.asarray(stamps.hour)
    return None
