"""The model competition: every detector backtested on one archive, side by side.

:func:`compete` runs each contestant walk-forward over the same archive:
"auto" (:data:`~dataset_health.detector_config.DEFAULT_CONFIG`) and every
registered detector at its defaults. A single-metric detector judges every
watched metric and a row fails when any metric fails; a multivariate one
judges whole rows. With labels each contestant gets event F1, precision,
recall and false alarms per 100 healthy updates
(:func:`~dataset_health.scoring.score_events`); without, its alarm rate. A
contestant that raises is reported as skipped, with the error, rather than
stopping the competition. Contestants are independent, so ``n_jobs`` runs
them in that many worker processes at once (joblib); the results are the
same as in one process.

The winner (with labels only: highest F1, then fewest false alarms, then
fastest) can be written as a health-suite template (:func:`compete_csv`).
:func:`compete_dataset` runs on a monitored dataset's archive instead,
scored against the updates its owner labelled as incidents.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from tqdm import tqdm

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID
from dataset_health.archive.store import ArchiveStore
from dataset_health.archive.verdicts import labelled_history
from dataset_health.backtest import (
    FRESHNESS_LAG,
    ArchiveSeries,
    any_metric_fails,
    finish,
    metric_verdicts,
    multivariate_verdicts,
    prepare,
    read_csv,
)
from dataset_health.detector_config import (
    DEFAULT_CONFIG,
    SUITE_EXPECTATION,
    DetectorConfig,
    resolve_config,
    suite_blockers,
    suite_template,
)
from dataset_health.detectors import DETECTORS
from dataset_health.errors import (
    BadInputError,
    ConfigError,
    DatasetHealthError,
    SchemaError,
    refuse_overwrites,
    writing,
)
from dataset_health.scoring import alarm_rate, score_events

LABEL_COLUMN = "is_anomaly"
# Judgements (contestants x updates x metrics) from which a competition warns that it takes minutes.
_LONG_RUN = 50_000  # about half a minute on two cores (the demo history: 136,000 took 91 s)


@dataclass
class Contestant:
    """One detector's run in a competition.

    ``verdicts`` is the backtest output (input order). ``metric_alarms``
    says, per input row and watched metric, whether that metric failed (for
    a multivariate detector: whether it drove a failed row);
    ``metric_lower`` and ``metric_upper`` hold each metric's expected band
    (NaN where the detector gave none).
    """

    config: DetectorConfig
    verdicts: pd.DataFrame | None = None
    metric_alarms: pd.DataFrame | None = None
    metric_lower: pd.DataFrame | None = None
    metric_upper: pd.DataFrame | None = None
    seconds: float = 0.0
    judgements: int = 0
    scores: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def milliseconds_per_point(self) -> float:
        return 1e3 * self.seconds / self.judgements if self.judgements else math.nan


@dataclass
class CompetitionResult:
    """What a competition measured, for tables, reports and suites."""

    series: ArchiveSeries
    labels: np.ndarray | None
    contestants: list[Contestant]

    @property
    def labelled(self) -> bool:
        return self.labels is not None

    def table(self) -> pd.DataFrame:
        """One row per contestant, best first (by F1 with labels, else by fewest alarms)."""
        rows = []
        for c in self.contestants:
            row: dict[str, Any] = {"detector": c.name}
            if self.labelled:
                for key in ("f1", "precision", "recall", "false_alarms_per_100"):
                    row[key] = c.scores.get(key, math.nan)
            else:
                row["alarms_per_100"] = c.scores.get("alarms_per_100", math.nan)
            row["alarms"] = c.scores.get("alarms", math.nan)
            row["ms_per_point"] = c.milliseconds_per_point
            row["skipped"] = c.skipped or ""
            rows.append(row)
        table = pd.DataFrame(rows)
        return table.iloc[[self.contestants.index(c) for c in self.ranking()]].reset_index(drop=True)

    def ranking(self) -> list[Contestant]:
        """Contestants best first; skipped ones last."""
        ran = [c for c in self.contestants if c.skipped is None]
        if self.labelled:
            ran.sort(key=lambda c: (-_or(c.scores["f1"], -1.0), _or(c.scores["false_alarms_per_100"], math.inf),
                                    c.seconds))
        else:
            ran.sort(key=lambda c: (_or(c.scores["alarms_per_100"], math.inf), c.seconds))
        return ran + [c for c in self.contestants if c.skipped is not None]

    def winner(self, *, for_suite: bool = False) -> Contestant:
        """The best contestant by the labels; with ``for_suite``, the best a health suite can run."""
        if not self.labelled:
            raise ConfigError("choosing a winner needs labels: without them a detector that never fires looks best")
        for contestant in self.ranking():
            if contestant.skipped is None and not (for_suite and suite_blockers(contestant.config)):
                return contestant
        raise ConfigError("no contestant finished" + (" that a health suite can run" if for_suite else ""))


def compete(
    frame: pd.DataFrame,
    labels: Any = None,
    detectors: Iterable[str | Mapping[str, Any] | DetectorConfig] | None = None,
    *,
    metrics: list[str] | None = None,
    timestamp_column: str = TIMESTAMP,
    settings: Mapping[str, Any] | None = None,
    progress: bool = False,
    source: str | None = None,
    n_jobs: int | None = None,
) -> CompetitionResult:
    """Backtest every contestant on ``frame`` and score it.

    Parameters
    ----------
    frame : DataFrame
        The archive: a timestamp column and metric columns.
    labels : array-like or DataFrame, optional
        0/1 per row, same rows and order as ``frame`` (a DataFrame needs an
        ``is_anomaly`` column; its ``timestamp`` column, if any, must match).
    detectors : iterable, optional
        Names, dicts or :class:`DetectorConfig`; default: "auto" and every
        registered detector at its defaults.
    metrics : list of str, optional
        Columns to watch (default: every numeric column).
    timestamp_column : str, default="timestamp"
    settings : mapping, optional
        A dataset's settings (``{"holidays": "us_federal"}``), given to every
        contestant that takes them and does not set them itself, as its
        health suite would; its ``timezone`` puts the update times on the
        dataset's clock for every contestant.
    progress : bool, default=False
        Show progress bars on stderr (when it is a terminal).
    source : str, optional
        What ``frame`` came from (``archive CSV 'a.csv'``), to name it in errors.
    n_jobs : int, optional
        Contestants run at once, each in its own process (None: 1, in this
        process; -1: one per core). With more than one, the progress bar
        counts finished contestants only.

    Returns
    -------
    CompetitionResult
    """
    series = prepare(frame, metrics=metrics, timestamp_column=timestamp_column, source=source).on_clock((settings or {}).get("timezone"))
    truth = None if labels is None else _label_flags(labels, frame, timestamp_column)
    configs = [resolve_config(spec).with_settings(settings)
               for spec in (default_contestants() if detectors is None else detectors)]
    names = [c.name for c in configs]
    repeated = {n for n in names if names.count(n) > 1}
    if repeated:
        raise ConfigError(f"two contestants are named {sorted(repeated)[0]!r}; give one a 'label'")
    judgements = len(configs) * series.rows * len(series.metrics)
    jobs = max(1, min(effective_n_jobs(n_jobs), len(configs)))
    if progress and judgements >= _LONG_RUN:
        # Minutes of bars with no end in sight: say what is coming, and how to cut it.
        print(f"compete: {len(configs)} contestants judge {series.rows:,} updates x {len(series.metrics)} metrics "
              f"({judgements:,} judgements){'' if jobs == 1 else f' in {jobs} processes'}; at 1 to 10 ms each "
              "this takes minutes. --detectors NAMES runs fewer.", file=sys.stderr)
    # With one job joblib runs each contestant here, in turn. Bars from several processes
    # would interleave on one terminal: then only the contestant count is shown.
    runs = Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(_run_numbered)(index, series, config, truth, DETECTORS[config.detector],
                               progress=progress and jobs == 1)
        for index, config in enumerate(configs))
    finished = {}
    with tqdm(total=len(configs), desc="compete", unit="contestant", disable=None if progress else True) as bar:
        for index, contestant in runs:
            finished[index] = contestant
            bar.set_postfix_str(f"{contestant.name} done")  # in turn, each names itself in its own bar
            bar.update()
    return CompetitionResult(series, truth, [finished[index] for index in range(len(configs))])


def default_contestants() -> list[DetectorConfig]:
    """"auto" and every registered detector at its defaults."""
    return [DEFAULT_CONFIG, *(DetectorConfig(name) for name in DETECTORS)]


def compete_csv(
    archive: str | Path,
    *,
    labels: str | Path | None = None,
    report: str | Path | None = None,
    write_suite: str | Path | None = None,
    timestamp_column: str = TIMESTAMP,
    detectors: Iterable[str | Mapping[str, Any] | DetectorConfig] | None = None,
    holidays: Any = None,
    timezone: str | None = None,
    progress: bool = False,
    n_jobs: int | None = None,
) -> CompetitionResult:
    """Compete on an archive CSV; optionally write the HTML report and the winner's suite.
    ``detectors`` and ``n_jobs`` as in :func:`compete` (default: every detector, one
    process); ``holidays`` is given to every contestant that takes a calendar, and
    ``timezone`` (the dataset's) sets the clock they all read weekdays and hours on."""
    if write_suite is not None and labels is None:
        raise ConfigError("writing the winner's suite needs labels: without them no detector can be called best")
    refuse_overwrites({"the report": report, "the suite": write_suite}, {"archive": archive, "labels": labels})
    frame = read_csv(archive)
    label_frame = None if labels is None else read_csv(labels, what="labels")
    result = compete(frame, label_frame, detectors, timestamp_column=timestamp_column,
                     settings={"holidays": holidays, "timezone": timezone}, progress=progress,
                     source=f"archive CSV {str(archive)!r}", n_jobs=n_jobs)
    _publish(result, Path(archive).name, report=report, write_suite=write_suite)
    return result


def compete_dataset(
    store: ArchiveStore,
    dataset: str,
    *,
    report: str | Path | None = None,
    write_suite: str | Path | None = None,
    detectors: Iterable[str | Mapping[str, Any] | DetectorConfig] | None = None,
    settings: Mapping[str, Any] | None = None,
    progress: bool = False,
    n_jobs: int | None = None,
) -> CompetitionResult:
    """Compete on a monitored dataset's archive, scored against the updates
    its owner labelled ``incident`` (``dataset-health label``); ``n_jobs``
    as in :func:`compete`.

    Updates labelled ``expected`` and unlabelled ones count as healthy. With
    no incident labelled there is nothing to score against: alarm rates
    only, and no winner's suite. ``settings`` are the dataset's own
    (``DatasetConfig.suite_defaults()``: its holiday calendar), so that each
    contestant judges as the dataset's suite would.
    """
    refuse_overwrites({"the report": report, "the suite": write_suite})
    frame, labels = labelled_history(store, dataset)
    labelled = bool(labels[LABEL_COLUMN].any())
    if write_suite is not None and not labelled:
        raise ConfigError(
            f"dataset {dataset!r}: writing the winner's suite needs labels, and no update is labelled incident; "
            f"label past incidents with 'dataset-health label {dataset} UPDATE_ID --as incident'"
        )
    try:
        result = compete(frame, labels if labelled else None, detectors, settings=settings, progress=progress,
                         n_jobs=n_jobs)
    except BadInputError as exc:  # the archive's own problems (no metric to watch...): say whose
        raise type(exc)(f"dataset {dataset!r}: {exc}") from None
    _publish(result, dataset, report=report, write_suite=write_suite)
    return result


def _publish(result: CompetitionResult, title: str, *, report: str | Path | None,
             write_suite: str | Path | None) -> None:
    """Write the HTML report and the winner's health-suite template, when asked."""
    if report is not None:
        from dataset_health.report import write_report  # charts only when a report is asked for

        write_report(result, report, title=title)
    if write_suite is not None:
        from dataset_health.health_suite import load_template  # GX only when a suite is written
        from dataset_health.project import DEFAULT_SUITE

        winner = result.winner(for_suite=True)
        template = suite_template(
            winner.config,
            _archive_columns(result.series.metrics),
            # The winner's own name ("auto", a label), as the table and the command say it.
            name="dataset_health_" + re.sub(r"[^A-Za-z0-9_]+", "_", winner.name),
            description=(f"Written by 'dataset-health compete' from {title}: {winner.name} "
                         f"won with event F1 {winner.scores['f1']:.3f}."),
        )
        # The competition judges metrics; the default's table checks (update cadence, schema) stay.
        template["expectations"] += [rule for rule in load_template(DEFAULT_SUITE)["expectations"]
                                     if rule["type"] != SUITE_EXPECTATION]
        _write_json(write_suite, template)


def _run_numbered(index: int, series: ArchiveSeries, config: DetectorConfig, truth: np.ndarray | None,
                  detector: type, *, progress: bool) -> tuple[int, Contestant]:
    """``_run``, perhaps in a worker process, which knows the built-in detectors only: a
    detector registered at run time (``DETECTORS[name] = cls``) comes along."""
    DETECTORS.setdefault(config.detector, detector)
    return index, _run(series, config, truth, progress=progress)


def _run(series: ArchiveSeries, config: DetectorConfig, truth: np.ndarray | None, *, progress: bool) -> Contestant:
    contestant = Contestant(config)
    start = time.perf_counter()
    try:
        if config.multivariate:
            rows = multivariate_verdicts(series, config, progress=progress)
            failed = np.zeros((series.rows, len(series.metrics)), dtype=bool)
            for position, names in enumerate(rows["failed_metrics"]):
                for name in filter(None, names.split(",")):
                    if name in series.values:
                        failed[position, series.metrics.index(name)] = True
            lower = upper = np.full(failed.shape, np.nan)
        else:
            verdicts = metric_verdicts(series, config, progress=progress)
            rows, failed, lower, upper = any_metric_fails(verdicts), verdicts.failed, verdicts.lower, verdicts.upper
    except DatasetHealthError:
        raise
    except Exception as exc:  # noqa: BLE001 - one broken contestant must not stop the others
        contestant.skipped = f"{type(exc).__name__}: {exc}"
        return contestant
    contestant.seconds = time.perf_counter() - start
    # A point is one metric value judged, for a multivariate detector too, so ms per point compares.
    contestant.judgements = series.rows * len(series.metrics)
    contestant.verdicts = finish(series, rows)
    def by_metric(array: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(series.to_input_order(array), columns=list(series.metrics))

    contestant.metric_alarms = by_metric(failed)
    contestant.metric_lower, contestant.metric_upper = by_metric(lower), by_metric(upper)
    alarms = contestant.verdicts["is_anomaly"].to_numpy()
    contestant.scores = score_events(alarms, truth) if truth is not None else alarm_rate(alarms)
    return contestant


def _label_flags(labels: Any, frame: pd.DataFrame, timestamp_column: str) -> np.ndarray:
    """0/1 labels as a bool array, checked against the archive's rows (by time, and by update
    id where both files have one)."""
    timestamps = frame[timestamp_column]
    if isinstance(labels, pd.DataFrame):
        if LABEL_COLUMN not in labels.columns:
            raise SchemaError(f"the labels have no {LABEL_COLUMN!r} column; columns: {', '.join(map(str, labels.columns))}")
        if TIMESTAMP in labels.columns and len(labels) == len(timestamps):
            _check_same_times(labels[TIMESTAMP], timestamps)
        if UPDATE_ID in labels.columns and UPDATE_ID in frame.columns and len(labels) == len(frame):
            _check_same_updates(labels[UPDATE_ID], frame[UPDATE_ID])
        labels = labels[LABEL_COLUMN]
    values = pd.Series(labels).reset_index(drop=True)
    if len(values) != len(timestamps):
        raise BadInputError(f"the labels have {len(values)} rows but the archive has {len(timestamps)}; "
                            "give one label per archive row, in the same order")
    numbers = pd.to_numeric(values.astype(str).str.strip(), errors="coerce")
    bad = ~numbers.isin([0, 1])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise BadInputError(f"label row {row + 1}: {LABEL_COLUMN} must be 0 or 1; got {values.iloc[row]!r}")
    return numbers.to_numpy() == 1


def _check_same_times(label_times: pd.Series, archive_times: pd.Series) -> None:
    ours = pd.to_datetime(archive_times, utc=True, format="mixed", errors="coerce")
    theirs = pd.to_datetime(label_times, utc=True, format="mixed", errors="coerce")
    differs = (ours.to_numpy() != theirs.to_numpy())
    if differs.any():
        row = int(np.flatnonzero(differs)[0])
        raise BadInputError(f"label row {row + 1} is for {label_times.iloc[row]!r} but archive row {row + 1} "
                            f"is {archive_times.iloc[row]!r}; labels must follow the archive's rows")


def _check_same_updates(label_ids: pd.Series, archive_ids: pd.Series) -> None:
    differs = label_ids.astype(str).str.strip().to_numpy() != archive_ids.astype(str).str.strip().to_numpy()
    if differs.any():
        row = int(np.flatnonzero(differs)[0])
        raise BadInputError(f"label row {row + 1} is for update {label_ids.iloc[row]!r} but archive row {row + 1} "
                            f"is {archive_ids.iloc[row]!r}; labels must follow the archive's rows")


def _archive_columns(metrics: tuple[str, ...]) -> list[str]:
    """The archive columns a suite watches for ``metrics``: a date column's
    lag (``freshness_lag_hours__<column>``, derived by the backtest) is the
    archive's own ``freshness_lag_hours``."""
    prefix = f"{FRESHNESS_LAG}__"
    return list(dict.fromkeys(FRESHNESS_LAG if m.startswith(prefix) else m for m in metrics))


def _write_json(path: str | Path, data: dict[str, Any]) -> None:
    with writing(path) as target:  # suites/NAME.json in a new project: the folder is created
        target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _or(value: float, fallback: float) -> float:
    return fallback if value is None or (isinstance(value, float) and math.isnan(value)) else value


__all__ = ["CompetitionResult", "Contestant", "compete", "compete_csv", "compete_dataset", "default_contestants"]
