"""ExpectColumnLatestValueToBeWithinSeasonalRange on pandas, SQLite and PostgreSQL archives."""

from __future__ import annotations

import pytest

from archives import daily_archive
from dataset_health.expectations import ExpectColumnLatestValueToBeWithinSeasonalRange
from dataset_health.expectations import expect_column_latest_value_to_be_within_seasonal_range as module

WEDNESDAY, SUNDAY = "2024-05-08 06:00", "2024-05-12 06:00"


@pytest.mark.parametrize("method", ["stl", "holt_winters"])
@pytest.mark.parametrize(
    ("fault", "end", "success"),
    [
        (None, WEDNESDAY, True),
        (None, SUNDAY, True),  # a small Sunday is the season, not an anomaly
        ("partial_load", WEDNESDAY, False),
        ("duplicate_load", WEDNESDAY, False),
        ("weekday_load_on_sunday", SUNDAY, False),  # usual for a weekday, ten times a Sunday
    ],
)
def test_same_verdict_on_every_engine(validate_on, method: str, fault: str | None, end: str, success: bool) -> None:
    frame = daily_archive(fault=fault, end=end)
    result = validate_on(frame, ExpectColumnLatestValueToBeWithinSeasonalRange(column="rows_created", method=method))
    details = result.result["details"]
    assert result.success is success, details["reason"]
    assert details["status"] == ("pass" if success else "fail")
    assert details["update_id"] == "rev-069"
    assert details["detector"] == method
    assert details["periods"] == [7]
    assert details["history_size"] == 69
    assert details["observed"] == frame["rows_created"].iloc[-1]
    assert details["lower"] < details["expected"] < details["upper"]
    assert (details["lower"] <= details["observed"] <= details["upper"]) is success
    assert details["reason"].startswith(f"rows_created {details['observed']:,.0f}") and "period 7" in details["reason"]


@pytest.mark.parametrize("validate_on", ["pandas"], indirect=True)
def test_direction_down_ignores_a_duplicate_load(validate_on) -> None:
    expectation = ExpectColumnLatestValueToBeWithinSeasonalRange(column="rows_created", direction="down")
    assert validate_on(daily_archive(fault="duplicate_load"), expectation).success is True


@pytest.mark.parametrize("validate_on", ["pandas"], indirect=True)
@pytest.mark.parametrize("method", ["stl", "holt_winters"])
def test_an_explicit_period_overrides_the_cadence(validate_on, method: str) -> None:
    expectation = ExpectColumnLatestValueToBeWithinSeasonalRange(column="rows_created", method=method, period=14)
    details = validate_on(daily_archive(), expectation).result["details"]
    assert details["periods"] == [14] and "period 14" in details["reason"]


@pytest.mark.parametrize("validate_on", ["pandas", "sqlite"], indirect=True)
def test_insufficient_history_is_reported_and_optionally_fails(validate_on) -> None:
    frame = daily_archive(days=10, fault="partial_load")
    lenient = validate_on(frame, ExpectColumnLatestValueToBeWithinSeasonalRange(column="rows_created"))
    assert lenient.success is True
    assert lenient.result["details"]["status"] == "insufficient_history"
    strict = validate_on(
        frame, ExpectColumnLatestValueToBeWithinSeasonalRange(column="rows_created", fail_on_insufficient_history=True)
    )
    assert strict.success is False


@pytest.mark.parametrize("validate_on", ["pandas", "sqlite"], indirect=True)
def test_labelled_incidents_are_left_out_of_the_history(validate_on) -> None:
    frame = daily_archive()
    incidents = ("rev-060", "rev-061")
    expectation = ExpectColumnLatestValueToBeWithinSeasonalRange(column="rows_created")
    assert validate_on(frame, expectation, incidents=incidents).result["details"]["history_size"] == 67
    kept = ExpectColumnLatestValueToBeWithinSeasonalRange(column="rows_created", exclude_incidents=False)
    assert validate_on(frame, kept, incidents=incidents).result["details"]["history_size"] == 69


def test_every_parameter_is_written_to_the_configuration() -> None:
    kwargs = ExpectColumnLatestValueToBeWithinSeasonalRange(column="rows_created").configuration.kwargs
    assert set(ExpectColumnLatestValueToBeWithinSeasonalRange.success_keys) <= set(kwargs)
    assert kwargs["period"] is None


def test_each_field_carries_its_own_description() -> None:
    for name in ExpectColumnLatestValueToBeWithinSeasonalRange.success_keys:
        constant = getattr(module, f"{name.upper()}_DESCRIPTION")
        assert ExpectColumnLatestValueToBeWithinSeasonalRange.__fields__[name].field_info.description == constant
        assert constant in ExpectColumnLatestValueToBeWithinSeasonalRange.__doc__
