"""ExpectTableToBeUpdatedOnSchedule: no missed run, judged on the learned cadence.

The gap between the newest update and the one before it is itself a metric:
a daily dataset that skipped a run shows a 48-hour gap where its Wednesdays
usually show 24. The gaps are judged with a detector (robust z on a log
scale by default, seasonal by weekday, "up" only: early is never late).
With ``check_now`` the time since the newest update is judged the same way,
so a check that runs when no update came at all fails too.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, ClassVar, Optional, Tuple

import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.expectations.expectation import BatchExpectation

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID
from dataset_health.detectors import DETECTORS, FAIL, INSUFFICIENT_HISTORY, make_detector
from dataset_health.detectors.local_time import local_times
from dataset_health.expectations._shared import TIMEZONE_DESCRIPTION, ArchiveExpectation, known_timezone
from dataset_health.expectations.metrics import ARCHIVE_ROWS

# The robust z-score, not the metric default: its tolerance floor and level-shift
# handling suit gaps, where a few hours late is not an incident.
GAP_DETECTOR = "robust_z"
DETECTOR_DESCRIPTION = "Registry name of the detector that judges the gap between updates."
SENSITIVITY_DESCRIPTION = "Score above which the gap fails; higher tolerates later updates."
MIN_HISTORY_DESCRIPTION = "Fewer past gaps than this give the outcome 'insufficient history'."
TRAINING_WINDOW_DESCRIPTION = "How many of the newest past gaps form the baseline; null for all."
TOLERANCE_DESCRIPTION = (
    "Smallest relative delay that may fail, passed to detectors that take min_relative_change: "
    "0.1 lets a daily update come a few hours late."
)
CHECK_NOW_DESCRIPTION = "Also fail when the time since the newest update, at validation time, is too long."
TIMESTAMP_COLUMN_DESCRIPTION = "Archive column holding each update's time."
UPDATE_ID_COLUMN_DESCRIPTION = "Archive column holding each update's id."
FAIL_ON_INSUFFICIENT_HISTORY_DESCRIPTION = "Fail instead of passing when there are too few past gaps."


class ExpectTableToBeUpdatedOnSchedule(ArchiveExpectation, BatchExpectation):
    """Expect the newest update to have arrived on the dataset's usual cadence.

    Passing: a daily dataset published 24.2 hours after its previous update.
    Failing: it published 49 hours after it (one run was missed).

    Args:
        detector: {DETECTOR_DESCRIPTION}
        sensitivity: {SENSITIVITY_DESCRIPTION}
        min_history: {MIN_HISTORY_DESCRIPTION}
        training_window: {TRAINING_WINDOW_DESCRIPTION}
        tolerance: {TOLERANCE_DESCRIPTION}
        check_now: {CHECK_NOW_DESCRIPTION}
        timestamp_column: {TIMESTAMP_COLUMN_DESCRIPTION}
        update_id_column: {UPDATE_ID_COLUMN_DESCRIPTION}
        timezone: {TIMEZONE_DESCRIPTION}
        fail_on_insufficient_history: {FAIL_ON_INSUFFICIENT_HISTORY_DESCRIPTION}
    """

    detector: str = pydantic.Field(default=GAP_DETECTOR, description=DETECTOR_DESCRIPTION)
    sensitivity: float = pydantic.Field(default=4.0, gt=0, description=SENSITIVITY_DESCRIPTION)
    min_history: int = pydantic.Field(default=7, ge=1, description=MIN_HISTORY_DESCRIPTION)
    training_window: Optional[int] = pydantic.Field(default=56, ge=2, description=TRAINING_WINDOW_DESCRIPTION)
    tolerance: float = pydantic.Field(default=0.1, ge=0, description=TOLERANCE_DESCRIPTION)
    check_now: bool = pydantic.Field(default=False, description=CHECK_NOW_DESCRIPTION)
    timestamp_column: str = pydantic.Field(default=TIMESTAMP, description=TIMESTAMP_COLUMN_DESCRIPTION)
    update_id_column: str = pydantic.Field(default=UPDATE_ID, description=UPDATE_ID_COLUMN_DESCRIPTION)
    timezone: Optional[str] = pydantic.Field(default=None, description=TIMEZONE_DESCRIPTION)
    _timezone_is_known = pydantic.validator("timezone", allow_reuse=True)(known_timezone)
    fail_on_insufficient_history: bool = pydantic.Field(
        default=False, description=FAIL_ON_INSUFFICIENT_HISTORY_DESCRIPTION
    )

    metric_dependencies: ClassVar[Tuple[str, ...]] = (ARCHIVE_ROWS,)
    success_keys: ClassVar[Tuple[str, ...]] = (
        "detector",
        "sensitivity",
        "min_history",
        "training_window",
        "tolerance",
        "check_now",
        "timestamp_column",
        "update_id_column",
        "timezone",
        "fail_on_insufficient_history",
    )

    prescriptive_template: ClassVar[str] = (
        "The newest update must arrive on the dataset's usual cadence: the gap since the previous update "
        "is judged by $detector (sensitivity $sensitivity, at least $min_history past gaps)."
    )

    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["dataset-health", "freshness", "archive"],
        "contributors": ["dataset-health"],
    }

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: Any = None) -> dict:
        success, details = self.judge_times(metrics[ARCHIVE_ROWS])
        return {"success": success, "result": {"observed_value": details.get("observed"), "details": details}}

    def judge_times(self, rows: list[dict[str, Any]], now: datetime | None = None) -> tuple[bool, dict[str, Any]]:
        """Judge the gap before the newest of ``rows`` (dicts with update_id, timestamp)."""
        stamps = pd.DatetimeIndex([pd.Timestamp(r[TIMESTAMP]) for r in rows])
        if len(stamps) < 2:
            details = {"status": INSUFFICIENT_HISTORY, "history_size": 0, "detector": self.detector,
                       "reason": "fewer than two updates: no gap to judge yet"}
            return not self.fail_on_insufficient_history, details
        gaps = (stamps[1:] - stamps[:-1]).total_seconds() / 3600
        params = {"sensitivity": self.sensitivity, "direction": "up", "min_history": self.min_history,
                  "training_window": self.training_window, "min_relative_change": self.tolerance}
        accepted = DETECTORS[self.detector]().get_params() if self.detector in DETECTORS else params
        detector = make_detector(self.detector, **{k: v for k, v in params.items() if k in accepted})
        # Gaps are compared by weekday: the dataset's own, as the anomaly rules read it.
        verdict = detector.check(list(gaps), local_times(stamps[1:], self.timezone), metric="hours between updates")
        newest = rows[-1]
        failed = verdict.status == FAIL
        reason = self._reason(newest[UPDATE_ID], gaps[-1], verdict)
        if self.check_now and verdict.status != INSUFFICIENT_HISTORY and verdict.upper is not None:
            moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
            silence = (pd.Timestamp(moment) - stamps[-1]).total_seconds() / 3600
            if silence > verdict.upper:
                failed = True
                reason = (f"no update for {silence:,.1f} h since update {newest[UPDATE_ID]}; "
                          f"updates usually come every {verdict.expected:,.1f} h (at most {verdict.upper:,.1f} h)")
        if verdict.status == INSUFFICIENT_HISTORY and self.fail_on_insufficient_history:
            failed = True
        details = {**verdict.to_dict(), "reason": reason, "update_id": newest[UPDATE_ID],
                   "update_timestamp": newest[TIMESTAMP]}
        return bool(not failed), details

    @staticmethod
    def _reason(update_id: str, gap: float, verdict: Any) -> str:
        if verdict.status == INSUFFICIENT_HISTORY:
            return verdict.reason
        came = f"update {update_id} came {gap:,.1f} h after the previous one"
        if verdict.expected is None or verdict.upper is None:  # a usual value without a band (gaps of 0 are common)
            return f"{came}; {verdict.reason}"
        return f"{came}; usually {verdict.expected:,.1f} h (at most {verdict.upper:,.1f} h)"


ExpectTableToBeUpdatedOnSchedule.__doc__ = (ExpectTableToBeUpdatedOnSchedule.__doc__ or "").format(
    **{name: value for name, value in globals().items() if name.endswith("_DESCRIPTION")}
)
