"""Isolation forest over a metric's context: its residual from the season and its moves.

An isolation forest (scikit-learn ``IsolationForest``) isolates unusual
rows with few random splits. Each past update becomes a row of features:
its residual (distance from the same position in the last seasons, or from
the recent median) and that residual's moves from the recent and the
previous residuals, each in robust units. A Sunday dip is then usual
(Sundays always dip), a dip on a Monday is not. Calendar positions are not
features: a forest would isolate any weekday it has not yet seen.

The forest's raw score has no natural unit, so it is expressed as a
z-score against the scores of the training rows (median and upper tail,
as anomaly scores are skewed): comparable with
``sensitivity`` like every other detector. The sign (above or below) comes
from the value's side of its expectation, so ``direction`` works too.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from dataset_health.detectors._features import ClosedDays, without_holidays
from dataset_health.detectors._forest import ForestScorer, upper_tail_scale
from dataset_health.detectors._robust import mad_sigma, median
from dataset_health.detectors._univariate import SHARED_CONSTRAINTS, Estimate, UnivariateDetector
from dataset_health.detectors.base import Interval

_RECENT = 7  # values whose median is the recent level
_CYCLES = 4  # seasons back whose same-phase median is the expectation
_MIN_ROWS = 30  # training rows below which a forest isolates noise
# Candidate values, in spreads from the expectation, scored with the observed
# value in one call (a forest's cost is per call, not per row) to find the band.
# A quarter spread apart near the expectation: on a coarser grid (1, 2, 3, 4, 6)
# 7% of passing values lay outside the band drawn for them.
_BAND_STEPS = np.concatenate([[-32.0, -16.0], np.arange(-8.0, 8.01, 0.25), [16.0, 32.0]])


class IsolationForestDetector(UnivariateDetector):
    """Flag the newest value when an isolation forest finds its context unusual.

    Parameters
    ----------
    direction : {"both", "up", "down"}, default="both"
        Which deviations count (the side of the value's expectation).
    sensitivity : float, default=3.0
        Robust z-score of the anomaly score, against the training rows'
        scores, above which the value fails. A forest's score saturates
        (an isolated row cannot be isolated faster than in one split), so
        this scale tops out near 5-8: lower than the statistical detectors'.
    min_history : int, default=7
        Fewer usable past values than this give ``insufficient_history``;
        the forest also needs about 20 rows beyond its longest lag.
    training_window : int or None, default=1000
        How many of the newest past values train the forest (None: all).
    seasonality : {"auto", "none", "day_of_week"}, default="auto"
        "auto": residuals from the same position in the last seasons (the
        cadence's longest period); "none": from the recent median.
    holidays : None, "us_federal" or list of dates, default=None
        Holidays are left out of training (replaced by the season before)
        and compared with the last weekend days.
    scale : {"auto", "linear", "log", "count"}, default="auto"
        See :class:`~dataset_health.detectors.RobustZScore`.
    min_relative_change : float, default=0.01
        A value closer than this (relative) to its expectation passes.
    n_estimators : int, default=50
        Trees in the forest.
    random_state : int, default=0
        Seed, so that verdicts are reproducible.
    refit_every : int or None, default=None
        In :meth:`walk_forward`, retrain every that many rows (None: once
        per season, or every 7 rows without one); in between, new values
        only feed the lag features.

    Attributes
    ----------
    forest_ : IsolationForest
        The fitted forest.
    score_center_, score_scale_ : float
        Median and upper-tail spread of the training rows' anomaly scores.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> values = list(1000 * rng.lognormal(0, 0.05, 60)) + [100]
    >>> IsolationForestDetector().check(values, metric="rows_created").status
    'fail'
    """

    name: ClassVar[str] = "isolation_forest"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **SHARED_CONSTRAINTS,
        "n_estimators": [Interval(1, None)],
        "random_state": [Interval(0, None)],
        "refit_every": [None, Interval(1, None)],
    }

    def __init__(
        self,
        *,
        direction: str = "both",
        sensitivity: float = 3.0,
        min_history: int = 7,
        training_window: int | None = 1000,
        seasonality: str = "auto",
        holidays: Any = None,
        scale: str = "auto",
        min_relative_change: float = 0.01,
        n_estimators: int = 50,
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
        self.n_estimators = n_estimators
        self.random_state = random_state
        self.refit_every = refit_every

    def _lag(self) -> int | None:
        """The longest seasonal period (a week of hourly updates holds their day)."""
        if self.seasonality == "none" or not self.cadence_.periods:
            return None
        return max(self.cadence_.periods)

    def _start(self) -> int:
        """Rows before the first one whose residual can be computed (two seasons)."""
        lag = self._lag()
        return max(_RECENT, 2 * lag if lag else 0)

    def _required_history(self) -> tuple[int, str]:
        return self._start() + _RECENT + _MIN_ROWS, "(a forest needs rows with two seasons of context)"

    def _refit_interval(self) -> int:
        if self.refit_every is not None:
            return int(self.refit_every)
        return self.cadence_.periods[0] if self.cadence_.periods else _RECENT

    # ---------------------------------------------------------------- fit
    def _fit_model(self, z: np.ndarray, stamps: pd.DatetimeIndex | None) -> None:
        self.closed_days_ = ClosedDays(z, stamps, self.holidays_)
        self.lag_ = self._lag()
        z = without_holidays(z, stamps, self.holidays_, self.lag_)
        start = self._start()
        residuals = np.array([z[i] - self._expected(z[:i]) for i in range(start, z.size)])
        deviations = np.array([self._deviations(residuals[:j], residuals[j]) for j in range(_RECENT, residuals.size)])
        self.deviation_scale_ = np.maximum(mad_sigma(deviations, axis=0),
                                           self._spread_floor(median(z)))
        features = self._features(deviations)
        # Past incidents (and untold holidays) teach the forest that gross
        # deviations happen; it learns the usual rows only.
        usual = np.abs(features[:, 0]) <= 2 * self.sensitivity
        features = features[usual] if usual.sum() >= _MIN_ROWS else features
        self.forest_ = IsolationForest(n_estimators=self.n_estimators, random_state=self.random_state).fit(features)
        self.scorer_ = ForestScorer(self.forest_)
        self.range_ = float(np.abs(features[:, 0]).max())
        scores = -self.scorer_.score_samples(features)
        self.score_center_, self.score_scale_ = upper_tail_scale(scores)
        self.recent_ = list(z[-start:])
        self.recent_residuals_ = list(residuals[-_RECENT:])

    def _expected(self, past: np.ndarray) -> float:
        """Median of the same phase over the last cycles, else of the recent values."""
        if self.lag_ and past.size >= self.lag_:
            return median(past[::-1][self.lag_ - 1 :: self.lag_][:_CYCLES])
        return median(past[-_RECENT:])

    @staticmethod
    def _deviations(past_residuals: np.ndarray, residual: float) -> np.ndarray:
        """A residual (value minus its expectation), and its moves from recent residuals.

        Residuals, not values: a Saturday is far below the Friday before, but
        not below Saturdays, so only a real drop stands out.
        """
        return np.array([residual, residual - median(past_residuals[-_RECENT:]),
                         residual - past_residuals[-1]])

    def _features(self, deviations: np.ndarray) -> np.ndarray:
        # Scaled deviations plus their largest magnitude: with a handful of
        # features, a forest splitting on a random one would mask the one
        # deviation that matters; the summary lets every tree isolate it.
        scaled = deviations / self.deviation_scale_
        return np.column_stack([scaled, np.abs(scaled).max(axis=1)])

    # -------------------------------------------------------------- judge
    def _scores(self, expected: float, xs: np.ndarray) -> np.ndarray:
        past = np.asarray(self.recent_residuals_)
        deviations = np.array([self._deviations(past, float(x) - expected) for x in xs])
        features = self._features(deviations)
        forest = (-self.scorer_.score_samples(features) - self.score_center_) / self.score_scale_
        # Beyond the training range a forest cannot say how far out a value
        # is (it follows the most extreme training row): the excess counts.
        return np.maximum(forest, np.abs(features[:, 0]) - self.range_)

    def _estimate(self, observed: float, timestamp: pd.Timestamp | None) -> Estimate:
        closed = self.closed_days_.reference()
        if self.closed_days_.is_holiday(timestamp) and closed is not None:
            # A forest has seen too few holidays: compare with the last closed days.
            return self._gaussian(observed, closed, float(self.deviation_scale_[0]),
                                  usual="the usual weekend or holiday", note="a holiday, compared with closed days")
        past = np.asarray(self.recent_)
        x = float(self._forward(np.array([observed]))[0])
        expected = self._expected(past)
        floor = self._spread_floor(expected)
        spread = float(self.deviation_scale_[0])
        candidates = expected + _BAND_STEPS * spread
        scores = self._scores(expected, np.append(candidates, x))
        score = max(float(scores[-1]), 0.0) if abs(x - expected) > floor else 0.0
        accepted = scores[:-1] <= self.sensitivity
        middle = len(_BAND_STEPS) // 2
        low = high = middle
        while low > 0 and accepted[low - 1]:
            low -= 1
        while high < len(candidates) - 1 and accepted[high + 1]:
            high += 1
        lower, mid, upper = self._backward(np.array([candidates[low], expected, candidates[high]]))
        if score <= self.sensitivity:
            # A value that passes is inside its band, wherever the grid's edge fell.
            lower, upper = min(lower, observed), max(upper, observed)
        signed = score if x >= expected else -score
        return Estimate(signed, float(mid), float(lower), float(upper), "the expected",
                        "isolation forest over deviations from season, level and previous value")

    def _update(self, value: float, stamp: pd.Timestamp | None) -> None:
        z = float(self._forward(np.array([value]))[0])
        self.closed_days_.add(z, stamp)
        if self.closed_days_.is_holiday(stamp) and self.lag_ and self.lag_ <= len(self.recent_):
            z = self.recent_[-self.lag_]  # as in training, a holiday is the season before
        residual = z - self._expected(np.asarray(self.recent_))
        self.recent_ = self.recent_[1:] + [z]
        self.recent_residuals_ = self.recent_residuals_[1:] + [residual]
