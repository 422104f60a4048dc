"""The dataset's clock: weekdays and hours read in its time zone, where UTC shifts with daylight saving time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataset_health.backtest import backtest
from dataset_health.detectors.local_time import local_times
from dataset_health.errors import ConfigError
from dataset_health.expectations.expect_column_latest_value_to_not_be_anomalous import (
    ExpectColumnLatestValueToNotBeAnomalous,
)

NEW_YORK = "America/New_York"


def _office_hours_archive() -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """Hourly loads, busy 9:00-18:00 New York time, across the start of daylight saving (10 March 2024);
    the archive holds UTC times, as archives do."""
    rng = np.random.default_rng(4)
    local = pd.date_range("2024-02-01", "2024-04-01", freq="h", tz=NEW_YORK)
    busy = (local.hour >= 9) & (local.hour < 18)
    loads = np.where(busy, 10_000, 500) * (1 + 0.05 * rng.standard_normal(len(local)))
    utc = local.tz_convert("UTC").tz_localize(None)
    return pd.DataFrame({"timestamp": utc.strftime("%Y-%m-%dT%H:%M:%S"), "rows_created": loads}), local


def test_hours_on_the_dataset_clock_keep_office_hours_in_place_across_daylight_saving() -> None:
    frame, local = _office_hours_archive()
    # The hours whose UTC hour held the other kind of load all winter: 9:00 (was 8:00's) and 18:00.
    edges = (local >= pd.Timestamp("2024-03-10", tz=NEW_YORK)) & np.isin(local.hour, [9, 18])
    in_utc = backtest(frame)["is_anomaly"].to_numpy()[edges]
    on_its_clock = backtest(frame, timezone=NEW_YORK)["is_anomaly"].to_numpy()[edges]
    assert in_utc.sum() >= 4
    assert on_its_clock.sum() == 0


def _evening_series(values_by_weekday: dict[int, float], end: str) -> list[list]:
    """A daily update at 19:30 New York time, as [update_id, UTC time, value, label] rows."""
    local = pd.date_range("2023-11-01 19:30", end, freq="D", tz=NEW_YORK)
    rng = np.random.default_rng(7)
    utc = local.tz_convert("UTC").tz_localize(None)
    return [[f"u{i}", stamp.isoformat(), values_by_weekday.get(day.dayofweek, 1_000.0) * rng.normal(1, 0.03), None]
            for i, (stamp, day) in enumerate(zip(utc, local))]


def test_an_evening_update_keeps_its_weekday_when_utc_changes_day_with_daylight_saving() -> None:
    # Quiet at weekends (local). 19:30 EST is 00:30 UTC the next day, 19:30 EDT is 23:30 UTC the same day:
    # from 10 March the UTC weekday of every update moves back by one, and a quiet Saturday lands on
    # the UTC Saturday that held busy Fridays all winter.
    series = _evening_series({5: 100.0, 6: 100.0}, end="2024-03-16 19:30")  # the newest is a Saturday
    passed, details = ExpectColumnLatestValueToNotBeAnomalous(column="rows_created", timezone=NEW_YORK).judge_series(series)
    assert passed and "the usual Saturday" in details["reason"], details["reason"]
    passed, details = ExpectColumnLatestValueToNotBeAnomalous(column="rows_created").judge_series(series)
    assert not passed and "below the usual Saturday" in details["reason"], details["reason"]


def test_an_unknown_time_zone_is_named() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        ExpectColumnLatestValueToNotBeAnomalous(column="rows_created", timezone="Mars/Olympus")
    frame, _ = _office_hours_archive()
    with pytest.raises(ConfigError, match="timezone: unknown time zone 'EST5'"):
        backtest(frame.iloc[:50], timezone="EST5")


def test_the_hour_that_repeats_when_clocks_fall_back_never_runs_time_backwards() -> None:
    utc = pd.date_range("2024-10-27", "2024-11-06", freq="30min")  # New York falls back on 3 November
    local = local_times(utc, NEW_YORK)
    assert local.is_monotonic_increasing and local[0] == pd.Timestamp("2024-10-26 20:00")
    frame = pd.DataFrame({"timestamp": utc.strftime("%Y-%m-%dT%H:%M:%S"),
                          "rows_created": 1_000 + 20 * np.random.default_rng(1).standard_normal(len(utc))})
    verdicts = backtest(frame, detector="stl", timezone=NEW_YORK)  # its seasonal grid takes time order for granted
    assert len(verdicts) == len(utc) and verdicts["status"].isin(["pass", "fail", "insufficient_history"]).all()
