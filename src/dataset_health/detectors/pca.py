"""PCA reconstruction: flag an update that breaks how the metrics move together.

Rows of per-column robust z-scores (see
:mod:`dataset_health.detectors._multivariate`) are projected on their main
components, those that explain ``explained_variance`` of the history. Two
statistics come out of a new row:

- the squared reconstruction error (SPE, Q statistic): the part of the row
  no usual pattern explains, e.g. ``rows_created`` up while ``row_count``
  does not follow;
- Hotelling's T^2 inside the components: a usual pattern, but far too
  strong, e.g. every volume column at a tenth (a partial load moves them
  all along their main component, where the error stays small).

Columns are z-scores already, so both statistics are read as chi-square
variables (every direction at least one unit wide, so a column that is
zero on most updates cannot make its ordinary blip extreme) and turned into
the normal z-score with the same tail probability; the score is the
larger. A column's contribution is how much SPE + T^2 would drop were it
at its usual value. Rows with a gross deviation are left out of the fit.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy import stats
from sklearn.decomposition import PCA

from dataset_health.detectors._multivariate import SHARED_CONSTRAINTS, MultivariateDetector
from dataset_health.detectors.base import Interval



class PCADetector(MultivariateDetector):
    """Flag an update whose metrics a PCA of past updates cannot reconstruct.

    Parameters
    ----------
    sensitivity : float, default=4.0
        z-score (of the chi-square tail probability of SPE or T^2) above
        which the update fails.
    min_history : int, default=14
        Fewer usable past rows than this give ``insufficient_history``.
    training_window : int or None, default=1000
        How many of the newest past rows the components are learned from.
    seasonality : {"auto", "none", "day_of_week"}, default="auto"
        Columns are scaled within their season (weekday when daily, hour
        when hourly); "none" scales them over all rows.
    holidays : None, "us_federal" or list of dates, default=None
        Holidays are scaled with Sundays.
    min_relative_change : float, default=0.01
        Floor of each column's spread, relative to its level.
    refit_every : int or None, default=None
        In :meth:`walk_forward`, refit every that many rows (None: once per
        season, or every 7 rows).
    explained_variance : float, default=0.9
        Share of the variance the kept components explain.

    Attributes
    ----------
    columns_ : list of str
        The columns judged.
    pca_ : PCA
        The fitted decomposition.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> created = 1000 * rng.lognormal(0, 0.1, 41)
    >>> frame = pd.DataFrame({"rows_created": created, "rows_updated": 0.4 * created * rng.lognormal(0, 0.02, 41),
    ...                       "null_fraction": rng.normal(0.02, 0.002, 41)})
    >>> frame.loc[40, "null_fraction"] = 0.7
    >>> verdict = PCADetector().check(frame, metric="update 41")
    >>> verdict.status, max(verdict.contributions, key=verdict.contributions.get)
    ('fail', 'null_fraction')
    >>> verdict.reason.split(":")[1]
    ' null_fraction 0.7 (usual 0.02036, 100%)'
    """

    name: ClassVar[str] = "pca"
    _calibrate: ClassVar[bool] = False  # chi-square tails give z-scores directly
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **SHARED_CONSTRAINTS,
        "explained_variance": [Interval(0, 1, closed="neither")],
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
        explained_variance: float = 0.9,
    ) -> None:
        self.sensitivity = sensitivity
        self.min_history = min_history
        self.training_window = training_window
        self.seasonality = seasonality
        self.holidays = holidays
        self.min_relative_change = min_relative_change
        self.refit_every = refit_every
        self.explained_variance = explained_variance

    def _fit_matrix(self, matrix: np.ndarray) -> None:
        full = PCA().fit(matrix)
        cumulative = np.cumsum(full.explained_variance_ratio_)
        wanted = int(np.searchsorted(cumulative, self.explained_variance) + 1) if cumulative.size else 0
        # Keep one dimension out, or every row reconstructs perfectly.
        self.n_components_ = max(0, min(wanted, matrix.shape[1] - 1, matrix.shape[0] - 1))
        self.pca_ = PCA(n_components=self.n_components_).fit(matrix) if self.n_components_ else None
        self.mean_ = matrix.mean(axis=0)
        residual, _ = self._parts(matrix)
        # Columns are z-scores already: no direction is narrower than one
        # unit, or a column that is zero on most updates (rows_deleted) would
        # make its ordinary purge a 30-sigma event.
        self.residual_variance_ = np.maximum(residual.var(axis=0), 1.0)

    def _parts(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Residuals (n x d) and component scores divided by their deviations (n x k)."""
        centred = matrix - self.mean_
        if self.pca_ is None:
            return centred, np.zeros((matrix.shape[0], 0))
        scores = centred @ self.pca_.components_.T
        residual = centred - scores @ self.pca_.components_
        return residual, scores / np.sqrt(np.maximum(self.pca_.explained_variance_, 1.0))

    def _statistics(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """SPE (each column's residual in its own unit) and T^2."""
        residual, whitened = self._parts(matrix)
        return (residual**2 / self.residual_variance_).sum(axis=1), (whitened**2).sum(axis=1)

    def _calibrated(self, matrix: np.ndarray) -> np.ndarray:
        """z-scores with the chi-square tail probabilities of SPE and T^2, one column each."""
        spe, t2 = self._statistics(matrix)
        residual_dims = max(matrix.shape[1] - self.n_components_, 1)
        return np.column_stack([_chi2_z(spe, residual_dims), _chi2_z(t2, max(self.n_components_, 1))])

    def _score_matrix(self, matrix: np.ndarray) -> np.ndarray:
        return self._calibrated(matrix).max(axis=1)

    def _statistic(self, matrix: np.ndarray) -> np.ndarray:
        spe, t2 = self._statistics(matrix)
        return spe + t2


def _chi2_z(statistic: np.ndarray, dims: int) -> np.ndarray:
    """The one-sided normal z-score with the chi-square tail probability of ``statistic``."""
    return np.maximum(stats.norm.isf(np.maximum(stats.chi2.sf(statistic, dims), 1e-300)), 0.0)
