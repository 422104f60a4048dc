"""Scoring alarms against labels, by the benchmark's rules.

The rules (``../shared/benchmark/README.md``), used everywhere results are
reported so that numbers stay comparable:

- an **event** is a maximal run of consecutive labelled rows;
- **recall** = events with at least one alarm inside / events;
- **precision** = alarms on labelled rows / all alarms;
- **F1** = their harmonic mean, 0 where both are 0;
- **false alarms per 100** = alarms on unlabelled rows / unlabelled rows x 100;
- the first ``min(30, rows / 10)`` rows are warm-up, left out of every count.

Where a ratio has nothing to count (no alarms, no events, no unlabelled
rows) it is NaN, except precision, which is 0 without alarms so that a
detector that never fires scores F1 = 0 rather than nothing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

WARMUP_CAP = 30


def warmup_rows(rows: int) -> int:
    """How many leading rows are warm-up: ``min(30, rows / 10)``, rounded down."""
    return int(min(WARMUP_CAP, rows / 10))


def events(labels: Any) -> list[tuple[int, int]]:
    """The maximal runs of true labels, as ``(start, stop)`` index pairs.

    Examples
    --------
    >>> events([0, 1, 1, 0, 1])
    [(1, 3), (4, 5)]
    """
    flags = np.asarray(labels, dtype=bool).astype(np.int8)
    edges = np.diff(np.concatenate([[0], flags, [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def score_events(alarms: Any, labels: Any) -> dict[str, float | int]:
    """Event-level scores of ``alarms`` (0/1 per row) against ``labels`` (0/1 per row).

    Returns a dict with ``f1``, ``precision``, ``recall``,
    ``false_alarms_per_100`` and the counts behind them: ``rows`` (scored,
    after warm-up), ``warmup``, ``events``, ``events_detected``, ``alarms``,
    ``true_alarms``, ``false_alarms``.

    Examples
    --------
    >>> scores = score_events([0, 1, 0, 0, 1, 0, 0, 0, 0, 0], [0, 1, 1, 0, 0, 0, 0, 0, 1, 1])
    >>> scores["recall"], scores["precision"], scores["false_alarms_per_100"]
    (0.5, 0.5, 20.0)
    """
    alarm = _flags(alarms, "alarms")
    label = _flags(labels, "labels")
    if alarm.size != label.size:
        raise ValueError(f"alarms and labels must have one value per row; got {alarm.size} alarms and {label.size} labels")
    skip = warmup_rows(label.size)
    alarm, label = alarm[skip:], label[skip:]

    runs = events(label)
    detected = sum(bool(alarm[start:stop].any()) for start, stop in runs)
    true_alarms = int((alarm & label).sum())
    false_alarms = int((alarm & ~label).sum())
    alarm_count = true_alarms + false_alarms
    unlabelled = int((~label).sum())

    recall = detected / len(runs) if runs else math.nan
    precision = true_alarms / alarm_count if alarm_count else 0.0
    if math.isnan(recall):
        f1 = math.nan
    else:
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {
        "f1": f1,
        "precision": precision,
        "recall": recall,
        "false_alarms_per_100": 100 * false_alarms / unlabelled if unlabelled else math.nan,
        "rows": int(label.size),
        "warmup": skip,
        "events": len(runs),
        "events_detected": int(detected),
        "alarms": alarm_count,
        "true_alarms": true_alarms,
        "false_alarms": false_alarms,
    }


def alarm_rate(alarms: Any) -> dict[str, float | int]:
    """Without labels: alarms per 100 rows after warm-up, and their count."""
    alarm = _flags(alarms, "alarms")
    skip = warmup_rows(alarm.size)
    scored = alarm[skip:]
    return {
        "alarms_per_100": 100 * float(scored.mean()) if scored.size else math.nan,
        "alarms": int(scored.sum()),
        "rows": int(scored.size),
        "warmup": skip,
    }


def _flags(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what} must be one flag per row; got an array of shape {array.shape}")
    if array.dtype != bool:
        numeric = array.astype(float)
        if np.isnan(numeric).any() or not np.isin(numeric, (0.0, 1.0)).all():
            raise ValueError(f"{what} must be 0 or 1 on every row")
        array = numeric == 1.0
    return array
