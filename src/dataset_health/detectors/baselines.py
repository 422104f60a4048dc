"""Baselines: faithful reimplementations of what data teams use today.

These are the anchors every detector of this library is measured against
(``bench/``, ``../shared/benchmark/BASELINES.md``). They copy the tools'
arithmetic, including the choices DESIGN.md argues against, because a
baseline that is quietly improved is no baseline:

- :class:`ElementaryZScore`: Elementary's anomaly tests (dbt package
  ``elementary``, ``get_anomaly_scores_query``): mean and sample standard
  deviation of a training set that *contains the tested point*, fail when
  ``|z| > anomaly_sensitivity``.
- :class:`DeequOnlineNormal`: Deequ's ``OnlineNormalStrategy`` as
  ``AnomalyDetector.isNewPointAnomalous`` runs it: running mean and
  population deviation over all history plus the new point.
- :class:`DeequRelativeRateOfChange`: Deequ's
  ``RelativeRateOfChangeStrategy``: the ratio to the previous value.
- :class:`DeequHoltWinters`: Deequ's ``HoltWinters`` strategy: additive
  Holt-Winters, smoothing parameters fitted by L-BFGS-B on the one-step
  squared residuals, fail outside ``forecast ± 1.96 sd(|residuals|)``.

Like the tools, they drop missing values from the history. Each also has a
``walk_forward`` method that judges every point of a series against the
points before it in one pass; its verdicts equal those of ``check`` on each
prefix, only faster (the backtest uses it when present).
"""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

from dataset_health.detectors._reason import window_too_small
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
from dataset_health.detectors.calendar import NS_PER_DAY, NS_PER_HOUR, weekday


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.4g}"


def _left_out_last(array: np.ndarray, trainable: np.ndarray) -> bool:
    """Whether the newest observed value of ``array`` was left out of training (a labelled incident)."""
    observed = np.flatnonzero(~np.isnan(array))
    return bool(observed.size and not trainable[observed[-1]])


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _series(values: Any, timestamps: Any, exclude: Any) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Values, timestamps (int64 ns, naive UTC) and the mask of rows fit to train on."""
    array = as_float_array(values)
    stamps = as_timestamps(timestamps, array.size)
    trainable = ~np.isnan(array)
    if exclude is not None:
        trainable &= ~as_mask(exclude, array.size)
    return array, None if stamps is None else stamps.asi8, trainable


class _SeriesDetector(BaseDetector):
    """A baseline judged from its usable (non-missing) history, oldest first.

    Subclasses implement ``_verdict(history, stamps, value, stamp, metric)``
    on arrays of usable values, so ``judge`` (after ``fit``) and
    ``walk_forward`` (on each prefix) run the very same code.
    """

    def fit(self, values: Any, timestamps: Any = None, exclude: Any = None) -> "_SeriesDetector":
        self._validate_params()
        array, stamps, trainable = _series(values, timestamps, exclude)
        if stamps is not None:
            order = np.argsort(stamps, kind="stable")  # the tools order the history by time
            array, stamps, trainable = array[order], stamps[order], trainable[order]
        self.history_ = array[trainable]
        self.timestamps_ = None if stamps is None else stamps[trainable]
        self.left_out_last_ = _left_out_last(array, trainable)
        return self

    def judge(self, value: Any, timestamp: Any = None, *, metric: str = "value") -> Verdict:
        check_is_fitted(self, "history_")
        observed = float(as_float_array([value])[0])
        stamp = as_timestamp(timestamp)
        return self._verdict(self.history_, self.timestamps_, observed, None if stamp is None else stamp.value, metric)

    def walk_forward(
        self, values: Any, timestamps: Any = None, exclude: Any = None, *, metric: str = "value"
    ) -> list[Verdict]:
        """The verdict of every row from the rows before it (rows in time order).

        Equal to ``check(values[:t + 1], timestamps[:t + 1], exclude=...)``
        for every t, in one pass. ``exclude`` marks rows left out of every
        later training.
        """
        self._validate_params()
        array, stamps, trainable = _series(values, timestamps, exclude)
        positions = np.flatnonzero(trainable)
        history = array[positions]
        history_stamps = None if stamps is None else stamps[positions]
        # How many trainable rows lie before each row.
        before = np.searchsorted(positions, np.arange(array.size), side="left")
        # Whether the newest observed row before each row was left out of training.
        observed = ~np.isnan(array)
        last_seen = np.maximum.accumulate(np.where(observed, np.arange(array.size), -1))
        previous = np.r_[-1, last_seen[:-1]]
        left_out = (previous >= 0) & ~trainable[np.maximum(previous, 0)]
        verdicts = []
        for t, count in enumerate(before.tolist()):
            self.left_out_last_ = bool(left_out[t])
            verdicts.append(self._verdict(
                history[:count],
                None if history_stamps is None else history_stamps[:count],
                float(array[t]),
                None if stamps is None else int(stamps[t]),
                metric,
            ))
        return verdicts

    def _verdict(self, history: np.ndarray, stamps: np.ndarray | None, value: float,
                 stamp: int | None, metric: str) -> Verdict:
        raise NotImplementedError

    def _insufficient(self, metric: str, value: float, history_size: int, needed: int) -> Verdict | None:
        """The ``insufficient_history`` verdict, or None when the value can be judged."""
        if math.isnan(value):
            why = f"{metric} has no numeric value to judge"
        elif history_size < needed:
            why = (f"{metric} has {counted(history_size, 'past value')}, fewer than the {needed} needed"
                   f"{window_too_small(self, needed)}")
        else:
            return None
        return Verdict(INSUFFICIENT_HISTORY, None, _none_if_nan(value), None, None, None,
                       int(history_size), self.name, why)


def _directed(z: float, direction: str) -> float:
    return {"both": abs(z), "up": max(z, 0.0), "down": max(-z, 0.0)}[direction]


class ElementaryZScore(_SeriesDetector):
    """Elementary's anomaly test: z-score against a training set holding the point.

    Parameters map to Elementary's test configuration.

    Parameters
    ----------
    sensitivity : float, default=3.0
        ``anomaly_sensitivity``: the value fails when ``|z|`` exceeds it.
    direction : {"both", "up", "down"}, default="both"
        ``anomaly_direction`` ("both", "spike", "drop").
    training_window : int, default=14
        The training set: the newest ``training_window`` values including the
        tested one. With seasonality, the period it spans is stretched as
        Elementary stretches ``days_back``: same-weekday values of the last
        ``training_window`` weeks, or same-hour values of the last
        ``training_window`` days.
    seasonality : {"none", "day_of_week", "hour_of_day"}, default="none"
        Train only on values of the tested value's weekday or hour of day.
    min_history : int, default=6
        Past values needed; Elementary's ``min_training_set_size`` (7)
        counts the tested value too.

    Attributes
    ----------
    history_ : ndarray
        The usable past values, oldest first.
    timestamps_ : ndarray or None
        Their timestamps as int64 nanoseconds.

    See Also
    --------
    RobustZScore : leaves the tested value out and uses median and MAD.

    Notes
    -----
    With the tested value inside a training set of n values, ``|z|`` can
    never exceed ``(n - 1) / sqrt(n)``: 3.47 for 14 values. That is why the
    default test rarely fires. A training set with zero deviation scores 0,
    as in Elementary.

    Examples
    --------
    >>> history = [100, 120, 85, 110, 95, 130, 90, 105, 115, 80, 100, 125, 92]
    >>> ElementaryZScore().check(history + [190]).score  # 190 is inside its own training set
    2.9143
    >>> ElementaryZScore(training_window=40).check(history * 3 + [190]).status
    'fail'
    """

    name: ClassVar[str] = "elementary_z"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "sensitivity": [Interval(0, None, closed="neither")],
        "direction": ["both", "up", "down"],
        "training_window": [Interval(2, None)],
        "seasonality": ["none", "day_of_week", "hour_of_day"],
        "min_history": [Interval(1, None)],
    }

    def __init__(self, *, sensitivity: float = 3.0, direction: str = "both", training_window: int = 14,
                 seasonality: str = "none", min_history: int = 6) -> None:
        self.sensitivity = sensitivity
        self.direction = direction
        self.training_window = training_window
        self.seasonality = seasonality
        self.min_history = min_history

    def _past_values_held(self, window: int) -> int:
        # The tested value takes one of the window's places. A seasonal window
        # spans weeks or days instead, checked as the other detectors' are.
        return window - 1 if self.seasonality == "none" else window

    def _verdict(self, history, stamps, value, stamp, metric):
        past, season = self._training_history(history, stamps, stamp)
        insufficient = self._insufficient(metric, value, past.size, self.min_history)
        if insufficient:
            return insufficient
        training = np.append(past, value)
        mean = float(training.mean())
        deviation = float(training.std(ddof=1))
        z = 0.0 if deviation == 0 else (value - mean) / deviation
        score = _directed(z, self.direction)
        lower = mean - self.sensitivity * deviation
        if training.min() >= 0:
            lower = max(lower, 0.0)  # Elementary shows the band of a count from zero
        upper = mean + self.sensitivity * deviation
        reason = (f"{metric} {_fmt(value)} has z-score {z:+.2f} against the mean {_fmt(mean)} of "
                  f"{training.size} training values{season}, the tested one included "
                  f"(expected {_fmt(lower)} to {_fmt(upper)})")
        return Verdict(FAIL if score > self.sensitivity else PASS, round(score, 4), float(value), mean,
                       lower, upper, int(past.size), self.name, reason)

    def _training_history(self, history, stamps, stamp) -> tuple[np.ndarray, str]:
        if self.seasonality == "none":
            return history[max(0, len(history) - (self.training_window - 1)):], ""
        if stamps is None or stamp is None:
            raise ValueError(f"ElementaryZScore: seasonality {self.seasonality!r} needs timestamps")
        if self.seasonality == "day_of_week":
            span, key = self.training_window * 7 * NS_PER_DAY, weekday
            season = f" of the same weekday ({pd.Timestamp(stamp).day_name()})"
        else:
            span, key = self.training_window * NS_PER_DAY, _hour
            season = f" of the same hour ({pd.Timestamp(stamp).hour:02d}h)"
        keep = (key(stamps) == key(stamp)) & (stamps > stamp - span)
        return history[keep], season


def _hour(ns: Any) -> Any:
    return (np.asarray(ns) // NS_PER_HOUR) % 24


class DeequOnlineNormal(_SeriesDetector):
    """Deequ's OnlineNormalStrategy: running mean and deviation of all history.

    The mean and (population) variance follow Deequ's incremental update,
    with the new point included, and the point fails outside
    ``mean ± sensitivity * std``.

    Parameters
    ----------
    sensitivity : float, default=3.0
        Deequ's ``lowerDeviationFactor`` and ``upperDeviationFactor``.
    direction : {"both", "up", "down"}, default="both"
        "up" drops the lower factor (Deequ's ``None``), "down" the upper one.
    min_history : int, default=1
        Past values needed (Deequ judges from the second point on).

    Attributes
    ----------
    history_ : ndarray
        The usable past values, oldest first.

    Notes
    -----
    Deequ's ``ignoreAnomalies`` (default true) takes anomalies out of the
    running statistics only inside the search interval, which
    ``isNewPointAnomalous`` sets to the new point alone: past anomalies stay
    in the mean, as here. ``ignoreStartPercentage`` (10 %) then only ever
    skips a series of one point.

    Examples
    --------
    >>> DeequOnlineNormal().check([10, 11, 9, 10, 11, 9, 10, 11, 9, 10, 11, 40]).status
    'fail'
    """

    name: ClassVar[str] = "deequ_online_normal"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "sensitivity": [Interval(0, None)],
        "direction": ["both", "up", "down"],
        "min_history": [Interval(1, None)],
    }

    def __init__(self, *, sensitivity: float = 3.0, direction: str = "both", min_history: int = 1) -> None:
        self.sensitivity = sensitivity
        self.direction = direction
        self.min_history = min_history

    def walk_forward(
        self, values: Any, timestamps: Any = None, exclude: Any = None, *, metric: str = "value"
    ) -> list[Verdict]:
        # One pass: the running state before each row is the state after
        # the previous trainable one, so the whole series costs O(n).
        self._validate_params()
        array, _, trainable = _series(values, timestamps, exclude)
        count, mean, sn = 0, 0.0, 0.0
        verdicts = []
        for value, train in zip(array.tolist(), trainable.tolist()):
            verdicts.append(self._judge_state(count, mean, sn, value, metric))
            if train:
                count, mean, sn = _online_update(count, mean, sn, value)
        return verdicts

    def _verdict(self, history, stamps, value, stamp, metric):
        count, mean, sn = 0, 0.0, 0.0
        for past in history.tolist():
            count, mean, sn = _online_update(count, mean, sn, past)
        return self._judge_state(count, mean, sn, value, metric)

    def _judge_state(self, count: int, mean: float, sn: float, value: float, metric: str) -> Verdict:
        insufficient = self._insufficient(metric, value, count, self.min_history)
        if insufficient:
            return insufficient
        _, mean, sn = _online_update(count, mean, sn, value)
        deviation = math.sqrt(sn / (count + 1))
        factor = self.sensitivity
        upper = mean + factor * deviation if self.direction != "down" else math.inf
        lower = mean - factor * deviation if self.direction != "up" else -math.inf
        failed = value > upper or value < lower
        z = 0.0 if deviation == 0 and value == mean else (value - mean) / deviation if deviation else math.copysign(math.inf, value - mean)
        reason = (f"{metric} {_fmt(value)} lies {abs(z):.2f} standard deviations from the running mean "
                  f"{_fmt(mean)} of {count + 1} values, the tested one included "
                  f"(expected {_fmt(lower)} to {_fmt(upper)})")
        return Verdict(FAIL if failed else PASS, round(_directed(z, self.direction), 4), float(value), mean,
                       _none_if_inf(lower), _none_if_inf(upper), int(count), self.name, reason)


def _online_update(count: int, mean: float, sn: float, value: float) -> tuple[int, float, float]:
    """Deequ's incremental mean and Sn (sum of squared deviations), one point on."""
    new_mean = value if count == 0 else mean + (value - mean) / (count + 1)
    return count + 1, new_mean, sn + (value - mean) * (value - new_mean)


def _none_if_inf(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


class DeequRelativeRateOfChange(_SeriesDetector):
    """Deequ's RelativeRateOfChangeStrategy: the ratio to the previous value.

    The point fails when ``value / previous`` is below ``max_rate_decrease``
    or above ``max_rate_increase``, with IEEE division as in Deequ: after a
    zero any non-zero value is an infinite ratio and fails; zero after zero
    is 0/0, which no bound catches, so it passes.

    Parameters
    ----------
    max_rate_decrease : float or None, default=0.5
        Smallest accepted ratio (None: no lower bound).
    max_rate_increase : float or None, default=2.0
        Largest accepted ratio (None: no upper bound).

    Attributes
    ----------
    history_ : ndarray
        The usable past values, oldest first.

    Notes
    -----
    The score is the factor by which the ratio lies beyond the nearer
    bound: above 1 exactly when the point fails, infinite after a zero.

    Examples
    --------
    >>> DeequRelativeRateOfChange().check([100, 104, 98, 240]).status
    'fail'
    >>> DeequRelativeRateOfChange().check([100, 104, 98, 180]).status
    'pass'
    """

    name: ClassVar[str] = "deequ_relative_rate_of_change"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "max_rate_decrease": [None, Interval(0, None)],
        "max_rate_increase": [None, Interval(0, None, closed="neither")],
    }

    def __init__(self, *, max_rate_decrease: float | None = 0.5, max_rate_increase: float | None = 2.0) -> None:
        self.max_rate_decrease = max_rate_decrease
        self.max_rate_increase = max_rate_increase

    def _validate_params(self) -> None:
        super()._validate_params()
        low, high = self.max_rate_decrease, self.max_rate_increase
        if low is None and high is None:
            raise ValueError("DeequRelativeRateOfChange: set max_rate_decrease, max_rate_increase or both; got neither")
        if low is not None and high is not None and low > high:
            raise ValueError(
                f"DeequRelativeRateOfChange: parameter 'max_rate_decrease' must not exceed "
                f"max_rate_increase ({high!r}); got {low!r}"
            )

    def _verdict(self, history, stamps, value, stamp, metric):
        insufficient = self._insufficient(metric, value, history.size, 1)
        if insufficient:
            return insufficient
        previous = float(history[-1])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = float(np.float64(value) / np.float64(previous))
        low, high = self.max_rate_decrease, self.max_rate_increase
        failed = (low is not None and ratio < low) or (high is not None and ratio > high)
        bounds = [previous * low if low is not None else -math.copysign(math.inf, previous or 1.0),
                  previous * high if high is not None else math.copysign(math.inf, previous or 1.0)]
        lower, upper = min(bounds), max(bounds)
        allowed = f"{_fmt(low) if low is not None else '-inf'} to {_fmt(high) if high is not None else 'inf'}"
        if previous == 0:
            relation = "follows a previous value of 0"
        else:
            relation = f"is {ratio:.3g} times the previous {_fmt(previous)}"
        reason = f"{metric} {_fmt(value)} {relation} (allowed ratio {allowed})"
        return Verdict(FAIL if failed else PASS, round(self._score(ratio), 4), float(value), previous,
                       _none_if_inf(lower), _none_if_inf(upper), int(history.size), self.name, reason)

    def _score(self, ratio: float) -> float:
        if math.isnan(ratio):
            return 0.0
        low, high = self.max_rate_decrease, self.max_rate_increase
        above = ratio / high if high is not None else 0.0
        if low is None or ratio >= low:
            below = low / ratio if low is not None and ratio > 0 else 0.0
        else:
            below = low / ratio if ratio > 0 else math.inf
        return max(above, below, 0.0)


class DeequHoltWinters(_SeriesDetector):
    """Deequ's HoltWinters strategy: additive Holt-Winters forecast of the point.

    Level and trend start from the first two periods, seasonality from the
    first period, as in Deequ; the smoothing parameters (alpha, beta,
    gamma) minimise the squared one-step residuals with L-BFGS-B in
    ``[0, 1]`` from (0.3, 0.1, 0.1). The point fails when it lies further
    than ``sensitivity`` standard deviations of the absolute residuals from
    the forecast.

    Parameters
    ----------
    series_periodicity : int, default=7
        The season length: 7 for Deequ's (Weekly, Daily), 12 for
        (Yearly, Monthly). Two full periods of history are needed.
    sensitivity : float, default=1.96
        Deequ's fixed 1.96.
    refit_growth : float, default=0.1
        Deequ refits the smoothing parameters on every check (0 here).
        Fitting costs a few hundred model runs, so by default they are
        refitted only once the history has grown by this fraction since
        the last fit, on a schedule that depends on the history length
        alone (``check`` and ``walk_forward`` agree); the model itself
        always runs over the whole history.

    Attributes
    ----------
    history_ : ndarray
        The usable past values, oldest first.

    Examples
    --------
    >>> week = [10, 12, 11, 13, 12, 4, 3]
    >>> DeequHoltWinters().check(week * 6 + [10, 12, 11, 13, 12, 4, 30]).status
    'fail'
    """

    name: ClassVar[str] = "deequ_holt_winters"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "series_periodicity": [Interval(2, None)],
        "sensitivity": [Interval(0, None)],
        "refit_growth": [Interval(0, None)],
    }

    def __init__(self, *, series_periodicity: int = 7, sensitivity: float = 1.96, refit_growth: float = 0.1) -> None:
        self.series_periodicity = series_periodicity
        self.sensitivity = sensitivity
        self.refit_growth = refit_growth

    def walk_forward(
        self, values: Any, timestamps: Any = None, exclude: Any = None, *, metric: str = "value"
    ) -> list[Verdict]:
        # The model state after n points extends to n + 1 in O(1); only the
        # parameter refits (rare, by the schedule) rerun the whole history.
        self._validate_params()
        array, _, trainable = _series(values, timestamps, exclude)
        history = array[trainable]
        period = int(self.series_periodicity)
        model: _HoltWintersRun | None = None
        verdicts, count = [], 0
        for value, train in zip(array.tolist(), trainable.tolist()):
            insufficient = self._insufficient(metric, value, count, 2 * period)
            if insufficient:
                verdicts.append(insufficient)
            else:
                fit_length = self._fit_length(count)
                if model is None or model.fit_length != fit_length:
                    model = _HoltWintersRun.fitted(history[:count], period, fit_length)
                verdicts.append(self._judge_model(model, value, metric))
            if train:
                if model is not None:
                    model.extend(value)
                count += 1
        return verdicts

    def _verdict(self, history, stamps, value, stamp, metric):
        period = int(self.series_periodicity)
        insufficient = self._insufficient(metric, value, history.size, 2 * period)
        if insufficient:
            return insufficient
        model = _HoltWintersRun.fitted(history, period, self._fit_length(history.size))
        return self._judge_model(model, value, metric)

    def _fit_length(self, size: int) -> int:
        """How much of a history of ``size`` points the parameters are fitted on."""
        length = 2 * int(self.series_periodicity)
        while True:
            following = max(length + 1, math.ceil(length * (1 + self.refit_growth)))
            if following > size:
                return length
            length = following

    def _judge_model(self, model: "_HoltWintersRun", value: float, metric: str) -> Verdict:
        forecast = model.forecast
        deviation = float(np.std(np.abs(model.residuals), ddof=1))
        distance = abs(value - forecast)
        score = distance / deviation if deviation else (0.0 if distance == 0 else math.inf)
        band = self.sensitivity * deviation
        alpha, beta, gamma = model.parameters
        reason = (f"{metric} {_fmt(value)} is {_fmt(distance)} from the Holt-Winters forecast {_fmt(forecast)} "
                  f"(alpha {alpha:.2f}, beta {beta:.2f}, gamma {gamma:.2f}; "
                  f"expected {_fmt(forecast - band)} to {_fmt(forecast + band)})")
        return Verdict(FAIL if distance > band else PASS, round(score, 4), float(value), forecast,
                       forecast - band, forecast + band, len(model.residuals), self.name, reason)


class _HoltWintersRun:
    """Deequ's additive Holt-Winters recursion over a series, extendable point by point."""

    def __init__(self, series: np.ndarray, period: int, parameters: tuple[float, float, float], fit_length: int):
        self.parameters, self.fit_length = parameters, fit_length
        values = series.tolist()
        self.state = _HoltWintersState.start(values, period)
        self.residuals: list[float] = []
        self.state.run(values, parameters, self.residuals)

    @classmethod
    def fitted(cls, series: np.ndarray, period: int, fit_length: int) -> "_HoltWintersRun":
        return cls(series, period, _fit_parameters(series[:fit_length], period), fit_length)

    @property
    def forecast(self) -> float:
        return self.state.forecast()

    def extend(self, value: float) -> None:
        self.state.run([value], self.parameters, self.residuals)


class _HoltWintersState:
    """Level, trend and seasonal components after ``t`` points."""

    def __init__(self, level: float, trend: float, season: list[float], t: int = 0) -> None:
        self.level, self.trend, self.season, self.t = level, trend, season, t

    @classmethod
    def start(cls, series: Any, period: int) -> "_HoltWintersState":
        # Deequ: level = mean of the first period, trend = difference of the
        # first two periods' means / period, seasonality = first period - level.
        first = float(sum(series[:period]))
        second = float(sum(series[period : 2 * period]))
        level = first / period
        return cls(level, (second - first) / (period * period), [float(v) - level for v in series[:period]])

    def copy(self) -> "_HoltWintersState":
        return _HoltWintersState(self.level, self.trend, list(self.season), self.t)

    def forecast(self) -> float:
        return self.level + self.trend + self.season[self.t % len(self.season)]

    def run(self, values: Any, parameters: tuple[float, float, float], residuals: list[float]) -> None:
        """Advance over ``values``, appending each one-step residual (value - forecast)."""
        alpha, beta, gamma = parameters
        level, trend, season, t = self.level, self.trend, self.season, self.t
        period = len(season)
        append = residuals.append
        # Local variables and one loop: fitting runs this hundreds of times.
        for value in values:
            slot = t % period
            seasonal = season[slot]
            append(value - (level + trend + seasonal))
            new_level = alpha * (value - seasonal) + (1 - alpha) * (level + trend)
            season[slot] = gamma * (value - level - trend) + (1 - gamma) * seasonal
            trend = beta * (new_level - level) + (1 - beta) * trend
            level, t = new_level, t + 1
        self.level, self.trend, self.t = level, trend, t


@functools.cache
def _blas_threads() -> ThreadpoolController:
    return ThreadpoolController()  # inspecting the loaded libraries once, not per fit


def _fit_parameters(series: np.ndarray, period: int) -> tuple[float, float, float]:
    values = series.tolist()
    start = _HoltWintersState.start(values, period)

    def squared_residuals(parameters: np.ndarray) -> float:
        residuals: list[float] = []
        start.copy().run(values, tuple(float(p) for p in parameters), residuals)
        return float(np.dot(residuals, residuals))

    # L-BFGS-B calls BLAS on 3-vectors; OpenBLAS threads spinning up for
    # those cost ten times the fit itself, so the fit runs on one thread.
    with _blas_threads().limit(limits=1, user_api="blas"):
        result = minimize(squared_residuals, np.array([0.3, 0.1, 0.1]), method="L-BFGS-B", bounds=[(0.0, 1.0)] * 3)
    alpha, beta, gamma = (float(p) for p in np.clip(result.x, 0.0, 1.0))
    return alpha, beta, gamma


BASELINES: tuple[type[BaseDetector], ...] = (
    ElementaryZScore,
    DeequOnlineNormal,
    DeequRelativeRateOfChange,
    DeequHoltWinters,
)
