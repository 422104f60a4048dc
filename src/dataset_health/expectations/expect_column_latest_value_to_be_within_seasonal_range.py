"""ExpectColumnLatestValueToBeWithinSeasonalRange: a band from trend plus season.

Where :mod:`expect_column_latest_value_to_not_be_anomalous` lets the user
pick any detector, this expectation states the model in its name: the
newest value must lie within the band a seasonal decomposition (STL) or a
Holt-Winters forecast puts around it. A dataset whose Mondays are big and
whose Sundays are small, and which grows month by month, gets a band that
moves with it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Optional, Tuple

from great_expectations.compatibility import pydantic
from great_expectations.expectations.expectation import ColumnAggregateExpectation

from dataset_health.archive.schema import TIMESTAMP
from dataset_health.detectors import make_detector
from dataset_health.expectations._judging import judge_latest_value
from dataset_health.expectations._shared import TIMEZONE_DESCRIPTION, ArchiveExpectation, known_timezone
from dataset_health.expectations.metrics import ARCHIVE_SERIES

METHOD_DESCRIPTION = "'stl' (seasonal-trend decomposition) or 'holt_winters' (exponential smoothing forecast)."
SEASONALITY_DESCRIPTION = (
    "'auto': the cycles of the update cadence (weekly for daily updates, daily and weekly for hourly ones); "
    "'weekly': the weekly cycle only."
)
PERIOD_DESCRIPTION = "Seasonal period in updates (7: a week of daily updates); overrides seasonality. Null: auto."
SENSITIVITY_DESCRIPTION = "Half-width of the band in robust deviations of the model's error; higher means wider."
DIRECTION_DESCRIPTION = "Which side of the band counts: 'both', 'up' (above only) or 'down' (below only)."
MIN_HISTORY_DESCRIPTION = (
    "Fewer past updates than this give the outcome 'insufficient history'; a season also needs two full cycles."
)
TRAINING_WINDOW_DESCRIPTION = "How many of the newest past updates the model is fitted on; null for all."
TIMESTAMP_COLUMN_DESCRIPTION = "Archive column holding each update's time; it orders the history and places the season."
FAIL_ON_INSUFFICIENT_HISTORY_DESCRIPTION = (
    "Fail instead of passing (with details saying so) when the history is too short."
)
EXCLUDE_INCIDENTS_DESCRIPTION = "Leave past updates labelled 'incident' out of the history the model learns from."

METHOD_NAMES = {"stl": "STL", "holt_winters": "Holt-Winters"}
# The detectors' own word for "the weekly cycle only".
_DETECTOR_SEASONALITY = {"auto": "auto", "weekly": "day_of_week"}


class ExpectColumnLatestValueToBeWithinSeasonalRange(ArchiveExpectation, ColumnAggregateExpectation):
    """Expect the newest archived value of a metric to lie within its seasonal range.

    Passing: ``rows_created`` is 2,100 on a Sunday, when Sundays bring about
    2,000 and weekdays 20,000. Failing: it is 2,100 on a Wednesday (a
    partial load), or 20,000 on a Sunday (a weekday's load replayed).

    Args:
        column: The archive metric, e.g. ``rows_created``.
        method: {METHOD_DESCRIPTION}
        seasonality: {SEASONALITY_DESCRIPTION}
        period: {PERIOD_DESCRIPTION}
        sensitivity: {SENSITIVITY_DESCRIPTION}
        direction: {DIRECTION_DESCRIPTION}
        min_history: {MIN_HISTORY_DESCRIPTION}
        training_window: {TRAINING_WINDOW_DESCRIPTION}
        timestamp_column: {TIMESTAMP_COLUMN_DESCRIPTION}
        timezone: {TIMEZONE_DESCRIPTION}
        fail_on_insufficient_history: {FAIL_ON_INSUFFICIENT_HISTORY_DESCRIPTION}
        exclude_incidents: {EXCLUDE_INCIDENTS_DESCRIPTION}

    The result's details carry the verdict (status, score, observed,
    expected, lower and upper ends of the band, history size, detector,
    reason) and ``periods``, the seasonal periods the model used.
    """

    method: Literal["stl", "holt_winters"] = pydantic.Field(default="stl", description=METHOD_DESCRIPTION)
    seasonality: Literal["auto", "weekly"] = pydantic.Field(default="auto", description=SEASONALITY_DESCRIPTION)
    period: Optional[int] = pydantic.Field(default=None, ge=2, description=PERIOD_DESCRIPTION)
    sensitivity: float = pydantic.Field(default=4.0, gt=0, description=SENSITIVITY_DESCRIPTION)
    direction: Literal["both", "up", "down"] = pydantic.Field(default="both", description=DIRECTION_DESCRIPTION)
    min_history: int = pydantic.Field(default=14, ge=1, description=MIN_HISTORY_DESCRIPTION)
    training_window: Optional[int] = pydantic.Field(default=672, ge=2, description=TRAINING_WINDOW_DESCRIPTION)
    timestamp_column: str = pydantic.Field(default=TIMESTAMP, description=TIMESTAMP_COLUMN_DESCRIPTION)
    timezone: Optional[str] = pydantic.Field(default=None, description=TIMEZONE_DESCRIPTION)
    _timezone_is_known = pydantic.validator("timezone", allow_reuse=True)(known_timezone)
    fail_on_insufficient_history: bool = pydantic.Field(
        default=False, description=FAIL_ON_INSUFFICIENT_HISTORY_DESCRIPTION
    )
    exclude_incidents: bool = pydantic.Field(default=True, description=EXCLUDE_INCIDENTS_DESCRIPTION)

    metric_dependencies: ClassVar[Tuple[str, ...]] = (ARCHIVE_SERIES,)
    success_keys: ClassVar[Tuple[str, ...]] = (
        "method",
        "seasonality",
        "period",
        "sensitivity",
        "direction",
        "min_history",
        "training_window",
        "timestamp_column",
        "timezone",
        "fail_on_insufficient_history",
        "exclude_incidents",
    )
    args_keys: ClassVar[Tuple[str, ...]] = ("column",)

    prescriptive_template: ClassVar[str] = (
        "$column of the newest update must lie within its $season seasonal range "
        "($method_name, sensitivity $sensitivity, direction $direction, at least $min_history past updates)."
    )

    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["dataset-health", "seasonality", "archive"],
        "contributors": ["dataset-health"],
    }

    @classmethod
    def template_params(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        params = super().template_params(kwargs)
        period, seasonality = kwargs.get("period"), kwargs.get("seasonality")
        params["season"] = (f"{period}-update" if period else "weekly" if seasonality == "weekly" else "usual")
        params["method_name"] = METHOD_NAMES.get(kwargs.get("method"), kwargs.get("method"))
        return params

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: Any = None) -> dict:
        success, details = self.judge_series(metrics[ARCHIVE_SERIES])
        return {"success": success, "result": {"observed_value": details.get("observed"), "details": details}}

    def judge_series(self, series: list[list[Any]]) -> tuple[bool, dict[str, Any]]:
        """Judge the newest of ``[update_id, timestamp, value, label]`` rows (also used by replay)."""
        detector = self._make_detector()
        success, details = judge_latest_value(
            series,
            detector,
            metric=self.column,
            detector_name=self.method,
            fail_on_insufficient_history=self.fail_on_insufficient_history,
            exclude_incidents=self.exclude_incidents,
            timezone=self.timezone,
        )
        return success, {**details, "periods": _periods(detector)}

    def _make_detector(self):
        return make_detector(
            self.method,
            sensitivity=self.sensitivity,
            direction=self.direction,
            min_history=self.min_history,
            training_window=self.training_window,
            seasonality=_DETECTOR_SEASONALITY[self.seasonality],
            period=self.period,
        )


def _periods(detector: Any) -> list[int]:
    """The seasonal periods a fitted detector used (empty: trend only, or not fitted)."""
    periods = getattr(detector, "periods_", None)
    if periods is None:
        period = getattr(detector, "period_", None)
        periods = [] if period is None else [period]
    return [int(p) for p in periods]


ExpectColumnLatestValueToBeWithinSeasonalRange.__doc__ = (
    ExpectColumnLatestValueToBeWithinSeasonalRange.__doc__ or ""
).format(**{name: value for name, value in globals().items() if name.endswith("_DESCRIPTION")})
