"""Walk-forward backtest: what a detector would have said about every past update.

Each row of an archive is judged as if it were the newest update, from the
rows before it in time only (:func:`backtest`). Every numeric column is
watched unless ``metrics`` names some; each metric gets its own verdict, and
a *combiner* turns the verdicts of one row into the row's verdict. The
default combiner, :func:`any_metric_fails`, flags a row when any metric
fails; the combiner is a parameter so that a smarter one can replace it.

A detector that offers ``walk_forward(values, timestamps, metric=...)``
judges a whole series in one pass; the others are called once per row
through ``check``. Both give the same verdicts, except where a detector
reuses a fit for ``refit_every`` rows (Holt-Winters, STL, the forest, the
network): a live check fits afresh, so its verdict can differ near a
threshold.

Scoring the result against labels is :func:`dataset_health.scoring.score_events`
(re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from dataset_health.archive.schema import (
    KEY_COLUMNS,
    TEXT_FIELDS,
    TIMESTAMP,
    UPDATE_ID,
    is_missing,
    is_numeric_field,
    metric_column,
    parse_iso_timestamp,
    parse_number,
    parse_timestamp,
)
from dataset_health.detector_config import AUTO, DetectorConfig, resolve_config
from dataset_health.detectors import FAIL, INSUFFICIENT_HISTORY, PASS, Verdict
from dataset_health.detectors.local_time import local_times
from dataset_health.errors import BadInputError, ConfigError, SchemaError, refuse_overwrites, writing
from dataset_health.scoring import score_events

VERDICT_COLUMNS = ("timestamp", "is_anomaly", "status", "score", "failed_metrics")

# A multivariate verdict names the columns whose share of the score is at
# least this (or else its largest one) as the failed metrics.
_CONTRIBUTION_SHARE = 0.25
# The archive's freshness metric; a date column is watched as one of these.
FRESHNESS_LAG = "freshness_lag_hours"


@dataclass(frozen=True)
class ArchiveSeries:
    """An archive ready to walk: metric values in time order, and the way back.

    ``order[k]`` is the input row of the k-th row in time; ``values`` maps
    each watched metric to its floats in time order (NaN where missing).
    """

    timestamps: pd.DatetimeIndex
    order: np.ndarray
    values: Mapping[str, np.ndarray]
    input_timestamps: pd.Series

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.values)

    @property
    def rows(self) -> int:
        return len(self.timestamps)

    def on_clock(self, timezone: str | None) -> "ArchiveSeries":
        """This series with its update times on ``timezone``'s wall clock, as detectors
        should see them (:mod:`dataset_health.detectors.local_time`); itself without one."""
        if timezone is None:
            return self
        try:
            local = local_times(self.timestamps, timezone)  # the times are parsed: only the zone can be bad
        except ValueError as exc:
            raise ConfigError(f"timezone: {exc}") from None
        return replace(self, timestamps=pd.DatetimeIndex(local))

    def frame(self) -> pd.DataFrame:
        """The metric values as a DataFrame, rows in time order."""
        return pd.DataFrame(dict(self.values))

    def to_input_order(self, array: np.ndarray) -> np.ndarray:
        """Rows of ``array`` (in time order) put back in input order."""
        result = np.empty_like(array)
        result[self.order] = array
        return result


@dataclass(frozen=True)
class MetricVerdicts:
    """The walk-forward verdicts of every watched metric: rows (in time order) x metrics."""

    metrics: tuple[str, ...]
    status: np.ndarray
    score: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @property
    def failed(self) -> np.ndarray:
        return self.status == FAIL


#: Turns the verdicts of every metric into one verdict per row: a DataFrame
#: with ``is_anomaly`` (0/1), ``status``, ``score`` and ``failed_metrics``.
Combiner = Callable[[MetricVerdicts], pd.DataFrame]


def any_metric_fails(verdicts: MetricVerdicts) -> pd.DataFrame:
    """A row fails when any of its metrics fails.

    Its status is ``pass`` when no metric failed and at least one passed,
    ``insufficient_history`` when no metric could be judged. Its score is
    the highest metric score; ``failed_metrics`` lists the failed metrics,
    comma-separated, in column order.
    """
    failed = verdicts.failed
    judged = verdicts.status == PASS
    any_failed = failed.any(axis=1)
    status = np.where(any_failed, FAIL, np.where(judged.any(axis=1), PASS, INSUFFICIENT_HISTORY))
    scores = verdicts.score
    has_score = ~np.isnan(scores).all(axis=1) if scores.size else np.zeros(len(status), dtype=bool)
    score = np.full(len(status), np.nan)
    score[has_score] = np.nanmax(scores[has_score], axis=1)
    names = np.array(verdicts.metrics, dtype=object)
    failed_metrics = [",".join(names[row]) for row in failed]
    return pd.DataFrame({"is_anomaly": any_failed.astype(int), "status": status, "score": score,
                         "failed_metrics": failed_metrics})


def backtest(
    frame: pd.DataFrame,
    *,
    metrics: list[str] | None = None,
    detector: str | Mapping[str, Any] | DetectorConfig = AUTO,
    timestamp_column: str = TIMESTAMP,
    combine: Combiner = any_metric_fails,
    holidays: Any = None,
    timezone: str | None = None,
    progress: bool = False,
    source: str | None = None,
) -> pd.DataFrame:
    """Judge every row of an archive from the rows before it.

    Parameters
    ----------
    frame : DataFrame
        One row per update: a timestamp column and metric columns (numbers,
        or text as read from CSV). Non-numeric columns are ignored.
    metrics : list of str, optional
        The columns to watch (default: every numeric column).
    detector : "auto", str, dict or DetectorConfig, default="auto"
        ``"auto"`` is :data:`~dataset_health.detector_config.DEFAULT_CONFIG`;
        a registry name uses that detector's defaults.
    timestamp_column : str, default="timestamp"
        The column that orders the updates in time.
    combine : callable, default=any_metric_fails
        Turns the verdicts of one row's metrics into the row's verdict.
    holidays : None, "us_federal" or list of dates, optional
        A holiday calendar for a detector that takes one and sets none
        (as a dataset's ``holidays:`` setting fills its suite).
    timezone : str, optional
        The dataset's IANA time zone: detectors read weekdays, hours and
        holidays on its clock (default: UTC, as the timestamps are).
    progress : bool, default=False
        Show a progress bar on stderr (when it is a terminal).
    source : str, optional
        What the rows came from (``archive CSV 'a.csv'``), to name it in errors.

    Returns
    -------
    DataFrame
        One row per input row, in input order: ``timestamp`` (as given),
        ``update_id`` when the input has one, ``is_anomaly`` (0/1),
        ``status`` (pass, fail or insufficient_history), ``score`` and
        ``failed_metrics``.

    Examples
    --------
    >>> frame = pd.DataFrame({"timestamp": pd.date_range("2024-01-01", periods=12),
    ...                       "rows_created": [100, 104, 98, 101, 99, 103, 100, 102, 97, 101, 99, 12]})
    >>> backtest(frame, detector="elementary_z")["status"].tolist()[-2:]
    ['pass', 'fail']
    """
    config = resolve_config(detector).with_settings({"holidays": holidays})
    series = prepare(frame, metrics=metrics, timestamp_column=timestamp_column, source=source).on_clock(timezone)
    rows = row_verdicts(series, config, combine=combine, progress=progress)
    verdicts = finish(series, rows)
    if UPDATE_ID in frame.columns:  # an archive export names its updates: keep the names
        verdicts.insert(1, UPDATE_ID, frame[UPDATE_ID].to_numpy())
    return verdicts


def prepare(frame: pd.DataFrame, *, metrics: list[str] | None = None, timestamp_column: str = TIMESTAMP,
            source: str | None = None) -> ArchiveSeries:
    """The watched metrics of ``frame`` as floats in time order.

    A column of dates (the newest date in the data, such as ``max_key_date``)
    is watched as its freshness lag: the hours from that date to the
    update, named ``freshness_lag_hours__<column>``, the archive's own
    freshness metric. A date that goes back, or stops moving while updates
    go on, is a stale load; the date itself only grows. ``source`` (such as
    ``archive CSV 'a.csv'``) starts the message of every error about the input.
    """
    try:
        return _prepare(frame, metrics=metrics, timestamp_column=timestamp_column)
    except BadInputError as exc:
        if source is None:
            raise
        raise type(exc)(f"{source}: {exc}") from None


def _prepare(frame: pd.DataFrame, *, metrics: list[str] | None, timestamp_column: str) -> ArchiveSeries:
    if timestamp_column not in frame.columns:
        raise SchemaError(f"the archive has no timestamp column {timestamp_column!r}; "
                          f"columns: {', '.join(map(str, frame.columns))}")
    if frame.empty:
        raise BadInputError("the archive has no rows")
    stamps = _parse_timestamps(frame[timestamp_column])
    order = np.argsort(stamps.asi8, kind="stable")  # ties keep their input order
    skip = set(KEY_COLUMNS) | {timestamp_column}
    available = {}
    for column in (c for c in frame.columns if c not in skip):
        numbers, lag = _causal_values(frame[column], stamps, order)
        if numbers is not None and np.isfinite(numbers).any():
            available[column] = numbers
        if lag is not None and np.isfinite(lag).any():
            available[metric_column(FRESHNESS_LAG, column)] = lag
    keys = [c for c in frame.columns if c in skip]
    if metrics is not None and set(metrics) & set(keys):
        key = next(m for m in metrics if m in keys)
        raise ConfigError(f"column {key!r} is the update's {'time' if key == timestamp_column else 'key'}, "
                          "not a metric to watch")
    watched = _watched_metrics(available, [c for c in frame.columns if c not in skip], metrics)
    values = {name: available[name][order] for name in watched}
    return ArchiveSeries(stamps[order], order, values, frame[timestamp_column])


def row_verdicts(series: ArchiveSeries, config: DetectorConfig, *, combine: Combiner = any_metric_fails,
                 progress: bool = False) -> pd.DataFrame:
    """One verdict per row (in time order), from a univariate or multivariate detector."""
    if config.multivariate:
        return multivariate_verdicts(series, config, progress=progress)
    return combine(metric_verdicts(series, config, progress=progress))


def metric_verdicts(series: ArchiveSeries, config: DetectorConfig, *, progress: bool = False) -> MetricVerdicts:
    """The walk-forward verdicts of every watched metric, each judged on its own."""
    shape = (series.rows, len(series.metrics))
    status = np.empty(shape, dtype=object)
    score, lower, upper = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    with tqdm(total=series.rows * len(series.metrics), desc=f"backtest {config.name}", unit="point",
              disable=None if progress else True, leave=False) as bar:
        for column, metric in enumerate(series.metrics):
            detector = config.make(metric)
            verdicts = walk_forward(detector, series.values[metric], series.timestamps, metric=metric, bar=bar)
            status[:, column] = [v.status for v in verdicts]
            for target, field_name in ((score, "score"), (lower, "lower"), (upper, "upper")):
                target[:, column] = [_float(getattr(v, field_name)) for v in verdicts]
    return MetricVerdicts(series.metrics, status, score, lower, upper)


def walk_forward(detector: Any, values: np.ndarray, timestamps: pd.DatetimeIndex, *, metric: str,
                 bar: Any = None) -> list[Verdict]:
    """The verdict of every row of one metric from the rows before it (rows in time order)."""
    fast = getattr(detector, "walk_forward", None)
    if callable(fast):
        verdicts = list(fast(values, timestamps, metric=metric))
        if bar is not None:
            bar.update(len(values))
        return verdicts
    verdicts = []
    for t in range(len(values)):
        verdicts.append(detector.check(values[: t + 1], timestamps[: t + 1], metric=metric))
        if bar is not None:
            bar.update(1)
    return verdicts


def multivariate_verdicts(series: ArchiveSeries, config: DetectorConfig, *, progress: bool = False) -> pd.DataFrame:
    """One verdict per row from a detector that judges all watched metrics at once."""
    detector = config.make()
    frame = series.frame()
    fast = getattr(detector, "walk_forward", None)
    if callable(fast):
        verdicts = list(fast(frame, series.timestamps, metric="update"))
    else:
        rows = tqdm(range(series.rows), desc=f"backtest {config.name}", unit="row",
                    disable=None if progress else True, leave=False)
        verdicts = [detector.check(frame.iloc[: t + 1], series.timestamps[: t + 1], metric="update") for t in rows]
    return pd.DataFrame({
        "is_anomaly": [int(v.status == FAIL) for v in verdicts],
        "status": [v.status for v in verdicts],
        "score": [_float(v.score) for v in verdicts],
        "failed_metrics": [",".join(_drivers(v)) if v.status == FAIL else "" for v in verdicts],
    })


def finish(series: ArchiveSeries, rows: pd.DataFrame) -> pd.DataFrame:
    """Row verdicts (time order) as the backtest's output: input order, input timestamps."""
    result = pd.DataFrame({"timestamp": series.input_timestamps.to_numpy()})
    for column in VERDICT_COLUMNS[1:]:
        result[column] = series.to_input_order(rows[column].to_numpy())
    result["is_anomaly"] = result["is_anomaly"].astype(int)
    result["score"] = result["score"].astype(float)
    return result


def backtest_csv(
    archive: str | Path,
    output: str | Path,
    *,
    metrics: list[str] | None = None,
    detector: str | Mapping[str, Any] | DetectorConfig = AUTO,
    timestamp_column: str = TIMESTAMP,
    holidays: Any = None,
    timezone: str | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Backtest an archive CSV and write the verdicts CSV; returns the verdicts."""
    refuse_overwrites({"verdicts": output}, {"archive": archive})
    frame = read_csv(archive)
    verdicts = backtest(frame, metrics=metrics, detector=detector, timestamp_column=timestamp_column,
                        holidays=holidays, timezone=timezone, progress=progress, source=f"archive CSV {str(archive)!r}")
    with writing(output, what="verdicts", urls=True) as target:
        verdicts.to_csv(target, index=False)
    return verdicts


def read_csv(path: str | Path, *, what: str = "archive") -> pd.DataFrame:
    """A CSV file with its columns as written, values as text.

    Unlike :func:`~dataset_health.archive.read_archive_csv` (made for
    importing), column names are kept and a timestamp may repeat: a
    backtest only needs the rows in time order.
    """
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise BadInputError(f"{what} CSV {str(path)!r} does not exist") from None
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{what} CSV {str(path)!r} cannot be read: {exc}") from None


def _float(value: float | None) -> float:
    return np.nan if value is None else float(value)


def _drivers(verdict: Any) -> list[str]:
    shares = getattr(verdict, "contributions", None) or {}
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    return [name for name, share in ranked if share >= _CONTRIBUTION_SHARE] or [name for name, _ in ranked[:1]]


def _parse_timestamps(column: pd.Series) -> pd.DatetimeIndex:
    try:
        # ISO 8601 only, as the archive takes them: pandas' "mixed" would drop a zone
        # name such as EST (five hours off) and read 01/02/2024 as 2 January.
        stamps = pd.to_datetime(column, utc=True, format="ISO8601")
        if stamps.isna().any():
            raise ValueError("missing")
    except (ValueError, TypeError, OverflowError):
        # Parse row by row, the archive's own way: it names the first bad row,
        # and it takes what pandas' vectorised ISO 8601 does not (a stray space).
        parsed = []
        for position, value in enumerate(column):
            try:
                parsed.append(parse_timestamp(value))
            except ValueError as exc:
                raise BadInputError(f"row {position + 1}: field {column.name!r}: {exc}") from None
        return pd.DatetimeIndex(parsed)
    return pd.DatetimeIndex(stamps).tz_localize(None)


def _watched_metrics(available: Mapping[str, np.ndarray], columns: list[str], metrics: list[str] | None) -> list[str]:
    """The metrics to watch: ``metrics`` (a date column stands for its lag), or every one available."""
    if metrics is None:
        if not available:
            raise BadInputError("the archive has no numeric metric column to watch")
        return list(available)
    if not metrics:
        raise ConfigError("metrics is empty: name at least one column, or pass None to watch every numeric column")
    watched = []
    for name in metrics:
        lag = metric_column(FRESHNESS_LAG, name)
        if name not in available and lag in available:
            name = lag
        elif name not in columns and name not in available:
            raise SchemaError(f"the archive has no column {name!r}; "
                              f"numeric columns: {', '.join(available) or 'none'}")
        elif name not in available:
            raise BadInputError(f"column {name!r} holds no numbers or dates to watch")
        watched.append(name)
    return list(dict.fromkeys(watched))


def _causal_values(column: pd.Series, stamps: pd.DatetimeIndex,
                   order: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A column's values as numbers and as a freshness lag in hours (input order, NaN where not).

    What a column holds is decided the way the archive decides it (mostly
    numbers is a metric, :func:`infer_text_fields`; mostly dates is a newest
    date), but for each row from the rows up to it in time only: junk that
    takes over a metric later must not silence its earlier rows. A junk
    cell, or a sentinel such as 9999-12-31 (no newest date), is NaN at its
    row only.
    """
    name = str(column.name)
    if is_numeric_field(name) or (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)):
        return _as_numbers(column), None
    filled = np.array([not is_missing(value) for value in column])
    numbers = None
    if name not in TEXT_FIELDS:
        numbers = _as_numbers(column)
        mostly_numbers = _mostly_so_far(np.isfinite(numbers), filled, order)
        numbers[~mostly_numbers] = np.nan
    else:
        mostly_numbers = np.zeros(len(column), dtype=bool)
    dates = _as_dates(column)
    mostly_dates = _mostly_so_far(dates.notna(), filled, order) & ~mostly_numbers
    lag = (stamps - dates).total_seconds().to_numpy() / 3600
    lag[~mostly_dates] = np.nan
    return numbers, lag


def _mostly_so_far(hits: np.ndarray, filled: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Per row (input order): are hits more than half the filled cells of the rows up to it in time?"""
    so_far = np.empty(len(hits), dtype=bool)
    so_far[order] = np.cumsum(hits[order]) * 2 > np.cumsum(filled[order])
    return so_far


def _as_dates(column: pd.Series) -> pd.DatetimeIndex:
    """A column's ISO 8601 dates as naive UTC, NaT where a cell is none."""
    parsed = []
    for value in column:
        stamp = None
        # Text from a CSV, or date and datetime objects from a DataFrame (their str() is ISO 8601).
        if not is_missing(value) and not isinstance(value, (bool, int, float, np.number)):
            try:
                stamp = parse_iso_timestamp(str(value))
            except ValueError:
                stamp = None
        parsed.append(pd.NaT if stamp is None else stamp)
    return pd.DatetimeIndex(parsed)


def _as_numbers(column: pd.Series) -> np.ndarray:
    """A column as floats: missing, junk and infinities become NaN."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=float, na_value=np.nan)
    else:
        values = np.array([_number_or_nan(v) for v in column], dtype=float)
    values[~np.isfinite(values)] = np.nan
    return values


def _number_or_nan(value: Any) -> float:
    try:
        number = parse_number(value)
    except ValueError:
        return np.nan
    return np.nan if number is None else number


__all__ = [
    "ArchiveSeries",
    "Combiner",
    "MetricVerdicts",
    "any_metric_fails",
    "backtest",
    "backtest_csv",
    "metric_verdicts",
    "prepare",
    "read_csv",
    "row_verdicts",
    "score_events",
    "walk_forward",
]
