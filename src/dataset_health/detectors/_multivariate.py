"""What the multivariate detectors share: column scaling, calibration, reasons.

An archive row has a dozen metrics on unrelated scales: a row count in the
millions, a null fraction near 0.02, a column count of 14. Before a model
sees them together, each column becomes a robust z-score of its own, with
the choices the single-metric detectors make and for the same reasons:

- cumulative columns (``row_count``, running sums) are judged by their
  change since the previous update, on the log scale;
- counts are on the log scale (a partial load is "x0.1");
- small discrete counts (``rows_deleted``) get a count model's residual;
- each column is centred and scaled within its season (same weekday for
  daily updates, same hour for hourly ones) by median and MAD, with a floor
  so a column constant for months fails on a real change only.

The model (:meth:`MultivariateDetector._fit_matrix`) then scores a row of
those z-scores; the raw score is calibrated against the training rows'
scores (median and upper tail) into a z-score comparable with
``sensitivity``, and the verdict names the columns that contributed most:
those whose return to their usual value would lower the score most.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from dataset_health.detectors._counts import CountModel, is_discrete_count
from dataset_health.detectors._forest import upper_tail_scale
from dataset_health.detectors._reason import fmt
from dataset_health.text import counted
from dataset_health.detectors._robust import mad_sigma, median
from dataset_health.detectors.base import (
    FAIL,
    INSUFFICIENT_HISTORY,
    PASS,
    BaseMultivariateDetector,
    Interval,
    MultivariateVerdict,
    as_float_array,
    as_mask,
    as_timestamp,
    as_timestamps,
)
from dataset_health.detectors.cadence import Cadence, infer_cadence
from dataset_health.detectors.calendar import CLOSED_DAYS, HOLIDAY, HOLIDAYS_CONSTRAINT, day_kind, resolve_holidays

SHARED_CONSTRAINTS: dict[str, list[Any]] = {
    "sensitivity": [Interval(0, None, closed="neither")],
    "min_history": [Interval(2, None)],
    "training_window": [None, Interval(2, None)],
    "seasonality": ["auto", "none", "day_of_week"],
    "holidays": HOLIDAYS_CONSTRAINT,
    "min_relative_change": [Interval(0, None)],
    "refit_every": [None, Interval(1, None)],
}

_MIN_PRESENT = 0.5  # a column numeric in fewer training rows than this share is left out
_MIN_GROUP = 4  # seasonal groups smaller than this use the whole column
_CLIP = 1000.0  # z-scores beyond this carry no more information, only overflow risk
_CUMULATIVE_SHARE = 0.9  # share of non-decreasing steps that makes a column cumulative
_TOP = 3  # columns named in a reason
_MIN_SHARE = 0.01  # contributions smaller than this are not worth naming


@dataclass
class _Column:
    """How one archive column becomes a z-score."""

    name: str
    kind: str  # "change", "log", "linear" or "count"
    centers: dict[int, float]
    scales: dict[int, float]
    count: CountModel | None = None

    def transform(self, values: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """The model-scale values (changes for cumulative columns)."""
        if self.kind == "change":
            return np.log1p(np.maximum(values, 0)) - np.log1p(np.maximum(previous, 0))
        if self.kind == "log":
            return np.log1p(np.maximum(values, 0))
        return values

    def zscores(self, values: np.ndarray, previous: np.ndarray, groups: np.ndarray) -> np.ndarray:
        if self.kind == "count":
            z = self.count.signed_scores(values)
        else:
            x = self.transform(values, previous)
            center = np.array([self.centers.get(int(g), self.centers[-1]) for g in groups])
            scale = np.array([self.scales.get(int(g), self.scales[-1]) for g in groups])
            z = (x - center) / scale
        return np.clip(np.nan_to_num(z, nan=0.0), -_CLIP, _CLIP)  # a missing value is a usual value

    def usual(self, group: int, previous: float) -> float:
        """The usual value in metric units, for reasons."""
        if self.kind == "count":
            return self.count.median
        center = self.centers.get(group, self.centers[-1])
        if self.kind == "change":
            return float(np.expm1(np.log1p(max(previous, 0)) + center))
        return float(np.expm1(center)) if self.kind == "log" else center


class MultivariateDetector(BaseMultivariateDetector):
    """Base of the multivariate detectors; see the module docstring.

    Subclasses implement ``_fit_matrix(Z)`` and ``_score_matrix(Z)`` (raw
    anomaly scores, higher is more anomalous, calibrated here unless the
    class sets ``_calibrate = False``), and may offer ``_statistic(Z)``, an
    unbounded version of the score from which column contributions are
    read (what the statistic loses when a column alone is set to usual).
    """

    name: ClassVar[str] = "multivariate"
    _calibrate: ClassVar[bool] = True  # False: _score_matrix already returns z-scores

    # ---------------------------------------------------------------- fit
    def fit(self, frame: pd.DataFrame, timestamps: Any = None, exclude: Any = None) -> "MultivariateDetector":
        self._validate_params()
        numeric, stamps = self._clean(frame, timestamps, exclude)
        if self.training_window is not None:
            numeric = numeric.iloc[-int(self.training_window):]
            stamps = None if stamps is None else stamps[-int(self.training_window):]
        with threadpool_limits(limits=1):  # small matrices: threads only add contention
            return self._fit_clean(numeric, stamps)

    def _clean(self, frame: pd.DataFrame, timestamps: Any,
               exclude: Any) -> tuple[pd.DataFrame, pd.DatetimeIndex | None]:
        frame = pd.DataFrame(frame).reset_index(drop=True)
        numeric = pd.DataFrame({str(c): as_float_array(frame[c].to_numpy(dtype=object)) for c in frame.columns})
        stamps = as_timestamps(timestamps, len(numeric))
        keep = np.ones(len(numeric), dtype=bool)
        if exclude is not None:
            keep &= ~as_mask(exclude, len(numeric))
        if stamps is not None:
            keep &= ~np.asarray(stamps.isna())
        numeric = numeric[keep].reset_index(drop=True)
        if stamps is None:
            return numeric, None
        stamps = stamps[keep]
        # Change columns are measured from the previous update in time, not in the frame.
        order = np.argsort(np.asarray(stamps.asi8), kind="stable")
        return numeric.iloc[order].reset_index(drop=True), stamps[order]

    def _fit_clean(self, numeric: pd.DataFrame, stamps: pd.DatetimeIndex | None) -> "MultivariateDetector":
        self.history_size_ = len(numeric)
        self.cadence_: Cadence = infer_cadence(stamps) if stamps is not None else Cadence("unknown", None)
        self.holidays_ = resolve_holidays(self.holidays, stamps)
        present = numeric.notna().mean() >= _MIN_PRESENT if len(numeric) else pd.Series(dtype=bool)
        self.columns_ = [c for c in numeric.columns if present.get(c, False)]
        # Per column, the newest value it had: a change since a missing value is
        # measured from the one before it, or a mass delete after a gap would look usual.
        carried = numeric.ffill()
        self.last_row_ = carried.iloc[-1] if len(numeric) else pd.Series(dtype=float)
        self.fitted_ = False
        if len(numeric) < max(int(self.min_history), 2) or not self.columns_:
            return self
        groups = self._groups(stamps, len(numeric))
        previous = carried.shift(1)
        self.column_models_ = [self._column(numeric[c].to_numpy(), previous[c].to_numpy(), groups, c)
                               for c in self.columns_]
        matrix = self._matrix(numeric, previous, groups)[1:]  # the first row has no previous row
        # Rows with a gross deviation (past incidents, untold holidays) would
        # teach the model that such rows are usual: it learns from the rest.
        usual = np.abs(matrix).max(axis=1) <= 2 * self.sensitivity if matrix.size else np.zeros(0, dtype=bool)
        matrix = matrix[usual] if usual.sum() >= max(int(self.min_history), 2) else matrix
        self._fit_matrix(matrix)
        if self._calibrate:
            self.score_center_, self.score_scale_ = upper_tail_scale(self._score_matrix(matrix))
        else:
            self.score_center_, self.score_scale_ = 0.0, 1.0
        self.fitted_ = True
        return self

    def _by_day(self) -> bool:
        return self.seasonality == "day_of_week" or (self.seasonality == "auto" and self.cadence_.name == "daily")

    def _groups(self, stamps: pd.DatetimeIndex | None, size: int) -> np.ndarray:
        """Season of each row: day kind (daily), hour (hourly), else one group."""
        if stamps is None or self.seasonality == "none":
            return np.zeros(size, dtype=int)
        if self._by_day():
            return day_kind(stamps, self.holidays_)
        if self.cadence_.name == "hourly":
            return np.asarray(stamps.hour)
        return np.zeros(size, dtype=int)

    def _column(self, values: np.ndarray, previous: np.ndarray, groups: np.ndarray, name: str) -> _Column:
        usable = values[~np.isnan(values)]
        steps = np.diff(usable)
        if usable.size > 2 and usable.min() >= 0 and steps.size and np.mean(steps >= 0) >= _CUMULATIVE_SHARE \
                and usable[-1] > usable[0]:
            kind = "change"
        elif is_discrete_count(usable):
            return _Column(name, "count", {-1: 0.0}, {-1: 1.0}, CountModel.fit(usable, self.sensitivity))
        elif usable.size and usable.min() >= 0 and usable.max() > 1:
            kind = "log"
        else:
            kind = "linear"
        column = _Column(name, kind, {}, {})
        x = column.transform(values, previous)
        closed = np.isin(groups, CLOSED_DAYS) if self._by_day() else np.zeros(x.size, dtype=bool)
        for group in [-1, *np.unique(groups), *([HOLIDAY] if closed.any() else [])]:
            # A holiday is scaled like weekends and past holidays together.
            rows = np.ones(x.size, dtype=bool) if group == -1 else closed if group == HOLIDAY else groups == group
            chosen = x[rows]
            chosen = chosen[~np.isnan(chosen)]
            if chosen.size < (_MIN_GROUP if group != -1 else 1):
                continue
            center = median(chosen)
            spread = mad_sigma(chosen, center)
            column.centers[int(group)] = center
            column.scales[int(group)] = max(spread, self._floor(center, kind))
        if -1 not in column.centers:
            column.centers[-1], column.scales[-1] = 0.0, 1.0
        return column

    def _floor(self, center: float, kind: str) -> float:
        # Relative floors as in the single-metric detectors: a change, or a
        # log-scale deviation, of min_relative_change; in metric units
        # relative to the level (a fraction near zero: to 0.1).
        if kind in ("change", "log"):
            return max(float(np.log1p(self.min_relative_change)), 1e-9)
        return max(self.min_relative_change * max(abs(center), 0.1), 1e-9)

    def _matrix(self, numeric: pd.DataFrame, previous: pd.DataFrame, groups: np.ndarray) -> np.ndarray:
        return np.column_stack([
            model.zscores(numeric[model.name].to_numpy(), previous[model.name].to_numpy(), groups)
            for model in self.column_models_
        ])

    # -------------------------------------------------------------- hooks
    def _fit_matrix(self, matrix: np.ndarray) -> None:
        raise NotImplementedError

    def _score_matrix(self, matrix: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _statistic(self, matrix: np.ndarray) -> np.ndarray:
        """An unbounded anomaly statistic (default: the score) for contributions."""
        return self._score_matrix(matrix)

    def _contributions(self, row: np.ndarray) -> np.ndarray:
        """How much the statistic drops when each column alone is set to its usual value (z = 0)."""
        variants = np.repeat(row[None, :], row.size + 1, axis=0)
        variants[np.arange(1, row.size + 1), np.arange(row.size)] = 0.0
        statistic = self._statistic(variants)
        return np.maximum(statistic[0] - statistic[1:], 0.0)

    def _refit_interval(self) -> int:
        if self.refit_every is not None:
            return int(self.refit_every)
        return self.cadence_.periods[0] if self.cadence_.periods else 7

    # -------------------------------------------------------------- judge
    def judge(self, row: pd.Series, timestamp: Any = None, *, metric: str = "update") -> MultivariateVerdict:
        check_is_fitted(self, "fitted_")
        stamp = as_timestamp(timestamp)
        if not self.fitted_:
            needed = max(int(self.min_history), 2)
            why = (f"{metric} has {counted(self.history_size_, 'past row')}, fewer than the {needed} needed"
                   if self.columns_ else f"{metric} has no column with enough numeric values")
            return MultivariateVerdict(INSUFFICIENT_HISTORY, None, None, None, None, None,
                                       int(self.history_size_), self.name, why, {})
        row = pd.Series(row)
        values = pd.DataFrame([{c: as_float_array([row.get(c)])[0] for c in self.columns_}])
        if values.iloc[0].isna().all():  # nothing to judge: a missing value counts as usual, so this would pass
            return MultivariateVerdict(INSUFFICIENT_HISTORY, None, None, None, None, None, int(self.history_size_),
                                       self.name, f"{metric} has no numeric value in any of its "
                                       f"{len(self.columns_)} columns", {})
        unreadable = [c for c in self.columns_ if np.isnan(values.iloc[0][c])]
        previous = pd.DataFrame([self.last_row_.reindex(self.columns_)])
        group = self._groups(None if stamp is None else pd.DatetimeIndex([stamp]), 1)
        z = self._matrix(values, previous, group)
        raw = float(self._score_matrix(z)[0])
        score = max((raw - self.score_center_) / self.score_scale_, 0.0)
        weights = self._contributions(z[0])
        total = float(weights.sum())
        shares = weights / total if total > 0 else np.zeros_like(weights)
        contributions = {c: round(float(w), 4) for c, w in zip(self.columns_, shares)}
        status = FAIL if score > self.sensitivity else PASS
        reason = self._reason(metric, score, status, values.iloc[0], z[0], shares, int(group[0]))
        if unreadable:
            # Judged as usual, which a reader must not take for checked.
            reason += (f"; not judged, no numeric value: {', '.join(unreadable[:_TOP])}"
                       + (f" and {len(unreadable) - _TOP} more" if len(unreadable) > _TOP else ""))
        return MultivariateVerdict(status, round(score, 4), round(score, 4), 0.0, None, float(self.sensitivity),
                                   int(self.history_size_), self.name, reason, contributions)

    def _reason(self, metric: str, score: float, status: str, values: pd.Series, z: np.ndarray,
                shares: np.ndarray, group: int) -> str:
        head = (f"{metric} is unusual (score {score:.1f} above {fmt(self.sensitivity)})" if status == FAIL
                else f"{metric} looks usual (score {score:.1f}, at most {fmt(self.sensitivity)})")
        order = [i for i in np.argsort(-shares) if shares[i] >= _MIN_SHARE][:_TOP]
        if not order:
            return head
        parts = []
        for i in order:
            model = self.column_models_[i]
            observed = values[model.name]
            shown = "missing" if np.isnan(observed) else fmt(float(observed))
            usual = model.usual(group, float(self.last_row_.get(model.name, np.nan)))
            parts.append(f"{model.name} {shown} (usual {fmt(usual)}, {shares[i]:.0%})")
        return f"{head}: " + ", ".join(parts)

    # ----------------------------------------------------- walk-forward
    def walk_forward(self, frame: pd.DataFrame, timestamps: Any = None, exclude: Any = None, *,
                     metric: str = "update") -> list[MultivariateVerdict]:
        """The verdict of every row from the rows before it, refitting every ``refit_every`` rows.

        Between refits the fitted scaling and model stay; each new row only
        becomes the "previous row" that change columns are measured from.
        """
        self._validate_params()
        with threadpool_limits(limits=1):
            return self._walk_forward(frame, timestamps, exclude, metric)

    def _walk_forward(self, frame: pd.DataFrame, timestamps: Any, exclude: Any,
                      metric: str) -> list[MultivariateVerdict]:
        numeric = pd.DataFrame({str(c): as_float_array(pd.DataFrame(frame)[c].to_numpy(dtype=object))
                                for c in pd.DataFrame(frame).columns})
        stamps = as_timestamps(timestamps, len(numeric))
        usable = np.ones(len(numeric), dtype=bool) if exclude is None else ~as_mask(exclude, len(numeric))
        if stamps is not None and not stamps.is_monotonic_increasing:  # (as_timestamps refuses a missing time)
            # Walk in time order, answer in the frame's: "before t" means earlier in time.
            order = np.argsort(np.asarray(stamps.asi8), kind="stable")
            walked = self._walk_forward(numeric.iloc[order].reset_index(drop=True), stamps[order],
                                        ~usable[order], metric)
            return [walked[i] for i in np.argsort(order)]  # argsort of a permutation inverts it
        positions = np.flatnonzero(usable)
        verdicts, fitted_at, every = [], None, 1
        for t in range(len(numeric)):
            end = int(np.searchsorted(positions, t))
            if fitted_at is None or t - fitted_at >= every or not self.fitted_:
                start = 0 if self.training_window is None else max(0, end - int(self.training_window))
                index = positions[start:end]
                self._fit_clean(numeric.iloc[index].reset_index(drop=True), None if stamps is None else stamps[index])
                fitted_at, every = t, self._refit_interval()
            elif end and positions[end - 1] == t - 1:
                self.last_row_ = numeric.iloc[t - 1].combine_first(self.last_row_)
                self.history_size_ += 1
            verdicts.append(self.judge(numeric.iloc[t], None if stamps is None else stamps[t], metric=metric))
        return verdicts
