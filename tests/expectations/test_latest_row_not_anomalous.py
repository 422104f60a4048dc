"""ExpectTableLatestRowToNotBeAnomalous on pandas, SQLite and PostgreSQL archives."""

from __future__ import annotations

import pytest

from archives import daily_archive
from dataset_health.expectations import ExpectTableLatestRowToNotBeAnomalous
from dataset_health.outcomes import outcome_from_result
from dataset_health.expectations import expect_table_latest_row_to_not_be_anomalous as module

COLUMNS = ["rows_created", "rows_updated", "row_count", "duplicate_key_count", "null_fraction__judge"]


@pytest.mark.parametrize("detector", ["isolation_forest_multi", "pca"])
@pytest.mark.parametrize(
    ("fault", "driver"),
    [(None, None), ("partial_load", "rows_created"), ("duplicate_load", "duplicate_key_count"),
     ("null_explosion", "null_fraction__judge")],
)
def test_same_verdict_on_every_engine(validate_on, detector: str, fault: str | None, driver: str | None) -> None:
    result = validate_on(daily_archive(fault=fault), ExpectTableLatestRowToNotBeAnomalous(columns=COLUMNS,
                                                                                             detector=detector))
    details = result.result["details"]
    assert result.success is (fault is None), details["reason"]
    assert details["status"] == ("pass" if fault is None else "fail")
    assert details["update_id"] == "rev-069"
    assert details["detector"] == detector
    assert details["history_size"] == 69
    assert details["columns"] == COLUMNS and details["missing_columns"] == []
    assert details["upper"] == 4.0 and details["expected"] == 0.0
    assert set(details["contributions"]) == set(COLUMNS)
    if fault is None:
        assert details["score"] <= 4.0 and details["drivers"] == []
        assert details["reason"].startswith("update rev-069 looks usual")
    else:
        assert details["score"] > 4.0
        assert details["drivers"][0] == driver
        assert details["reason"].startswith("update rev-069 is unusual") and driver in details["reason"]


@pytest.mark.parametrize("validate_on", ["pandas"], indirect=True)
def test_outcome_is_labelled_by_the_columns_judged_together(validate_on) -> None:
    result = validate_on(daily_archive(fault="partial_load"), ExpectTableLatestRowToNotBeAnomalous(columns=COLUMNS))
    outcome = outcome_from_result(result)
    assert outcome.status == "fail" and outcome.metric is None
    assert outcome.label == " + ".join(COLUMNS)


def test_columns_the_archive_lacks_are_named_not_fatal(validate_on) -> None:
    expectation = ExpectTableLatestRowToNotBeAnomalous(columns=["rows_created", "rows_updated", "freshness_lag_hours"])
    result = validate_on(daily_archive(fault="partial_load"), expectation)
    details = result.result["details"]
    assert result.success is False
    assert details["missing_columns"] == ["freshness_lag_hours"]
    assert details["reason"].endswith("; not in the archive: freshness_lag_hours")


@pytest.mark.parametrize("validate_on", ["pandas", "sqlite"], indirect=True)
def test_insufficient_history_is_reported_and_optionally_fails(validate_on) -> None:
    frame = daily_archive(days=8, fault="partial_load")
    lenient = validate_on(frame, ExpectTableLatestRowToNotBeAnomalous(columns=COLUMNS))
    assert lenient.success is True
    details = lenient.result["details"]
    assert details["status"] == "insufficient_history" and details["history_size"] == 7
    assert "fewer than the 14 needed" in details["reason"]
    strict = validate_on(frame, ExpectTableLatestRowToNotBeAnomalous(columns=COLUMNS, fail_on_insufficient_history=True))
    assert strict.success is False


@pytest.mark.parametrize("validate_on", ["pandas", "sqlite"], indirect=True)
def test_labelled_incidents_are_left_out_of_training(validate_on) -> None:
    # Twenty labelled duplicate loads in the history: learnt from, they would
    # make the newest one look usual.
    frame = daily_archive(fault="duplicate_load")
    incidents = tuple(frame["update_id"].iloc[-41:-1:2])
    frame.loc[frame["update_id"].isin(incidents), "duplicate_key_count"] = 20_000
    expectation = ExpectTableLatestRowToNotBeAnomalous(columns=COLUMNS)
    assert validate_on(frame, expectation, incidents=incidents).result["details"]["history_size"] == 49
    assert validate_on(frame, expectation, incidents=incidents).success is False
    kept = ExpectTableLatestRowToNotBeAnomalous(columns=COLUMNS, exclude_incidents=False)
    assert validate_on(frame, kept, incidents=incidents).result["details"]["history_size"] == 69


def test_columns_need_at_least_two() -> None:
    with pytest.raises(ValueError, match="columns"):
        ExpectTableLatestRowToNotBeAnomalous(columns=["rows_created"])


def test_every_parameter_is_written_to_the_configuration() -> None:
    kwargs = ExpectTableLatestRowToNotBeAnomalous(columns=COLUMNS).configuration.kwargs
    assert set(ExpectTableLatestRowToNotBeAnomalous.success_keys) <= set(kwargs)
    assert kwargs["columns"] == COLUMNS


def test_each_field_carries_its_own_description() -> None:
    for name in ExpectTableLatestRowToNotBeAnomalous.success_keys:
        constant = getattr(module, f"{name.upper()}_DESCRIPTION")
        assert ExpectTableLatestRowToNotBeAnomalous.__fields__[name].field_info.description == constant
        assert constant in ExpectTableLatestRowToNotBeAnomalous.__doc__
