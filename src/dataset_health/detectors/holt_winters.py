"""Holt-Winters exponential smoothing: a forecast with a prediction interval.

Level, damped trend and one season are smoothed exponentially
(statsmodels ``ExponentialSmoothing``, additive on the model's scale, which
is the log scale for counts, so the season is multiplicative in counts);
the newest value fails when it lies outside the one-step forecast plus or
minus ``sensitivity`` robust deviations of the in-sample one-step errors.

Fitting optimises four smoothing parameters and is the slow part; in
:meth:`HoltWinters.walk_forward` the parameters are re-estimated only every
``refit_every`` rows, and in between the fitted recursion simply absorbs
each new value (exactly what the model would do with fixed parameters).
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from dataset_health.detectors._grid import SeasonalGrid
from dataset_health.detectors._robust import mad_sigma
from dataset_health.detectors._univariate import SHARED_CONSTRAINTS, Estimate, UnivariateDetector
from dataset_health.detectors.base import Interval
from dataset_health.detectors.calendar import holiday_mask

_CYCLES_NEEDED = 2
_MIN_POINTS = 10  # Holt's trend alone still needs a few points to estimate
_ESTIMATED_UP_TO = 24  # longest period whose initial states are optimised


class HoltWinters(UnivariateDetector):
    """Flag the newest value when it falls outside the Holt-Winters prediction interval.

    Parameters
    ----------
    direction : {"both", "up", "down"}, default="both"
        Which deviations count.
    sensitivity : float, default=4.0
        Forecast error, in robust deviations of past one-step errors, above
        which the value fails.
    min_history : int, default=7
        Fewer usable past values than this give ``insufficient_history``;
        a season also needs two full cycles.
    training_window : int or None, default=672
        How many of the newest past values the model is fitted on (672 =
        four weeks of hourly updates; None: all).
    seasonality : {"auto", "none", "day_of_week"}, default="auto"
        "auto": the cadence's longest period (168 hourly, which holds the
        daily cycle; 7 daily; 52 weekly; 12 monthly) or ``period``; "none":
        level and trend only; "day_of_week": the weekly cycle.
    holidays : None, "us_federal" or list of dates, default=None
        Holidays are left out of the fit and judged like weekend days.
    scale : {"auto", "linear", "log", "count"}, default="auto"
        See :class:`~dataset_health.detectors.RobustZScore`.
    min_relative_change : float, default=0.01
        The smallest change, relative to the forecast, that may fail.
    period : int or None, default=None
        The seasonal period in updates, overriding the cadence's.
    damped_trend : bool, default=True
        Damp the trend, so a recent slope is not extrapolated forever.
    refit_every : int or None, default=None
        In :meth:`walk_forward`, re-estimate the parameters every that many
        rows (None: every season, 7 daily, 168 hourly).

    Attributes
    ----------
    period_ : int or None
        The seasonal period used (None: no season).
    params_ : dict
        The smoothing parameters statsmodels estimated.
    residual_scale_ : float
        Robust spread of the one-step forecast errors, on the model's scale.

    See Also
    --------
    STLDetector : decomposition into trend, seasons and residual.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> stamps = pd.date_range("2024-01-01 06:00", periods=57, freq="D")
    >>> created = np.where(stamps.dayofweek < 5, 20_000, 2_000) * (1 + 0.02 * np.sin(np.arange(57)))
    >>> created[-1] = 40_000  # a Monday with a duplicate load
    >>> HoltWinters().check(created, stamps, metric="rows_created").status
    'fail'
    """

    name: ClassVar[str] = "holt_winters"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **SHARED_CONSTRAINTS,
        "period": [None, Interval(2, None)],
        "damped_trend": [True, False],
        "refit_every": [None, Interval(1, None)],
    }

    def __init__(
        self,
        *,
        direction: str = "both",
        sensitivity: float = 4.0,
        min_history: int = 7,
        training_window: int | None = 672,
        seasonality: str = "auto",
        holidays: Any = None,
        scale: str = "auto",
        min_relative_change: float = 0.01,
        period: int | None = None,
        damped_trend: bool = True,
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
        self.period = period
        self.damped_trend = damped_trend
        self.refit_every = refit_every

    def _candidate_period(self) -> int | None:
        if self.seasonality == "none":
            return None
        if self.period is not None:
            return int(self.period)
        if self.seasonality == "day_of_week":
            return {"daily": 7, "hourly": 168}.get(self.cadence_.name)
        # One season only: the longest (hourly updates: the week, which holds the day).
        return max(self.cadence_.periods) if self.cadence_.periods else None

    def _required_history(self) -> tuple[int, str]:
        period = self._candidate_period()
        if period is None:
            return _MIN_POINTS, ""
        return _CYCLES_NEEDED * period + 1, f"(two full cycles of {period} updates)"

    def _refit_interval(self) -> int:
        if self.refit_every is not None:
            return int(self.refit_every)
        return (self._candidate_period() or 1)

    # ---------------------------------------------------------------- fit
    def _fit_model(self, z: np.ndarray, stamps: pd.DatetimeIndex | None) -> None:
        period = self._candidate_period()
        step = self.cadence_.step if self.cadence_.regular else None
        grid = SeasonalGrid(z, stamps, step, self.holidays_, period)
        if period is not None and grid.values.size <= _CYCLES_NEEDED * period:
            period = None
        from statsmodels.tsa.holtwinters import ExponentialSmoothing  # 0.3 s to import: only when this detector runs
        model = ExponentialSmoothing(
            grid.values, trend="add", damped_trend=self.damped_trend,
            seasonal="add" if period else None, seasonal_periods=period,
            # Optimising 168 initial seasonal states takes seconds; a heuristic
            # start from a decomposition is as good and 20 times faster.
            initialization_method="heuristic" if period and period > _ESTIMATED_UP_TO else "estimated",
        )
        with warnings.catch_warnings():  # convergence chatter on short or flat histories
            warnings.simplefilter("ignore")
            result = model.fit(use_brute=False)
        params = result.params
        self.grid_, self.period_ = grid, period
        self.params_ = {k: float(params[k]) for k in ("smoothing_level", "smoothing_trend",
                                                      "smoothing_seasonal", "damping_trend")
                        if params.get(k) is not None and np.isfinite(params[k])}
        self.level_ = float(result.level[-1])
        self.trend_ = float(result.trend[-1])
        n = grid.values.size
        self.season_ = list(np.asarray(result.season)[n - period:n]) if period else []
        errors = (grid.values - np.asarray(result.fittedvalues))[grid.observed]
        errors = errors[(period or 1):]  # the first cycle only reflects the initial states
        self.residual_scale_ = max(mad_sigma(errors), grid.naive_scale(period))
        self.slot_ = n - 1  # the grid slot the states describe
        self.seen_ = 0

    # ------------------------------------------------- forecast and update
    def _phi(self) -> float:
        return self.params_.get("damping_trend", 1.0) if self.damped_trend else 1.0

    def _slot(self, stamp: pd.Timestamp | None) -> int:
        grid = self.grid_
        if stamp is None or grid.step is None:
            return self.slot_ + 1
        return max(int(round((stamp - grid.start) / grid.step)), self.slot_ + 1)

    def _season_at(self, ahead: int, stamp: pd.Timestamp | None) -> float:
        if not self.period_:
            return 0.0
        grid = self.grid_
        closed = (stamp is not None and len(self.holidays_) > 0 and grid.step is not None
                  and grid.spans_week(self.period_)
                  and bool(holiday_mask(pd.DatetimeIndex([stamp]), self.holidays_)[0]))
        if closed:
            # The season slots of the next cycle, with their calendar times: a holiday
            # follows the weekend part of the weekly cycle at the same time of day.
            like = grid.weekend_like(self.slot_ + 1 + np.arange(self.period_), stamp)
            if like.any():
                return float(np.mean(np.asarray(self.season_)[like]))
        return float(self.season_[(ahead - 1) % self.period_])

    def _forecast(self, stamp: pd.Timestamp | None) -> tuple[float, int]:
        ahead = self._slot(stamp) - self.slot_
        phi = self._phi()
        damping = sum(phi**i for i in range(1, ahead + 1))
        return self.level_ + damping * self.trend_ + self._season_at(ahead, stamp), ahead

    def _estimate(self, observed: float, timestamp: pd.Timestamp | None) -> Estimate:
        center, ahead = self._forecast(timestamp)
        # Errors grow with the horizon of a forecast over missed runs.
        spread = self.residual_scale_ * np.sqrt(ahead)
        note = f"Holt-Winters forecast{f', period {self.period_}' if self.period_ else ''}"
        return self._gaussian(observed, center, spread, usual="the forecast", note=note)

    def _update(self, value: float, stamp: pd.Timestamp | None) -> None:
        """One step of the smoothing recursion (statsmodels' equations, fixed parameters)."""
        y = float(self._forward(np.array([value]))[0])
        alpha = self.params_.get("smoothing_level", 0.0)
        beta = self.params_.get("smoothing_trend", 0.0)
        gamma = self.params_.get("smoothing_seasonal", 0.0)
        phi = self._phi()
        for _ in range(self._slot(stamp) - self.slot_ - 1):  # missed runs: the states drift on
            self.level_ += phi * self.trend_
            self.trend_ *= phi
            self.season_ = self.season_[1:] + self.season_[:1]
        season = self.season_[0] if self.period_ else 0.0
        level = alpha * (y - season) + (1 - alpha) * (self.level_ + phi * self.trend_)
        trend = beta * (level - self.level_) + (1 - beta) * phi * self.trend_
        if self.period_:
            new_season = gamma * (y - self.level_ - phi * self.trend_) + (1 - gamma) * season
            self.season_ = self.season_[1:] + [new_season]
        self.level_, self.trend_ = level, trend
        self.slot_ += 1
