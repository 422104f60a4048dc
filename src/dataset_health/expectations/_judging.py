"""From archive rows to a verdict: what every detector-backed expectation does.

The expectations differ in which detector they build and which columns they
read; the rest is the same and lives here, so that "insufficient history",
labelled incidents and the shape of ``details`` mean one thing everywhere:

- an empty archive, or too short a history, is the outcome
  ``insufficient_history``: a pass with details saying so, or a failure when
  the user set ``fail_on_insufficient_history``;
- past updates labelled ``incident`` never train the detector, so a known
  bad load does not teach it that bad is normal;
- ``details`` is the verdict (status, score, observed, expected, lower,
  upper, history size, detector, reason) plus the judged update's id and time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID
from dataset_health.archive.verdicts import INCIDENT, LABEL
from dataset_health.detectors import FAIL, INSUFFICIENT_HISTORY
from dataset_health.detectors.local_time import local_times

_DRIVER_SHARE = 0.05  # a column with less of the score than this did not drive it
_MAX_DRIVERS = 3


def judge_latest_value(
    series: list[list[Any]],
    detector: Any,
    *,
    metric: str,
    detector_name: str,
    fail_on_insufficient_history: bool,
    exclude_incidents: bool,
    timezone: str | None = None,
) -> tuple[bool, dict[str, Any]]:
    """Judge the newest of ``[update_id, timestamp, value, label]`` rows with a one-metric detector;
    the detector sees the update times on ``timezone``'s clock (``local_times``)."""
    if not series:
        details = {"status": INSUFFICIENT_HISTORY, "reason": f"{metric} has no archived updates",
                   "history_size": 0, "detector": detector_name}
        return not fail_on_insufficient_history, details
    *past, newest = series
    if exclude_incidents:
        past = [row for row in past if row[3] != INCIDENT]
    rows = [*past, newest]
    verdict = detector.check([r[2] for r in rows], local_times([r[1] for r in rows], timezone), metric=metric)
    details = {**verdict.to_dict(), "update_id": newest[0], "update_timestamp": newest[1]}
    return _success(verdict.status, fail_on_insufficient_history), details


def judge_latest_row(
    archive: dict[str, Any],
    detector: Any,
    *,
    detector_name: str,
    fail_on_insufficient_history: bool,
    exclude_incidents: bool,
    timezone: str | None = None,
) -> tuple[bool, dict[str, Any]]:
    """Judge the newest row of a column-wise archive (``table.dh_archive_columns``) with a multivariate detector.

    Besides the verdict, ``details`` names the columns judged, those the
    archive lacks, the newest row's values, and, when the row fails,
    ``drivers``: the columns that made most of the score, largest share first.
    """
    columns, missing = archive["columns"], list(archive.get("missing", []))
    ids, stamps = archive[UPDATE_ID], archive[TIMESTAMP]
    lacking = f"; not in the archive: {', '.join(missing)}" if missing else ""
    if not ids or not columns:
        why = "no archived updates" if not ids else "none of the requested columns is in the archive"
        details = {"status": INSUFFICIENT_HISTORY, "reason": why + lacking, "history_size": 0,
                   "detector": detector_name, "columns": list(columns), "missing_columns": missing}
        return not fail_on_insufficient_history, details
    frame = pd.DataFrame(columns)
    exclude = [label == INCIDENT for label in archive[LABEL]] if exclude_incidents else None
    verdict = detector.check(frame, local_times(stamps, timezone), metric=f"update {ids[-1]}", exclude=exclude)
    details = {
        **verdict.to_dict(),
        "reason": verdict.reason + lacking,
        "drivers": drivers(verdict.contributions) if verdict.status == FAIL else [],
        "columns": list(getattr(detector, "columns_", None) or columns),
        "missing_columns": missing,
        "values": {c: _plain(v[-1]) for c, v in columns.items()},
        "update_id": ids[-1],
        "update_timestamp": stamps[-1],
    }
    return _success(verdict.status, fail_on_insufficient_history), details


def drivers(contributions: dict[str, float]) -> list[str]:
    """The columns that drove a multivariate score, largest share first."""
    ranked = sorted(contributions.items(), key=lambda item: -item[1])
    return [column for column, share in ranked if share >= _DRIVER_SHARE][:_MAX_DRIVERS]


def _success(status: str, fail_on_insufficient_history: bool) -> bool:
    failed = status == FAIL or (status == INSUFFICIENT_HISTORY and fail_on_insufficient_history)
    return bool(not failed)  # a Python bool: GX rejects np.bool_


def _plain(value: Any) -> Any:
    """A JSON-safe scalar (numpy numbers from pandas archives are not)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
