"""A count model for small, discrete metrics: rows_deleted, columns_added, ...

``rows_deleted`` is zero on most updates and a few hundred on some; its
median and MAD are both zero, so a z-score either fails every non-zero
value or, with a floor, none. What such a metric needs is a tail
probability under a count distribution:

- over-dispersed or Poisson-like (variance >= mean): negative binomial
  (Poisson when the variance equals the mean), fitted by moments;
- clearly under-dispersed (variance < half the mean, e.g. ``rows_added`` that is 1 on nearly
  every update, ``n_columns`` with one flicker): a normal approximation,
  because a Poisson would call 1 -> 6 ordinary.

A past incident in the history would inflate the mean and variance and
hide the next one, so the most extreme past values are dropped while they
are themselves anomalous against the rest (at most a tenth of the history).

The tail probability is reported as the z-score with the same one-sided
tail, so a count score is comparable with every other detector's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from dataset_health.detectors._robust import median

_MAX_TRIMMED_SHARE = 0.1
_MIN_NONZERO_KEPT = 2  # trimming never leaves fewer non-zero values than this
_UNDERDISPERSED = 0.5  # variance below this share of the mean: not a Poisson count
_MIN_P = 1e-300  # norm.isf(1e-300) ~ 37: the largest finite count score


def is_discrete_count(values: np.ndarray) -> bool:
    """Non-negative integers where one value covers half the history or more.

    Then the MAD collapses to zero and a z-score stops meaning anything.
    """
    if values.size == 0 or values.min() < 0 or not np.all(values == np.round(values)):
        return False
    _, counts = np.unique(values, return_counts=True)
    return counts.size > 1 and counts.max() >= 0.5 * values.size


@dataclass(frozen=True)
class CountModel:
    """A fitted count distribution of one metric's history."""

    mean: float
    variance: float
    median: float

    @classmethod
    def fit(cls, history: np.ndarray, sensitivity: float) -> "CountModel":
        kept = np.sort(np.asarray(history, dtype=float))
        for _ in range(int(_MAX_TRIMMED_SHARE * kept.size)):
            if np.count_nonzero(kept[:-1]) < _MIN_NONZERO_KEPT:
                break  # one purge among zeros is how the metric behaves, not an incident to forget
            rest = cls._moments(kept[:-1])
            if rest.signed_score(kept[-1]) <= sensitivity:
                break
            kept = kept[:-1]
        return cls._moments(kept)

    @classmethod
    def _moments(cls, values: np.ndarray) -> "CountModel":
        variance = float(values.var(ddof=1)) if values.size > 1 else 0.0
        return cls(float(values.mean()), variance, median(values))

    @property
    def overdispersed(self) -> bool:
        """Poisson-like or wider; clearly narrower ones get the normal approximation."""
        return self.variance >= _UNDERDISPERSED * self.mean

    def _distribution(self) -> tuple[Any, tuple[float, ...]]:
        """The distribution and its parameters. Not frozen: freezing a scipy distribution
        costs a millisecond (it writes its docstring), and the walk-forward asks per value."""
        if self.variance <= self.mean * (1 + 1e-9):
            return stats.poisson, (max(self.mean, 1e-12),)
        size = self.mean**2 / (self.variance - self.mean)
        return stats.nbinom, (size, size / (size + self.mean))

    def _sigma(self) -> float:
        # Discreteness floor: with one flicker in a long history the sample
        # deviation is tiny, yet one unit is the smallest possible move, and
        # "1 nearly every update, now 3" is news, not an incident.
        return max(float(np.sqrt(self.variance)), 0.5)

    def signed_score(self, value: float) -> float:
        """z-score with the same tail probability; positive above the usual."""
        return float(self.signed_scores(np.array([value], dtype=float))[0])

    def signed_scores(self, values: np.ndarray) -> np.ndarray:
        """:meth:`signed_score` of each value (NaN stays NaN), in one call per tail: a
        multivariate walk scores every past row at each refit."""
        values = np.asarray(values, dtype=float)
        if not self.overdispersed:
            return (values - self.mean) / self._sigma()
        dist, parameters = self._distribution()
        scores = np.where(np.isnan(values), np.nan, 0.0)
        above, below = values > self.mean, values < self.mean
        # A tail holding over half the mass (zero, for a mostly-zero count) is no deviation.
        if above.any():
            tail = dist.sf(np.ceil(values[above]) - 1, *parameters)
            scores[above] = np.maximum(stats.norm.isf(np.maximum(tail, _MIN_P)), 0.0)
        if below.any():
            tail = dist.cdf(np.floor(values[below]), *parameters)
            scores[below] = -np.maximum(stats.norm.isf(np.maximum(tail, _MIN_P)), 0.0)
        return scores

    def band(self, sensitivity: float) -> tuple[float, float]:
        """The values whose score stays within ``sensitivity`` on either side."""
        if not self.overdispersed:
            return (max(self.mean - sensitivity * self._sigma(), 0.0), self.mean + sensitivity * self._sigma())
        tail = float(stats.norm.sf(sensitivity))
        dist, parameters = self._distribution()
        return float(dist.ppf(tail, *parameters)), float(dist.isf(tail, *parameters))
