import doctest
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dataset_health.demo import sample_history
from dataset_health.demo.sample_history import (
    FAULT_KINDS,
    generate_sample_history,
    us_federal_holidays,
    write_bundled_csvs,
)

BUNDLED = Path(sample_history.__file__).parent
HISTORY_CSV = BUNDLED / "court_filings_history.csv"
LABELS_CSV = BUNDLED / "court_filings_labels.csv"


@pytest.fixture(scope="module")
def history():
    return generate_sample_history()


@pytest.fixture(scope="module")
def healthy(history):
    archive, labels = history
    return archive[labels["is_anomaly"].eq(0).to_numpy()]


def _days(archive):
    return archive["timestamp"].dt.normalize()


def test_deterministic_for_a_seed():
    first, second = generate_sample_history(), generate_sample_history()
    pd.testing.assert_frame_equal(first[0], second[0])
    pd.testing.assert_frame_equal(first[1], second[1])
    other = generate_sample_history(seed=8)[0]
    assert not other["rows_created"].equals(first[0]["rows_created"])


def test_bundled_csvs_equal_a_fresh_generation(tmp_path, history):
    fresh = write_bundled_csvs(tmp_path)
    assert fresh[0].read_bytes() == HISTORY_CSV.read_bytes()
    assert fresh[1].read_bytes() == LABELS_CSV.read_bytes()

    archive, labels = history
    read = pd.read_csv(HISTORY_CSV, parse_dates=["timestamp"], float_precision="round_trip")
    pd.testing.assert_frame_equal(read, archive, check_dtype=False)
    assert read.dtypes.equals(archive.dtypes)
    read_labels = pd.read_csv(LABELS_CSV, parse_dates=["timestamp"], keep_default_na=False)
    pd.testing.assert_frame_equal(read_labels, labels, check_dtype=False)


def test_csv_format():
    header, first = HISTORY_CSV.read_text().splitlines()[:2]
    assert header.split(",") == list(sample_history.ARCHIVE_COLUMNS)
    fields = dict(zip(header.split(","), first.split(",")))
    assert len(fields["timestamp"]) == 19 and fields["timestamp"][10] == "T"
    assert fields["rows_created"].isdigit() and fields["row_count"].isdigit()
    assert len(fields["null_fraction__judge_name"].split(".")[1]) <= 6


def test_shape_order_and_alignment(history):
    archive, labels = history
    assert list(archive.columns) == list(sample_history.ARCHIVE_COLUMNS)
    assert list(labels.columns) == ["update_id", "timestamp", "is_anomaly", "kind"]
    assert 700 <= len(archive) <= 730
    assert archive["timestamp"].is_monotonic_increasing and archive["timestamp"].is_unique
    assert archive["update_id"].tolist() == [f"rev-{n:05d}" for n in range(1, len(archive) + 1)]
    assert archive["update_id"].equals(labels["update_id"])
    assert archive["timestamp"].equals(labels["timestamp"])
    hours = archive["timestamp"].dt.hour + archive["timestamp"].dt.minute / 60
    assert hours.between(6, 6.25).all()
    assert set(labels["is_anomaly"]) == {0, 1}
    assert (labels["kind"].eq("") == labels["is_anomaly"].eq(0)).all()


def test_weekdays_busier_than_weekends(healthy):
    weekend = _days(healthy).dt.dayofweek >= 5
    weekday_median = healthy.loc[~weekend, "rows_created"].median()
    weekend_median = healthy.loc[weekend, "rows_created"].median()
    assert 18_000 <= weekday_median <= 24_000
    assert 1_000 <= weekend_median <= 3_000
    monday = _days(healthy).dt.dayofweek == 0
    assert healthy.loc[monday, "rows_created"].median() > weekday_median


def test_holidays_are_low_and_followed_by_backlog(healthy):
    days = _days(healthy)
    holidays = us_federal_holidays(range(2024, 2028))
    on_holiday = days.dt.date.isin(holidays) & (days.dt.dayofweek < 5)
    assert on_holiday.sum() >= 15
    business = ~days.dt.date.isin(holidays) & (days.dt.dayofweek < 5)
    business_median = healthy.loc[business, "rows_created"].median()
    assert (healthy.loc[on_holiday, "rows_created"] < 0.25 * business_median).all()
    after = on_holiday.shift(1, fill_value=False) & business & (days.dt.dayofweek < 4)
    assert healthy.loc[after, "rows_created"].median() > 1.2 * business_median


def test_monthly_resync_updates_are_high(history):
    archive, _ = history
    first = (_days(archive).dt.day == 1).to_numpy()
    assert first.sum() >= 23
    before = archive["row_count"] - archive["rows_created"] + archive["rows_deleted"]
    share = archive["rows_updated"] / before
    assert share[first].between(0.10, 0.15).all()
    assert archive.loc[~first, "rows_updated"].max() < 0.01 * archive.loc[first, "rows_updated"].min()


def test_newest_row_is_a_partial_load(history):
    archive, labels = history
    newest = archive.iloc[-1]
    assert newest["timestamp"].dayofweek < 5
    assert newest["timestamp"].date() not in us_federal_holidays([newest["timestamp"].year])
    assert labels.iloc[-1]["kind"] == "partial_load" and labels.iloc[-1]["is_anomaly"] == 1
    days = _days(archive)
    window = (
        (days < days.iloc[-1])
        & (days >= days.iloc[-1] - pd.Timedelta(weeks=8))
        & (days.dt.dayofweek == days.iloc[-1].dayofweek)
    )
    assert window.sum() == 8
    usual = archive.loc[window, "rows_created"].median()
    assert newest["rows_created"] < 0.10 * usual
    assert 0.03 * usual < newest["rows_created"]
    usual_updated = archive.loc[window, "rows_updated"].median()
    assert newest["rows_updated"] < 0.10 * usual_updated
    assert newest["column_count"] == 14 and newest["duplicate_key_count"] == 0
    assert newest["freshness_lag_hours"] < 30


def test_every_fault_kind_is_labelled(history):
    _, labels = history
    kinds = labels.loc[labels["is_anomaly"] == 1, "kind"]
    assert set(FAULT_KINDS) <= set(kinds)
    assert 6 <= len(kinds) - 1 <= 8


def test_faults_have_their_signature(history):
    archive, labels = history
    rows = archive.set_index(labels["kind"].to_numpy())
    previous = archive.shift(1).set_index(labels["kind"].to_numpy())
    usual_created = archive["rows_created"].median()

    assert rows.loc["duplicate_load", "duplicate_key_count"] >= 1_000
    assert (archive["duplicate_key_count"] > 0).sum() == 1
    stale = rows.loc["stale_update"]
    assert stale[["rows_created", "rows_updated", "rows_deleted"]].eq(0).all()
    since_previous = (stale["timestamp"] - previous.loc["stale_update", "timestamp"]) / pd.Timedelta(hours=1)
    lag_before = previous.loc["stale_update", "freshness_lag_hours"]
    assert since_previous > 23.5
    assert stale["freshness_lag_hours"] == pytest.approx(lag_before + since_previous, abs=1e-5)
    deleted = rows.loc["mass_delete", "rows_deleted"] / previous.loc["mass_delete", "row_count"]
    assert 0.2 <= deleted <= 0.4
    assert 0.6 <= rows.loc["null_explosion", "null_fraction__judge_name"] <= 0.95
    assert archive["null_fraction__judge_name"].drop(archive.index[labels["kind"] == "null_explosion"]).max() < 0.1
    assert rows.loc["schema_change", "column_count"] == 13
    assert (archive["column_count"] != 14).sum() == 1
    gap = rows.loc["missed_run", "timestamp"] - previous.loc["missed_run", "timestamp"]
    assert pd.Timedelta(hours=47) < gap < pd.Timedelta(hours=49)
    assert rows.loc["missed_run", "rows_created"] > 1.5 * usual_created
    partial = labels.index[labels["kind"] == "partial_load"][0]
    assert archive.loc[partial, "rows_created"] < 0.35 * archive.loc[partial - 7, "rows_created"]
    gaps = archive["timestamp"].diff().dropna()
    assert (gaps > pd.Timedelta(hours=36)).sum() == 1


def test_row_count_follows_created_minus_deleted(history):
    archive, _ = history
    # No fault breaks the bookkeeping: even a mass delete is reported as deletes.
    step = archive["row_count"].diff().iloc[1:].astype("int64")
    expected = (archive["rows_created"] - archive["rows_deleted"]).iloc[1:]
    pd.testing.assert_series_equal(step, expected, check_names=False)
    assert (archive["rows_deleted"] == 0).mean() > 0.9


def test_other_columns_stay_in_range(healthy):
    assert healthy["column_count"].eq(14).all()
    assert healthy["duplicate_key_count"].eq(0).all()
    assert healthy["null_fraction__judge_name"].between(0.005, 0.05).all()
    assert healthy["null_fraction__disposition"].between(0.10, 0.20).all()
    assert set(healthy["distinct_count__court_id"]) <= {61, 62, 63}
    assert healthy["freshness_lag_hours"].between(6, 30).all()


def test_us_federal_holidays_2025_and_observed_rules():
    assert us_federal_holidays([2025]) == {
        date(2025, 1, 1), date(2025, 1, 20), date(2025, 2, 17), date(2025, 5, 26),
        date(2025, 6, 19), date(2025, 7, 4), date(2025, 9, 1), date(2025, 10, 13),
        date(2025, 11, 11), date(2025, 11, 27), date(2025, 12, 25),
    }
    observed_2026 = us_federal_holidays([2026])
    assert date(2026, 7, 3) in observed_2026 and date(2026, 7, 4) not in observed_2026
    assert date(2027, 6, 18) in us_federal_holidays([2027])  # June 19 is a Saturday
    assert date(2023, 1, 2) in us_federal_holidays([2023])  # Jan 1 is a Sunday


def test_end_date_moves_back_to_a_business_day():
    archive, labels = generate_sample_history(end="2025-06-01", days=400, seed=3)
    assert archive["timestamp"].iloc[-1].date() == date(2025, 5, 30)  # Sunday -> Friday
    assert labels["kind"].iloc[-1] == "partial_load"
    assert set(FAULT_KINDS) <= set(labels["kind"])


def test_docstring_examples_run():
    result = doctest.testmod(sample_history)
    assert result.attempted > 0 and result.failed == 0
