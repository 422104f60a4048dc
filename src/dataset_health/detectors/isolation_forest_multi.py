"""Isolation forest over several archive columns at once.

One update is one row of per-column robust z-scores (see
:mod:`dataset_health.detectors._multivariate`); the forest learns which
combinations are usual. A duplicate load that doubles ``rows_created`` and
``duplicate_key_count`` together, or a stale run where every count drops to
zero while ``freshness_lag_hours`` grows, isolates quickly even when each
column alone is only a little odd.

Which columns drove the score: each column in turn is set to its usual
value (z = 0) and the drop of the anomaly score is its contribution.
Rows with a gross deviation are left out of training, so a past incident
does not teach the forest that incidents are usual.
Beside the columns, the forest sees each row's largest and root-mean-square
z-score: with few columns, random splits on the others would otherwise
mask one column far out. And as a row beyond the training range follows
the path of the most extreme training row, a forest cannot say how far out
it is: a column past its training range scores its excess in z units.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.ensemble import IsolationForest

from dataset_health.detectors._forest import ForestScorer, upper_tail_scale
from dataset_health.detectors._multivariate import SHARED_CONSTRAINTS, MultivariateDetector
from dataset_health.detectors.base import Interval


def _with_summaries(matrix: np.ndarray) -> np.ndarray:
    """The z-scores plus their largest magnitude and root mean square.

    A forest picks a random column per split, so with few columns a value
    far out in one of them hides behind splits on the others; the two
    summaries give every tree a direct way to isolate an extreme row.
    """
    magnitude = np.abs(matrix)
    return np.column_stack([matrix, magnitude.max(axis=1), np.sqrt((matrix**2).mean(axis=1))])


class IsolationForestMulti(MultivariateDetector):
    """Flag an update whose combination of metrics an isolation forest finds unusual.

    Parameters
    ----------
    sensitivity : float, default=3.0
        z-score of the anomaly score, against the training rows' scores
        (median and upper tail), above which the update fails. A forest's
        score saturates, so this scale tops out near 5-8.
    min_history : int, default=14
        Fewer usable past rows than this give ``insufficient_history``.
    training_window : int or None, default=1000
        How many of the newest past rows train the forest (None: all).
    seasonality : {"auto", "none", "day_of_week"}, default="auto"
        Columns are scaled within their season (weekday when daily, hour
        when hourly); "none" scales them over all rows.
    holidays : None, "us_federal" or list of dates, default=None
        Holidays are scaled with Sundays.
    min_relative_change : float, default=0.01
        Floor of each column's spread, relative to its level.
    refit_every : int or None, default=None
        In :meth:`walk_forward`, retrain every that many rows (None: once
        per season, or every 7 rows).
    n_estimators : int, default=100
        Trees in the forest.
    random_state : int, default=0
        Seed, so that verdicts are reproducible.

    Attributes
    ----------
    columns_ : list of str
        The columns judged (numeric in at least half the training rows).
    forest_ : IsolationForest
        The fitted forest.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"rows_created": 1000 * rng.lognormal(0, 0.05, 41),
    ...                       "null_fraction": rng.normal(0.02, 0.002, 41)})
    >>> frame.loc[40, "null_fraction"] = 0.7
    >>> verdict = IsolationForestMulti().check(frame)
    >>> verdict.status, max(verdict.contributions, key=verdict.contributions.get)
    ('fail', 'null_fraction')
    """

    name: ClassVar[str] = "isolation_forest_multi"
    _calibrate: ClassVar[bool] = False  # calibrated in _score_matrix, before the range check
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **SHARED_CONSTRAINTS,
        "n_estimators": [Interval(1, None)],
        "random_state": [Interval(0, None)],
    }

    def __init__(
        self,
        *,
        sensitivity: float = 3.0,
        min_history: int = 14,
        training_window: int | None = 1000,
        seasonality: str = "auto",
        holidays: Any = None,
        min_relative_change: float = 0.01,
        refit_every: int | None = None,
        n_estimators: int = 100,
        random_state: int = 0,
    ) -> None:
        self.sensitivity = sensitivity
        self.min_history = min_history
        self.training_window = training_window
        self.seasonality = seasonality
        self.holidays = holidays
        self.min_relative_change = min_relative_change
        self.refit_every = refit_every
        self.n_estimators = n_estimators
        self.random_state = random_state

    def _fit_matrix(self, matrix: np.ndarray) -> None:
        self.forest_ = IsolationForest(n_estimators=self.n_estimators, random_state=self.random_state)
        self.forest_.fit(_with_summaries(matrix))
        self.scorer_ = ForestScorer(self.forest_)
        self.score_center_, self.score_scale_ = upper_tail_scale(-self.scorer_.score_samples(_with_summaries(matrix)))
        self.range_ = np.abs(matrix).max(axis=0)

    def _score_matrix(self, matrix: np.ndarray) -> np.ndarray:
        forest = (-self.scorer_.score_samples(_with_summaries(matrix)) - self.score_center_) / self.score_scale_
        # A row beyond the training range follows the path of the most
        # extreme training row, so a forest cannot say how far out it is:
        # a column past its range scores its excess, in z units.
        excess = (np.abs(matrix) - self.range_).max(axis=1)
        return np.maximum(forest, excess)

