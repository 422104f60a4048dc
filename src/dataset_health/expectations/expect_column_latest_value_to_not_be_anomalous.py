"""ExpectColumnLatestValueToNotBeAnomalous: judge the newest update of one metric.

The batch is an archive (one row per update); ``column`` is one archive
metric such as ``rows_created``. The newest row is the update under test,
the rows before it are its history, and a detector from
:mod:`dataset_health.detectors` gives the verdict.
"""

from __future__ import annotations

from typing import Any, ClassVar, List, Literal, Optional, Tuple, Union

from great_expectations.compatibility import pydantic
from great_expectations.expectations.expectation import ColumnAggregateExpectation

from dataset_health.archive.schema import TIMESTAMP
from dataset_health.detectors import DEFAULT_DETECTOR, make_detector
from dataset_health.expectations._judging import judge_latest_value
from dataset_health.expectations._shared import TIMEZONE_DESCRIPTION, ArchiveExpectation, known_timezone
from dataset_health.expectations.metrics import ARCHIVE_SERIES

DETECTOR_DESCRIPTION = "Registry name of the detector that judges the newest value."
SENSITIVITY_DESCRIPTION = "Score above which the newest value fails; higher means fewer alerts."
DIRECTION_DESCRIPTION = "Which deviations count: 'both', 'up' (e.g. duplicate loads) or 'down' (partial loads)."
MIN_HISTORY_DESCRIPTION = "Fewer past updates than this give the outcome 'insufficient history'."
TRAINING_WINDOW_DESCRIPTION = "How many of the newest past updates form the baseline; null for all."
SEASONALITY_DESCRIPTION = "'auto', 'none' or 'day_of_week': compare Mondays with Mondays on daily archives."
HOLIDAYS_DESCRIPTION = (
    "Holiday calendar for the weekday comparison: null, 'us_federal' or a list of dates; "
    "a holiday is compared with past holidays and weekends (by the default detector, also with its weekday)."
)
SCALE_DESCRIPTION = (
    "null for the detector's default, or 'auto' (consensus_z: a count's drops judged as ratios) or 'linear'; "
    "robust_z and the other non-baseline single-metric detectors also take 'log' and 'count'."
)
TIMESTAMP_COLUMN_DESCRIPTION = "Archive column holding each update's time; it orders the history."
EXCLUDE_INCIDENTS_DESCRIPTION = "Leave past updates labelled 'incident' out of the history the detector learns from."
FAIL_ON_INSUFFICIENT_HISTORY_DESCRIPTION = (
    "Fail instead of passing (with details saying so) when the history is too short."
)


class ExpectColumnLatestValueToNotBeAnomalous(ArchiveExpectation, ColumnAggregateExpectation):
    """Expect the newest archived value of a metric to look like its history.

    Passing: ``rows_created`` of the newest update is 20,900 and the usual
    Wednesday is 21,400. Failing: it is 900 (a partial load), 96% below.

    Args:
        column: The archive metric, e.g. ``rows_created``.
        detector: {DETECTOR_DESCRIPTION}
        sensitivity: {SENSITIVITY_DESCRIPTION}
        direction: {DIRECTION_DESCRIPTION}
        min_history: {MIN_HISTORY_DESCRIPTION}
        training_window: {TRAINING_WINDOW_DESCRIPTION}
        seasonality: {SEASONALITY_DESCRIPTION}
        holidays: {HOLIDAYS_DESCRIPTION}
        scale: {SCALE_DESCRIPTION}
        timezone: {TIMEZONE_DESCRIPTION}
        timestamp_column: {TIMESTAMP_COLUMN_DESCRIPTION}
        fail_on_insufficient_history: {FAIL_ON_INSUFFICIENT_HISTORY_DESCRIPTION}
        exclude_incidents: {EXCLUDE_INCIDENTS_DESCRIPTION}

    The result's details carry the detector's verdict: status, score,
    expected value and range, history size, detector and a one-line reason.
    """

    detector: str = pydantic.Field(default=DEFAULT_DETECTOR, description=DETECTOR_DESCRIPTION)
    sensitivity: float = pydantic.Field(default=4.0, gt=0, description=SENSITIVITY_DESCRIPTION)
    direction: Literal["both", "up", "down"] = pydantic.Field(default="both", description=DIRECTION_DESCRIPTION)
    min_history: int = pydantic.Field(default=7, ge=1, description=MIN_HISTORY_DESCRIPTION)
    training_window: Optional[int] = pydantic.Field(default=None, ge=2, description=TRAINING_WINDOW_DESCRIPTION)
    seasonality: Literal["auto", "none", "day_of_week"] = pydantic.Field(
        default="auto", description=SEASONALITY_DESCRIPTION
    )
    holidays: Optional[Union[Literal["us_federal"], List[str]]] = pydantic.Field(
        default=None, description=HOLIDAYS_DESCRIPTION
    )
    scale: Optional[Literal["auto", "linear", "log", "count"]] = pydantic.Field(
        default=None, description=SCALE_DESCRIPTION
    )
    timestamp_column: str = pydantic.Field(default=TIMESTAMP, description=TIMESTAMP_COLUMN_DESCRIPTION)
    timezone: Optional[str] = pydantic.Field(default=None, description=TIMEZONE_DESCRIPTION)
    _timezone_is_known = pydantic.validator("timezone", allow_reuse=True)(known_timezone)
    fail_on_insufficient_history: bool = pydantic.Field(
        default=False, description=FAIL_ON_INSUFFICIENT_HISTORY_DESCRIPTION
    )
    exclude_incidents: bool = pydantic.Field(default=True, description=EXCLUDE_INCIDENTS_DESCRIPTION)

    metric_dependencies: ClassVar[Tuple[str, ...]] = (ARCHIVE_SERIES,)
    success_keys: ClassVar[Tuple[str, ...]] = (
        "detector",
        "sensitivity",
        "direction",
        "min_history",
        "training_window",
        "seasonality",
        "holidays",
        "scale",
        "timestamp_column",
        "timezone",
        "fail_on_insufficient_history",
        "exclude_incidents",
    )
    args_keys: ClassVar[Tuple[str, ...]] = ("column",)

    prescriptive_template: ClassVar[str] = (
        "$column of the newest update must not be anomalous against its history "
        "($detector, sensitivity $sensitivity, direction $direction, at least $min_history past updates)."
    )

    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["dataset-health", "anomaly detection", "archive"],
        "contributors": ["dataset-health"],
    }

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: Any = None) -> dict:
        success, details = self.judge_series(metrics[ARCHIVE_SERIES])
        return {"success": success, "result": {"observed_value": details.get("observed"), "details": details}}

    def judge_series(self, series: list[list[Any]]) -> tuple[bool, dict[str, Any]]:
        """Judge the newest of ``[update_id, timestamp, value, label]`` rows.

        Past updates labelled ``incident`` are left out of the history, so
        a known bad load never teaches the detector that bad is normal.
        Shared by the GX validation and by the replay of past checks.
        """
        return judge_latest_value(
            series,
            self._make_detector(),
            metric=self.column,
            detector_name=self.detector,
            fail_on_insufficient_history=self.fail_on_insufficient_history,
            exclude_incidents=self.exclude_incidents,
            timezone=self.timezone,
        )

    def _make_detector(self):
        return make_detector(
            self.detector,
            sensitivity=self.sensitivity,
            direction=self.direction,
            min_history=self.min_history,
            training_window=self.training_window,
            seasonality=self.seasonality,
            # Only when set: detectors without a calendar (the baselines) stay usable.
            **({"holidays": self.holidays} if self.holidays is not None else {}),
            **({"scale": self.scale} if self.scale is not None else {}),
        )


ExpectColumnLatestValueToNotBeAnomalous.__doc__ = (ExpectColumnLatestValueToNotBeAnomalous.__doc__ or "").format(
    **{name: value for name, value in globals().items() if name.endswith("_DESCRIPTION")}
)
