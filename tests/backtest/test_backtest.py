"""The walk-forward backtest: never peeks, keeps the input's rows, watches every metric."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from dataset_health.backtest import MetricVerdicts, any_metric_fails, backtest, prepare
from dataset_health.detector_config import DEFAULT_CONFIG, FOREIGN_UPWARD_METRICS, SUITE_EXPECTATION, DetectorConfig, resolve_config
from dataset_health.detectors import DETECTORS
from dataset_health.detectors.baselines import ElementaryZScore
from dataset_health.errors import BadInputError, ConfigError, SchemaError

from ._archives import daily_archive, labelled_archive

CUTOFF = 40
# Fast contestants: the default, every baseline, and one detector without walk_forward.
DETECTOR_SPECS = ["auto", "elementary_z", {"detector": "elementary_z", "params": {"seasonality": "day_of_week"}},
                  "deequ_online_normal", "deequ_relative_rate_of_change",
                  {"detector": "deequ_holt_winters", "params": {"refit_growth": 1.0}}, "check_only"]


class CheckOnly(ElementaryZScore):
    """Elementary without its one-pass method: the backtest must call check() per row."""

    name = "check_only"
    walk_forward = None


@pytest.fixture(autouse=True)
def _register_check_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(DETECTORS, CheckOnly.name, CheckOnly)


@pytest.mark.parametrize("detector", DETECTOR_SPECS, ids=lambda d: d if isinstance(d, str) else json.dumps(d))
def test_changing_future_rows_never_changes_past_verdicts(detector) -> None:
    original = daily_archive(70)
    tampered = original.copy()
    future = tampered.index >= CUTOFF
    tampered.loc[future, "rows_created"] *= 1000
    tampered.loc[future, "row_count"] = np.nan
    tampered.loc[future, "rows_deleted"] = 10**6
    tampered.loc[future, "null_fraction__judge"] = 0.99
    extra = daily_archive(10, seed=9, start="2024-03-15 06:00")
    tampered = pd.concat([tampered, extra], ignore_index=True)

    before = backtest(original, detector=detector)
    after = backtest(tampered, detector=detector)
    pd.testing.assert_frame_equal(before.iloc[:CUTOFF], after.iloc[:CUTOFF])
    assert not before.iloc[CUTOFF:].reset_index(drop=True).equals(after.iloc[CUTOFF:70].reset_index(drop=True))


def test_one_pass_and_per_row_paths_agree() -> None:
    frame, _ = labelled_archive(60)
    pd.testing.assert_frame_equal(backtest(frame, detector="elementary_z"), backtest(frame, detector="check_only"))


def test_output_has_one_row_per_input_row_in_input_order() -> None:
    frame, _ = labelled_archive(50)
    shuffled = frame.sample(frac=1, random_state=4).reset_index(drop=True)
    result = backtest(shuffled, detector="elementary_z")
    assert list(result.columns) == ["timestamp", "is_anomaly", "status", "score", "failed_metrics"]
    assert result["timestamp"].tolist() == shuffled["timestamp"].tolist()
    # Each row was judged from the rows before it in time, not in the file.
    in_time = backtest(frame, detector="elementary_z").set_index("timestamp")
    pd.testing.assert_frame_equal(result.set_index("timestamp").loc[in_time.index], in_time)


def test_verdict_columns_say_what_failed() -> None:
    frame, labels = labelled_archive(60)
    result = backtest(frame, detector="deequ_relative_rate_of_change")
    partial = int(np.flatnonzero(labels)[0])
    assert result.loc[partial, "is_anomaly"] == 1 and result.loc[partial, "status"] == "fail"
    assert "rows_created" in result.loc[partial, "failed_metrics"].split(",")
    assert result.loc[0, "status"] == "insufficient_history" and np.isnan(result.loc[0, "score"])
    assert set(result["status"]) <= {"pass", "fail", "insufficient_history"}
    assert result["is_anomaly"].dtype == int and set(result["is_anomaly"]) <= {0, 1}
    assert ((result["is_anomaly"] == 1) == (result["status"] == "fail")).all()


def test_every_numeric_column_is_watched_and_text_is_ignored() -> None:
    frame = daily_archive(40)
    frame["note"] = "hello"
    frame["rows_deleted"] = frame["rows_deleted"].astype(object)
    frame.loc[3, "rows_deleted"] = ""  # empty in a CSV: missing, not text
    result = backtest(frame.astype(str), detector="deequ_relative_rate_of_change")
    failed = {m for names in result["failed_metrics"] for m in names.split(",") if m}
    assert failed <= {"rows_created", "row_count", "rows_deleted", "null_fraction__judge"}
    assert "rows_deleted" in failed  # 0 -> n is an infinite ratio for Deequ


def _with_newest_date(rows: int = 40, *, stale_row: int = 30) -> pd.DataFrame:
    """A daily archive whose ``max_key_date`` is the day before each update,
    except at ``stale_row``, where it goes back three days."""
    frame = daily_archive(rows)
    newest = pd.to_datetime(frame["timestamp"]).dt.normalize() - pd.Timedelta(days=1)
    newest[stale_row] = newest[stale_row - 1] - pd.Timedelta(days=3)
    return frame.assign(max_key_date=newest.dt.strftime("%Y-%m-%d"))


def test_a_date_column_is_watched_as_its_freshness_lag() -> None:
    frame = _with_newest_date()
    series = prepare(frame.astype(str))
    lag = series.values["freshness_lag_hours__max_key_date"]
    assert lag[0] == 30.0 and lag[30] == 30.0 + 4 * 24  # update at 06:00, a day after the date; then 3 days back from the previous one
    assert "max_key_date" not in series.metrics

    result = backtest(frame, detector="auto")
    assert result.loc[30, "failed_metrics"] == "freshness_lag_hours__max_key_date"
    assert "freshness_lag_hours__max_key_date" not in ",".join(result["failed_metrics"].drop(30))
    named = backtest(frame, metrics=["max_key_date"], detector="auto")
    assert named["is_anomaly"].tolist() == [int(row == 30) for row in range(len(frame))]


def test_a_word_among_dates_is_missing_at_its_row_but_a_column_of_words_is_text() -> None:
    frame = _with_newest_date().astype(str)
    frame.loc[12, "max_key_date"] = "yesterday"
    lag = prepare(frame).values["freshness_lag_hours__max_key_date"]
    assert np.isnan(lag[12]) and np.isfinite(np.delete(lag, 12)).all()
    frame["max_key_date"] = [day if row % 2 else "yesterday" for row, day in enumerate(frame["max_key_date"])]
    assert not any(m.startswith("freshness_lag_hours") for m in prepare(frame).metrics)
    with pytest.raises(BadInputError, match="column 'max_key_date' holds no numbers or dates"):
        prepare(frame, metrics=["max_key_date"])


@pytest.mark.parametrize("junk", ["n/a", "#REF!", "inf", float("inf"), "-Infinity"])
def test_a_junk_cell_is_missing_at_its_row_and_no_later_row_changes_an_earlier_verdict(junk) -> None:
    frame = daily_archive(40)
    frame.loc[25, "rows_created"] = frame.loc[25, "rows_created"] * 0.05  # a partial load
    clean = backtest(frame)
    spoiled = frame.astype({"rows_created": object})
    spoiled.loc[39, "rows_created"] = junk  # in the newest row: it must not reach back
    verdicts = backtest(spoiled)
    assert "rows_created" in verdicts.loc[25, "failed_metrics"]
    assert verdicts.loc[:38, "failed_metrics"].tolist() == clean.loc[:38, "failed_metrics"].tolist()
    assert np.isnan(prepare(spoiled).values["rows_created"][39])


def test_junk_that_takes_a_metric_over_later_does_not_silence_its_earlier_rows() -> None:
    frame = daily_archive(60).assign(error_total=[str(50 + row % 3) for row in range(60)])
    frame.loc[25, "error_total"] = "500"
    before = backtest(frame.iloc[:28], detector="robust_z")
    assert "error_total" in before.loc[25, "failed_metrics"]
    frame.loc[28:, "error_total"] = "see log"  # most of the column is words once the file ends
    after = backtest(frame, detector="robust_z")
    assert after.loc[:27, "failed_metrics"].tolist() == before["failed_metrics"].tolist()
    assert np.isnan(prepare(frame).values["error_total"][28:]).all()


@pytest.mark.parametrize(("stamp", "why"), [("2024-01-05 23:00 EST", "names its time zone"), ("01/02/2024", "ISO 8601")])
def test_a_timestamp_the_archive_refuses_is_refused_naming_its_row(stamp, why) -> None:
    frame = daily_archive(20).astype({"timestamp": object})
    frame.loc[7, "timestamp"] = stamp
    with pytest.raises(BadInputError, match=f"row 8: field 'timestamp': .*{why}"):
        prepare(frame)


def test_timestamps_the_archive_takes_are_taken_here_too() -> None:
    frame = daily_archive(20, start="2024-01-01")
    frame["timestamp"] = frame["timestamp"].str[:10]  # dates only
    expected = prepare(frame).timestamps
    frame.loc[7, "timestamp"] += " "  # a stray space, as a hand-edited CSV has
    assert prepare(frame).timestamps.equals(expected)


def test_date_and_datetime_columns_of_a_dataframe_are_watched_as_their_lag() -> None:
    from datetime import date

    frame = daily_archive(20)
    newest = pd.to_datetime(frame["timestamp"]).dt.normalize() - pd.Timedelta(days=1)
    frame = frame.assign(as_datetime=newest, as_date=[date(2024, 1, 1)] * 20,
                         aware=newest.dt.tz_localize("UTC"))
    metrics = prepare(frame).metrics
    assert {"freshness_lag_hours__as_datetime", "freshness_lag_hours__as_date",
            "freshness_lag_hours__aware"} <= set(metrics)


def test_a_column_of_words_with_a_few_numbers_is_text() -> None:
    frame = daily_archive(20).assign(note=["ok"] * 15 + ["1", "2", "3", "4", "5"])
    assert "note" not in prepare(frame).metrics


def test_a_sentinel_date_is_missing_not_a_reason_to_drop_the_column() -> None:
    frame = _with_newest_date().astype(str)
    frame.loc[12, "max_key_date"] = "9999-12-31"
    lag = prepare(frame).values["freshness_lag_hours__max_key_date"]
    assert np.isnan(lag[12]) and np.isfinite(np.delete(lag, 12)).all()


def test_metrics_restricts_what_is_watched() -> None:
    frame, _ = labelled_archive(60)
    result = backtest(frame, metrics=["row_count"], detector="deequ_relative_rate_of_change")
    assert set(result["failed_metrics"]) <= {"", "row_count"}


def test_the_combiner_is_pluggable() -> None:
    def two_metrics(verdicts: MetricVerdicts) -> pd.DataFrame:
        rows = any_metric_fails(verdicts)
        enough = verdicts.failed.sum(axis=1) >= 2
        rows.loc[~enough & (rows["status"] == "fail"), "status"] = "pass"
        rows["is_anomaly"] = enough.astype(int)
        return rows

    frame, _ = labelled_archive(60)
    default = backtest(frame, detector="deequ_relative_rate_of_change")
    strict = backtest(frame, detector="deequ_relative_rate_of_change", combine=two_metrics)
    assert strict["is_anomaly"].sum() < default["is_anomaly"].sum()
    assert (strict["is_anomaly"] <= default["is_anomaly"]).all()


def test_timestamps_may_repeat_and_another_column_may_hold_them() -> None:
    frame = daily_archive(30).rename(columns={"timestamp": "published"})
    frame.loc[5, "published"] = frame.loc[4, "published"]
    assert len(backtest(frame, timestamp_column="published", detector="elementary_z")) == 30


@pytest.mark.parametrize(("change", "error", "message"), [
    (lambda f: f.drop(columns="timestamp"), SchemaError, "no timestamp column 'timestamp'"),
    (lambda f: f.assign(timestamp=["not a date"] + list(f["timestamp"][1:])), BadInputError, "row 1"),
    (lambda f: f.iloc[0:0], BadInputError, "no rows"),
    (lambda f: f[["timestamp", "schema_fingerprint"]], BadInputError, "no numeric metric"),
])
def test_bad_archives_are_reported(change, error, message: str) -> None:
    with pytest.raises(error, match=message):
        backtest(change(daily_archive(20)))


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"metrics": ["nope"]}, SchemaError, "no column 'nope'"),
    ({"metrics": ["schema_fingerprint"]}, BadInputError, "holds no numbers"),
    ({"detector": "nope"}, ConfigError, "unknown detector 'nope'"),
    ({"detector": {"detector": "elementary_z", "params": {"sensitivity": -1}}}, ConfigError, "sensitivity"),
    ({"detector": {"detector": "elementary_z", "params": {"bogus": 1}}}, ConfigError, "bogus"),
])
def test_bad_options_are_config_errors(kwargs: dict, error, message: str) -> None:
    with pytest.raises(error, match=message):
        backtest(daily_archive(20), **kwargs)


def test_auto_is_the_default_config() -> None:
    assert resolve_config("auto") is DEFAULT_CONFIG
    assert DEFAULT_CONFIG.params_for("rows_deleted")["direction"] == "up"
    assert DEFAULT_CONFIG.params_for("null_fraction__judge")["direction"] == "up"
    assert DEFAULT_CONFIG.params_for("rows_created")["direction"] == "both"


@pytest.mark.parametrize("column", ["null_count", "null_Date added", "missing_percent", "null_count__judge"])
def test_the_default_fails_nulls_that_rise_and_passes_nulls_that_fall(column: str) -> None:
    frame = daily_archive(40).drop(columns="null_fraction__judge")
    rising, falling = np.full(40, 10.0), np.full(40, 10.0)
    rising[30], falling[30:] = 40.0, 0.0  # a null explosion; the nulls filled in
    result = backtest(frame.assign(**{column: rising}), metrics=[column], detector="auto")
    assert result["is_anomaly"].tolist() == [int(row == 30) for row in range(40)]
    assert backtest(frame.assign(**{column: falling}), metrics=[column], detector="auto")["is_anomaly"].sum() == 0
    # Judged both ways, the fall is a change of a constant metric.
    both = backtest(frame.assign(**{column: falling}), metrics=[column], detector="consensus_z")
    assert both.loc[30, "is_anomaly"] == 1


def test_a_count_of_non_null_values_counts_both_ways() -> None:
    assert DEFAULT_CONFIG.params_for("non_null_count")["direction"] == "both"
    assert DEFAULT_CONFIG.params_for("null_count")["direction"] == "up"


def test_deletes_and_duplicate_keys_under_a_table_diffs_names_count_only_upward() -> None:
    for name in ("rows_removed", "duplicate_keys", "rows_deleted", "duplicate_key_count"):
        assert DEFAULT_CONFIG.params_for(name)["direction"] == "up", name
    assert DEFAULT_CONFIG.params_for("rows_added")["direction"] == "both"


def test_default_config_runs_the_shipped_suite() -> None:
    """DEFAULT_CONFIG and suites/dataset_health_default.json must say the same.

    When the default is tuned in detector_config.py, ship it in the suite too.
    """
    suite = json.loads((resources.files("dataset_health") / "suites" / "dataset_health_default.json").read_text())
    rules = [r["kwargs"] for r in suite["expectations"] if r["type"] == SUITE_EXPECTATION]
    for rule in rules:
        column = rule["column"].rstrip("*") + ("judge" if rule["column"].endswith("*") else "")
        params = DEFAULT_CONFIG.params_for(column)
        assert rule.get("detector", DEFAULT_CONFIG.detector) == DEFAULT_CONFIG.detector
        for key, value in rule.items():
            if key in params:
                assert params[key] == value, (column, key)
    # The rest name metrics that only archives from elsewhere hold.
    overridden = {pattern for pattern, _ in DEFAULT_CONFIG.overrides} - set(FOREIGN_UPWARD_METRICS)
    assert overridden <= {r["column"] for r in rules}


def test_configs_round_trip_through_dicts() -> None:
    config = DetectorConfig.from_dict(DEFAULT_CONFIG.to_dict())
    assert config == DEFAULT_CONFIG
    with pytest.raises(ConfigError, match="unknown key"):
        DetectorConfig.from_dict({"detector": "robust_z", "parms": {}})


def test_an_archive_with_update_ids_gets_them_back_beside_each_verdict() -> None:
    frame, _ = labelled_archive(50)
    frame.insert(1, "update_id", [f"rev-{i:03d}" for i in range(len(frame))])
    shuffled = frame.sample(frac=1, random_state=2).reset_index(drop=True)
    result = backtest(shuffled, detector="elementary_z")
    assert list(result.columns) == ["timestamp", "update_id", "is_anomaly", "status", "score", "failed_metrics"]
    assert result["update_id"].tolist() == shuffled["update_id"].tolist()
    without = backtest(shuffled.drop(columns="update_id"), detector="elementary_z")
    pd.testing.assert_frame_equal(result.drop(columns="update_id"), without)
