"""ExpectTableLatestRowToNotBeAnomalous: judge several metrics of the newest update together.

One update is one archive row. Each metric alone can look a little odd
without being wrong; together they can tell a story no single metric does
(``rows_created`` doubled *and* ``duplicate_key_count`` jumped: a duplicate
load). A multivariate detector from :mod:`dataset_health.detectors`
(isolation forest or PCA over per-column robust z-scores) scores the newest
row against the rows before it and names the columns that drove the score.
"""

from __future__ import annotations

from typing import Any, ClassVar, List, Literal, Optional, Tuple

from great_expectations.compatibility import pydantic
from great_expectations.expectations.expectation import BatchExpectation

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID
from dataset_health.detectors import make_detector
from dataset_health.expectations._judging import judge_latest_row
from dataset_health.expectations._shared import TIMEZONE_DESCRIPTION, ArchiveExpectation, known_timezone
from dataset_health.expectations.metrics_columns import ARCHIVE_COLUMNS

COLUMNS_DESCRIPTION = "Archive metrics judged together, e.g. rows_created, rows_updated, duplicate_key_count."
DETECTOR_DESCRIPTION = "'isolation_forest_multi' (unusual combinations) or 'pca' (metrics that stop moving together)."
SENSITIVITY_DESCRIPTION = "Score (a z-score of the row's anomaly score) above which the row fails; higher: fewer alerts."
MIN_HISTORY_DESCRIPTION = "Fewer usable past updates than this give the outcome 'insufficient history'."
TRAINING_WINDOW_DESCRIPTION = "How many of the newest past updates train the detector; null for all."
SEASONALITY_DESCRIPTION = "'auto', 'none' or 'day_of_week': scale each metric within its weekday on daily archives."
TIMESTAMP_COLUMN_DESCRIPTION = "Archive column holding each update's time; it orders the history."
UPDATE_ID_COLUMN_DESCRIPTION = "Archive column holding each update's id."
FAIL_ON_INSUFFICIENT_HISTORY_DESCRIPTION = (
    "Fail instead of passing (with details saying so) when the history is too short."
)
EXCLUDE_INCIDENTS_DESCRIPTION = "Leave past updates labelled 'incident' out of the history the detector learns from."

DETECTOR_NAMES = {"isolation_forest_multi": "isolation forest", "pca": "PCA"}


class ExpectTableLatestRowToNotBeAnomalous(ArchiveExpectation, BatchExpectation):
    """Expect the newest update's metrics, taken together, to look like past updates.

    Passing: every volume, null-fraction and duplicate-key metric of the
    newest update is within its weekday's usual range. Failing: ``rows_created``
    is 1,073 where Wednesdays bring 20,000; the details name
    ``rows_created`` (and ``rows_updated``, which fell with it) as drivers.

    Args:
        columns: {COLUMNS_DESCRIPTION}
        detector: {DETECTOR_DESCRIPTION}
        sensitivity: {SENSITIVITY_DESCRIPTION}
        min_history: {MIN_HISTORY_DESCRIPTION}
        training_window: {TRAINING_WINDOW_DESCRIPTION}
        seasonality: {SEASONALITY_DESCRIPTION}
        timestamp_column: {TIMESTAMP_COLUMN_DESCRIPTION}
        timezone: {TIMEZONE_DESCRIPTION}
        update_id_column: {UPDATE_ID_COLUMN_DESCRIPTION}
        fail_on_insufficient_history: {FAIL_ON_INSUFFICIENT_HISTORY_DESCRIPTION}
        exclude_incidents: {EXCLUDE_INCIDENTS_DESCRIPTION}

    The result's details carry the verdict (status, score, expected score
    0 and upper bound ``sensitivity``, history size, detector, reason),
    ``contributions`` (each column's share of the score), ``drivers`` (the
    columns with most of it), the newest row's ``values``, and the
    ``columns`` judged and ``missing_columns`` the archive lacks.
    """

    columns: List[str] = pydantic.Field(..., min_items=2, description=COLUMNS_DESCRIPTION)
    detector: Literal["isolation_forest_multi", "pca"] = pydantic.Field(
        default="isolation_forest_multi", description=DETECTOR_DESCRIPTION
    )
    sensitivity: float = pydantic.Field(default=4.0, gt=0, description=SENSITIVITY_DESCRIPTION)
    min_history: int = pydantic.Field(default=14, ge=2, description=MIN_HISTORY_DESCRIPTION)
    training_window: Optional[int] = pydantic.Field(default=1000, ge=2, description=TRAINING_WINDOW_DESCRIPTION)
    seasonality: Literal["auto", "none", "day_of_week"] = pydantic.Field(
        default="auto", description=SEASONALITY_DESCRIPTION
    )
    timestamp_column: str = pydantic.Field(default=TIMESTAMP, description=TIMESTAMP_COLUMN_DESCRIPTION)
    timezone: Optional[str] = pydantic.Field(default=None, description=TIMEZONE_DESCRIPTION)
    _timezone_is_known = pydantic.validator("timezone", allow_reuse=True)(known_timezone)
    update_id_column: str = pydantic.Field(default=UPDATE_ID, description=UPDATE_ID_COLUMN_DESCRIPTION)
    fail_on_insufficient_history: bool = pydantic.Field(
        default=False, description=FAIL_ON_INSUFFICIENT_HISTORY_DESCRIPTION
    )
    exclude_incidents: bool = pydantic.Field(default=True, description=EXCLUDE_INCIDENTS_DESCRIPTION)

    metric_dependencies: ClassVar[Tuple[str, ...]] = (ARCHIVE_COLUMNS,)
    success_keys: ClassVar[Tuple[str, ...]] = (
        "columns",
        "detector",
        "sensitivity",
        "min_history",
        "training_window",
        "seasonality",
        "timestamp_column",
        "timezone",
        "update_id_column",
        "fail_on_insufficient_history",
        "exclude_incidents",
    )
    args_keys: ClassVar[Tuple[str, ...]] = ("columns",)

    prescriptive_template: ClassVar[str] = (
        "The newest update must not be anomalous in $columns taken together "
        "($detector_name, sensitivity $sensitivity, at least $min_history past updates)."
    )

    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["dataset-health", "anomaly detection", "multivariate", "archive"],
        "contributors": ["dataset-health"],
    }

    @classmethod
    def template_params(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        params = super().template_params(kwargs)
        params["detector_name"] = DETECTOR_NAMES.get(kwargs.get("detector"), kwargs.get("detector"))
        return params

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: Any = None) -> dict:
        success, details = self.judge_archive(metrics[ARCHIVE_COLUMNS])
        return {"success": success, "result": {"observed_value": details.get("score"), "details": details}}

    def judge_archive(self, archive: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        """Judge the newest row of a column-wise archive (the ``table.dh_archive_columns`` metric)."""
        return judge_latest_row(
            archive,
            self._make_detector(),
            detector_name=self.detector,
            fail_on_insufficient_history=self.fail_on_insufficient_history,
            exclude_incidents=self.exclude_incidents,
            timezone=self.timezone,
        )

    def _make_detector(self):
        return make_detector(
            self.detector,
            sensitivity=self.sensitivity,
            min_history=self.min_history,
            training_window=self.training_window,
            seasonality=self.seasonality,
        )


ExpectTableLatestRowToNotBeAnomalous.__doc__ = (ExpectTableLatestRowToNotBeAnomalous.__doc__ or "").format(
    **{name: value for name, value in globals().items() if name.endswith("_DESCRIPTION")}
)
