"""Isolation forest over several archive columns at once.

One update is one row of per-column robust z-scores (see
:mod:`dataset_health.detectors._multivariate`); the forest learns which
combinations are usual. A duplicate load that doubles ``rows_created`` and
``duplicate_key_count`` together, or a stale run where every count drops to
zero while ``freshness_lag_hours`` grows, isolates quickly even when each
column alone is only a little odd.

Which columns drove the score: each column in turn is set to its usual
value (z = 0) and the drop of the anomaly score is its contribution.
Beside the columns, the forest sees each row's largest and root-mean-square
z-score: with few columns, random splits on the others would otherwise
mask one column far out.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.ensemble import IsolationForest

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
    sensitivity : float, default=4.0
        Robust z-score of the anomaly score, against the training rows'
        scores, above which the update fails.
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
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **SHARED_CONSTRAINTS,
        "n_estimators": [Interval(1, None)],
        "random_state": [Interval(0, None)],
    }

    def __init__(
        self,
        *,
        sensitivity: float = 4.0,
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

    def _score_matrix(self, matrix: np.ndarray) -> np.ndarray:
        return -self.forest_.score_samples(_with_summaries(matrix))

    def _contributions(self, row: np.ndarray) -> np.ndarray:
        variants = np.repeat(row[None, :], row.size + 1, axis=0)
        variants[np.arange(1, row.size + 1), np.arange(row.size)] = 0.0  # column j at its usual value
        scores = self._score_matrix(variants)
        return scores[0] - scores[1:]
