"""A small neural network that forecasts the next value from the last ones.

A multi-layer perceptron (scikit-learn ``MLPRegressor``) learns how a
metric continues from its recent values and its place in the week and day.
It forecasts each value as a deviation from the median of the values
before it, so a level that grows or a new normal does not have to be
relearned. The band is the forecast plus or minus ``sensitivity`` robust
deviations of its errors on the newest fifth of the history, which the
network did not train on: in-sample errors of a network are too kind.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from dataset_health.detectors._features import ClosedDays, calendar_features, lag_matrix, without_holidays
from dataset_health.detectors._robust import mad_sigma
from dataset_health.detectors._univariate import SHARED_CONSTRAINTS, Estimate, UnivariateDetector
from dataset_health.detectors.base import Interval

_MAX_LAGS = 24
_MIN_ROWS = 30  # training rows below which a network learns noise
_HOLDOUT = 0.2  # newest share of rows that measures forecast errors


class MLPForecaster(UnivariateDetector):
    """Flag the newest value when it falls outside a neural-network forecast band.

    Parameters
    ----------
    direction : {"both", "up", "down"}, default="both"
        Which deviations count.
    sensitivity : float, default=4.0
        Forecast error, in robust deviations of held-out errors, above which
        the value fails.
    min_history : int, default=7
        Fewer usable past values than this give ``insufficient_history``;
        the network also needs about 30 rows beyond its lags.
    training_window : int or None, default=1000
        How many of the newest past values train the network (None: all).
    seasonality : {"auto", "none", "day_of_week"}, default="auto"
        "none" drops the calendar features.
    holidays : None, "us_federal" or list of dates, default=None
        Holidays are left out of training (replaced by the season before)
        and forecast from the last weekend days.
    scale : {"auto", "linear", "log", "count"}, default="auto"
        See :class:`~dataset_health.detectors.RobustZScore`.
    min_relative_change : float, default=0.01
        The smallest change, relative to the forecast, that may fail.
    lags : int or None, default=None
        Past values the network sees (None: the shortest season, at most
        24, or 7), beside the value one (longest) season back, its reference.
    hidden : int, default=4
        Units in the hidden layer (few: archives are short, and the seasonal
        naive reference already carries most of the forecast).
    random_state : int, default=0
        Seed, so that verdicts are reproducible.
    refit_every : int or None, default=None
        In :meth:`walk_forward`, retrain every that many rows (None: once
        per season, or every 7 rows); in between, new values only feed the
        lags.

    Attributes
    ----------
    network_ : MLPRegressor
        The fitted network.
    residual_scale_ : float
        Robust spread of the held-out forecast errors, on the model's scale.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> stamps = pd.date_range("2024-01-01 06:00", periods=85, freq="D")
    >>> created = np.where(stamps.dayofweek < 5, 20_000, 2_000) * np.random.default_rng(1).lognormal(0, 0.03, 85)
    >>> created[-1] = 2_000  # a Monday that looks like a Sunday
    >>> MLPForecaster().check(created, stamps).status
    'fail'
    """

    name: ClassVar[str] = "mlp"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **SHARED_CONSTRAINTS,
        "lags": [None, Interval(1, None)],
        "hidden": [Interval(1, None)],
        "random_state": [Interval(0, None)],
        "refit_every": [None, Interval(1, None)],
    }

    def __init__(
        self,
        *,
        direction: str = "both",
        sensitivity: float = 4.0,
        min_history: int = 7,
        training_window: int | None = 1000,
        seasonality: str = "auto",
        holidays: Any = None,
        scale: str = "auto",
        min_relative_change: float = 0.01,
        lags: int | None = None,
        hidden: int = 4,
        random_state: int = 0,
        refit_every: int | None = None,
    ) -> None:
        self.direction = direction
        self.sensitivity = sensitivity
        self.min_history = min_history
        self.training_window = training_window
        self.seasonality = seasonality
        self.holidays = holidays
        self.scale = scale
        self.min_relative_change = min_relative_change
        self.lags = lags
        self.hidden = hidden
        self.random_state = random_state
        self.refit_every = refit_every

    def _period(self) -> int | None:
        """The longest seasonal period: its value one season back is the reference."""
        return max(self.cadence_.periods) if self.cadence_.periods and self.seasonality != "none" else None

    def _lags(self) -> int:
        if self.lags is not None:
            return int(self.lags)
        return min(min(self.cadence_.periods), _MAX_LAGS) if self.cadence_.periods else 7

    def _width(self) -> int:
        """Past values each row needs: its lags and its seasonal reference."""
        return max(self._lags(), self._period() or 0)

    def _required_history(self) -> tuple[int, str]:
        return self._width() + _MIN_ROWS, "(a network needs rows with full lags)"

    def _refit_interval(self) -> int:
        if self.refit_every is not None:
            return int(self.refit_every)
        return self.cadence_.periods[0] if self.cadence_.periods else 7

    # ---------------------------------------------------------------- fit
    def _calendar(self, stamps: pd.DatetimeIndex | None, size: int) -> np.ndarray:
        if self.seasonality == "none" or stamps is None:
            return np.zeros((size, 0))
        return calendar_features(stamps, self.cadence_, self.holidays_)

    def _inputs(self, window: np.ndarray, calendar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Network inputs (last lags around the reference, scaled, and calendar) and each row's reference.

        The reference is the value one season back (the seasonal naive
        forecast, which the network only corrects), else the median of the lags.
        """
        period, lags = self._period(), window[:, -self.lags_:]
        level = window[:, -period] if period else np.median(lags, axis=1)
        return np.column_stack([(lags - level[:, None]) / self.unit_, calendar]), level

    def _network(self) -> MLPRegressor:
        # warm_start: the final fit on all rows continues from the held-out trial's weights.
        return MLPRegressor(hidden_layer_sizes=(self.hidden,), solver="lbfgs", alpha=1e-2,
                            max_iter=200, random_state=self.random_state, warm_start=True)

    def _fit_model(self, z: np.ndarray, stamps: pd.DatetimeIndex | None) -> None:
        self.closed_days_ = ClosedDays(z, stamps, self.holidays_)
        z = without_holidays(z, stamps, self.holidays_, self._period())
        self.lags_ = self._lags()
        steps = np.diff(z)
        self.unit_ = max(mad_sigma(steps), 1e-9)
        width = self._width()
        inputs, level = self._inputs(lag_matrix(z, width), self._calendar(stamps, z.size)[width:])
        target = (z[width:] - level) / self.unit_
        split = int(round((1 - _HOLDOUT) * target.size))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            network = self._network().fit(inputs[:split], target[:split])
            errors = (target[split:] - network.predict(inputs[split:])) * self.unit_
            self.network_ = network.set_params(max_iter=50).fit(inputs, target)
        self.residual_scale_ = mad_sigma(errors)
        self.recent_ = list(z[-width:])

    # -------------------------------------------------------------- judge
    def _estimate(self, observed: float, timestamp: pd.Timestamp | None) -> Estimate:
        closed = self.closed_days_.reference()
        if self.closed_days_.is_holiday(timestamp) and closed is not None:
            return self._gaussian(observed, closed, self.residual_scale_, usual="the usual weekend or holiday",
                                  note="a holiday, forecast from the last closed days")
        stamps = None if timestamp is None else pd.DatetimeIndex([timestamp])
        inputs, level = self._inputs(np.array([self.recent_]), self._calendar(stamps, 1))
        forecast = float(level[0] + self.network_.predict(inputs)[0] * self.unit_)
        return self._gaussian(observed, forecast, self.residual_scale_, usual="the forecast",
                              note=f"neural network on the last {self.lags_} values")

    def _update(self, value: float, stamp: pd.Timestamp | None) -> None:
        z = float(self._forward(np.array([value]))[0])
        self.closed_days_.add(z, stamp)
        period = self._period()
        if self.closed_days_.is_holiday(stamp) and period and period <= len(self.recent_):
            z = self.recent_[-period]  # as in training, a holiday lag is the season before
        self.recent_ = self.recent_[1:] + [z]
