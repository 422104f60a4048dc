"""The competition: every contestant scored alike, broken ones skipped, winners written as suites."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from dataset_health.competition import compete, compete_csv, default_contestants
from dataset_health.detector_config import DetectorConfig, suite_blockers
from dataset_health.detectors import DETECTORS
from dataset_health.detectors.base import BaseMultivariateDetector, MultivariateVerdict
from dataset_health.detectors.baselines import DeequOnlineNormal
from dataset_health.errors import BadInputError, ConfigError, SchemaError
from dataset_health.report import render_report

from ._archives import labelled_archive

FAST = ["elementary_z", "deequ_online_normal", "deequ_relative_rate_of_change"]


class Broken(DeequOnlineNormal):
    name = "broken"

    def walk_forward(self, *args: Any, **kwargs: Any) -> list:
        raise RuntimeError("model exploded")


class Refusing(DeequOnlineNormal):
    name = "refusing"

    def walk_forward(self, *args: Any, **kwargs: Any) -> list:
        raise BadInputError("column 'rows_created' is not a number")


class RowMax(BaseMultivariateDetector):
    """A toy multivariate detector: fails a row whose largest jump from the previous row is over 3x."""

    name: ClassVar[str] = "row_max"

    def fit(self, frame: pd.DataFrame, timestamps: Any = None, exclude: Any = None) -> "RowMax":
        self.last_ = frame.iloc[-1] if len(frame) else None
        return self

    def judge(self, row: pd.Series, timestamp: Any = None, *, metric: str = "update") -> MultivariateVerdict:
        if self.last_ is None:
            return MultivariateVerdict("insufficient_history", None, None, None, None, None, 0, self.name, "first row")
        jumps = np.log((row.abs() + 1) / (self.last_.abs() + 1)).abs()
        top = float(jumps.max())
        status = "fail" if top > np.log(3) else "pass"
        shares = {c: float(jumps[c] == top) for c in jumps.index}
        return MultivariateVerdict(status, top, None, None, None, None, 1, self.name, "jump", contributions=shares)


@pytest.fixture
def extra_detectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(DETECTORS, Broken.name, Broken)
    monkeypatch.setitem(DETECTORS, RowMax.name, RowMax)


def test_scores_every_contestant_with_labels_best_first() -> None:
    frame, labels = labelled_archive(60)
    result = compete(frame, labels, detectors=FAST)
    table = result.table()
    assert list(table["detector"]) == [c.name for c in result.ranking()]
    assert set(table["detector"]) == set(FAST)
    assert list(table.columns[:5]) == ["detector", "f1", "precision", "recall", "false_alarms_per_100"]
    assert table["f1"].is_monotonic_decreasing
    assert (table["ms_per_point"] > 0).all()
    assert result.winner().name == table["detector"].iloc[0]


def test_without_labels_only_alarm_rates_and_no_winner() -> None:
    frame, _ = labelled_archive(40)
    result = compete(frame, detectors=FAST)
    assert "alarms_per_100" in result.table().columns and "f1" not in result.table().columns
    with pytest.raises(ConfigError, match="needs labels"):
        result.winner()


def test_a_broken_contestant_is_skipped_with_its_error(extra_detectors: None) -> None:
    frame, labels = labelled_archive(40)
    result = compete(frame, labels, detectors=["broken", "elementary_z"])
    table = result.table()
    assert table["detector"].tolist() == ["elementary_z", "broken"]
    assert table["skipped"].iloc[1] == "RuntimeError: model exploded"
    assert result.winner().name == "elementary_z"


def test_multivariate_detectors_judge_whole_rows(extra_detectors: None) -> None:
    frame, labels = labelled_archive(60)
    result = compete(frame, labels, detectors=["row_max"])
    contestant = result.contestants[0]
    assert contestant.skipped is None
    partial = int(np.flatnonzero(labels)[0])
    assert contestant.verdicts.loc[partial, "failed_metrics"] == "rows_created"
    assert contestant.metric_alarms.loc[partial, "rows_created"]
    assert len(result.series.metrics) > 1 and contestant.judgements == 60 * len(result.series.metrics)
    assert suite_blockers(DetectorConfig("row_max")).startswith("row_max judges several metrics")


def test_every_registered_detector_competes_by_default() -> None:
    names = [c.name for c in default_contestants()]
    assert names[0] == "auto" and set(DETECTORS) <= set(names)


def test_contestant_names_must_differ() -> None:
    frame, _ = labelled_archive(30)
    with pytest.raises(ConfigError, match="named 'elementary_z'"):
        compete(frame, detectors=["elementary_z", {"detector": "elementary_z", "params": {"sensitivity": 2}}])


def test_labels_must_follow_the_archive() -> None:
    frame, labels = labelled_archive(30)
    with pytest.raises(BadInputError, match="labels have 29 rows"):
        compete(frame, labels[:-1], detectors=FAST)
    with pytest.raises(BadInputError, match="label row 3"):
        compete(frame, np.where(np.arange(30) == 2, 7, labels), detectors=FAST)
    shifted = pd.DataFrame({"timestamp": frame["timestamp"].shift(-1).fillna("2030-01-01"), "is_anomaly": labels})
    with pytest.raises(BadInputError, match="label row 1 is for"):
        compete(frame, shifted, detectors=FAST)
    with pytest.raises(SchemaError, match="no 'is_anomaly' column"):
        compete(frame, pd.DataFrame({"label": labels}), detectors=FAST)
    # By update id too: a labels file in another order, without times.
    ids = frame.assign(update_id=[f"u{i}" for i in range(30)])
    backwards = pd.DataFrame({"update_id": ids["update_id"][::-1].to_numpy(), "is_anomaly": labels[::-1]})
    with pytest.raises(BadInputError, match="label row 1 is for update 'u29' but archive row 1 is 'u0'"):
        compete(ids, backwards, detectors=FAST)


def test_the_winner_is_written_as_a_health_suite_that_builds(tmp_path, monkeypatch) -> None:
    from dataset_health.health_suite import template_expectations

    frame, labels = labelled_archive(60)
    frame.to_csv(tmp_path / "archive.csv", index=False)
    pd.DataFrame({"timestamp": frame["timestamp"], "is_anomaly": labels}).to_csv(tmp_path / "labels.csv", index=False)
    monkeypatch.setattr("dataset_health.competition.default_contestants",
                        lambda: [DetectorConfig(name) for name in ("deequ_online_normal", "elementary_z")])
    result = compete_csv(tmp_path / "archive.csv", labels=tmp_path / "labels.csv", write_suite=tmp_path / "suite.json")
    template = json.loads((tmp_path / "suite.json").read_text())
    written = result.winner(for_suite=True)
    assert written.name == "elementary_z"  # Deequ's detectors take none of the expectation's parameters
    rules = [r for r in template["expectations"] if r["type"] == "expect_column_latest_value_to_not_be_anomalous"]
    assert {r["kwargs"]["column"] for r in rules} == set(result.series.metrics)
    assert all(r["kwargs"]["detector"] == "elementary_z" and r["kwargs"]["training_window"] == 14 for r in rules)
    expectations = template_expectations(["update_id", "timestamp", *result.series.metrics], template)
    assert len(expectations) == len(template["expectations"]) == len(rules) + 2  # and the table checks
    assert {e.detector for e in expectations if e.expectation_type == rules[0]["type"]} == {"elementary_z"}
    # The expectation can run the written detector on the archive's series.
    rows = [[str(i), ts, value, None] for i, (ts, value) in enumerate(zip(frame["timestamp"], frame["rows_created"]))]
    created = next(e for e in expectations if e.column == "rows_created")
    success, details = created.judge_series(rows)
    assert details["detector"] == "elementary_z" and details["status"] in ("pass", "fail")


def test_the_written_suite_is_named_after_the_winner_as_the_table_names_it(tmp_path, monkeypatch) -> None:
    from dataset_health.detector_config import DEFAULT_CONFIG

    frame, labels = labelled_archive(60)
    frame.to_csv(tmp_path / "archive.csv", index=False)
    pd.DataFrame({"timestamp": frame["timestamp"], "is_anomaly": labels}).to_csv(tmp_path / "labels.csv", index=False)
    monkeypatch.setattr("dataset_health.competition.default_contestants", lambda: [DEFAULT_CONFIG])
    compete_csv(tmp_path / "archive.csv", labels=tmp_path / "labels.csv", write_suite=tmp_path / "suite.json")
    template = json.loads((tmp_path / "suite.json").read_text())
    assert template["name"] == "dataset_health_auto" and ": auto won" in template["description"]


def test_a_written_suite_watches_a_date_column_as_the_archive_freshness_metric(tmp_path, monkeypatch) -> None:
    frame, labels = labelled_archive(60)
    newest = pd.to_datetime(frame["timestamp"]).dt.normalize() - pd.Timedelta(days=1)
    frame["max_key_date"] = newest.dt.strftime("%Y-%m-%d")
    frame.to_csv(tmp_path / "archive.csv", index=False)
    pd.DataFrame({"timestamp": frame["timestamp"], "is_anomaly": labels}).to_csv(tmp_path / "labels.csv", index=False)
    monkeypatch.setattr("dataset_health.competition.default_contestants", lambda: [DetectorConfig("elementary_z")])
    result = compete_csv(tmp_path / "archive.csv", labels=tmp_path / "labels.csv", write_suite=tmp_path / "suite.json")
    assert "freshness_lag_hours__max_key_date" in result.series.metrics
    columns = [r["kwargs"].get("column") for r in json.loads((tmp_path / "suite.json").read_text())["expectations"]]
    assert "freshness_lag_hours" in columns and not any(str(c).startswith("freshness_lag_hours__") for c in columns)


def test_a_default_detector_with_its_scale_is_written_with_it_and_the_suite_keeps_it() -> None:
    from dataset_health.detector_config import suite_template
    from dataset_health.health_suite import template_expectations

    linear = DetectorConfig("consensus_z", {"scale": "linear"})
    assert suite_blockers(linear) is None
    template = suite_template(linear, ["rows_created"], name="t", description="linear counts")
    [rule] = template["expectations"]
    assert rule["kwargs"]["scale"] == "linear"
    [expectation] = template_expectations(["update_id", "timestamp", "rows_created"], template)
    assert expectation.scale == "linear" and expectation._make_detector().scale == "linear"
    # Other detectors with scales keep theirs; one without is written without the field.
    robust = suite_template(DetectorConfig("robust_z", {"scale": "log"}), ["rows_created"], name="t", description="")
    assert robust["expectations"][0]["kwargs"]["scale"] == "log"
    assert "scale" not in suite_template(DetectorConfig("elementary_z"), ["rows_created"], name="t",
                                         description="")["expectations"][0]["kwargs"]


def _archived(store: Any, dataset: str = "filings") -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`labelled_archive` in ``store``, its incidents labelled by the owner and
    every update carrying a check's verdict summary (text), as a checked archive does."""
    from dataset_health.archive.verdicts import SUMMARY_FIELDS, set_label

    frame, labels = labelled_archive(60)
    records = frame.drop(columns=["schema_fingerprint"]).assign(update_id=[f"u{i:02d}" for i in range(len(frame))])
    store.append(dataset, records.to_dict("records"))
    store.append(dataset, [{"update_id": u, "timestamp": t, "health_status": "healthy", "health_failed": "",
                            "health_checked_at": "2024-03-01T00:00:00"}
                           for u, t in zip(records["update_id"], records["timestamp"])],
                 text_fields=SUMMARY_FIELDS, annotation=True)
    for row in np.flatnonzero(labels):
        set_label(store, dataset, f"u{row:02d}", "incident", "found by hand")
    set_label(store, dataset, "u05", "expected", "a planned re-sync")  # healthy, as unlabelled updates are
    return frame, labels


def test_a_dataset_competes_against_the_incidents_its_owner_labelled(store, monkeypatch) -> None:
    from dataset_health.competition import compete_dataset

    frame, labels = _archived(store)
    monkeypatch.setattr("dataset_health.competition.default_contestants", lambda: [DetectorConfig(n) for n in FAST])
    result = compete_dataset(store, "filings")
    # The check's verdicts and the labels written back to the archive are not metrics.
    assert set(result.series.metrics) == {"rows_created", "row_count", "rows_deleted", "null_fraction__judge"}
    assert result.labelled
    same = compete(frame.drop(columns=["schema_fingerprint"]), labels, detectors=FAST)
    for ours, theirs in zip(result.contestants, same.contestants):
        assert ours.name == theirs.name
        assert ours.scores["events"] == 2
        assert ours.scores["f1"] == theirs.scores["f1"] and ours.scores["alarms"] == theirs.scores["alarms"]


def test_a_dataset_without_incident_labels_gets_alarm_rates_and_no_suite(store, tmp_path, monkeypatch) -> None:
    from dataset_health.competition import compete_dataset

    frame, _ = labelled_archive(40)
    store.append("quiet", frame.drop(columns=["schema_fingerprint"]).assign(
        update_id=[str(i) for i in range(len(frame))]).to_dict("records"))
    monkeypatch.setattr("dataset_health.competition.default_contestants", lambda: [DetectorConfig(n) for n in FAST])
    result = compete_dataset(store, "quiet")
    assert not result.labelled and "alarms_per_100" in result.table().columns
    with pytest.raises(ConfigError, match="dataset 'quiet': writing the winner's suite needs labels.*dataset-health label quiet"):
        compete_dataset(store, "quiet", write_suite=tmp_path / "suite.json")
    assert not (tmp_path / "suite.json").exists()


def test_a_dataset_with_nothing_to_judge_is_named(store) -> None:
    from dataset_health.competition import compete_dataset

    store.append("notes", [{"update_id": str(i), "timestamp": f"2024-01-0{i + 1}T06:00:00", "comment": "ok"}
                           for i in range(5)], text_fields=("comment",))
    with pytest.raises(BadInputError, match="dataset 'notes': the archive has no numeric metric column to watch"):
        compete_dataset(store, "notes")


def _thanksgiving_archive() -> tuple[pd.DataFrame, np.ndarray]:
    """Weekdays ~20,000 rows, weekends and US holidays ~2,000; nothing labelled but a partial load."""
    from pandas.tseries.holiday import USFederalHolidayCalendar

    days = pd.date_range("2023-11-01 06:00", "2024-12-02 06:00", freq="D")
    off = (days.dayofweek >= 5) | days.normalize().isin(USFederalHolidayCalendar().holidays("2023-01-01", "2024-12-31"))
    created = np.where(off, 2_000, 20_000) * np.random.default_rng(9).lognormal(0, 0.05, days.size)
    partial = days.get_loc(pd.Timestamp("2024-11-13 06:00"))  # a Wednesday
    labels = np.zeros(days.size, dtype=int)
    labels[partial] = 1
    created[partial] *= 0.1
    return pd.DataFrame({"timestamp": days.strftime("%Y-%m-%dT%H:%M:%S"), "rows_created": created.round()}), labels


def test_a_holiday_calendar_reaches_every_contestant_that_takes_one_and_its_written_suite(tmp_path) -> None:
    from dataset_health.backtest import backtest
    from dataset_health.health_suite import template_expectations

    frame, labels = _thanksgiving_archive()
    thanksgiving = frame.index[frame["timestamp"] == "2024-11-28T06:00:00"][0]
    assert backtest(frame)["status"].iloc[thanksgiving] == "fail"  # a Thursday at a tenth of its volume
    assert backtest(frame, holidays="us_federal")["status"].iloc[thanksgiving] == "pass"

    frame.to_csv(tmp_path / "archive.csv", index=False)
    pd.DataFrame({"timestamp": frame["timestamp"], "is_anomaly": labels}).to_csv(tmp_path / "labels.csv", index=False)
    own = DetectorConfig("consensus_z", {"holidays": ["2024-11-29"]}, label="own_calendar")
    result = compete_csv(tmp_path / "archive.csv", labels=tmp_path / "labels.csv", holidays="us_federal",
                         detectors=["auto", "elementary_z", own], write_suite=tmp_path / "suite.json")
    calendars = {c.name: c.config.params.get("holidays") for c in result.contestants}
    assert calendars == {"auto": "us_federal", "elementary_z": None, "own_calendar": ["2024-11-29"]}
    auto = next(c for c in result.contestants if c.name == "auto")
    assert auto.scores["f1"] == 1.0 and result.winner().name == "auto"
    # The calendar given for the run is the dataset's business: the suite leaves it to its holidays: setting.
    template = json.loads((tmp_path / "suite.json").read_text())
    [rule] = [r for r in template["expectations"] if "detector" in r["kwargs"]]
    assert "holidays" not in rule["kwargs"]
    [expectation, *_] = template_expectations(["update_id", "timestamp", "rows_created"], template,
                                              {"holidays": ["2024-12-24"]})
    assert expectation.holidays == ["2024-12-24"]


def test_a_configurations_own_calendar_is_written_even_none_and_dates_as_iso_text() -> None:
    from datetime import date

    from dataset_health.detector_config import suite_template
    from dataset_health.health_suite import template_expectations

    own = DetectorConfig("robust_z", {"holidays": [date(2024, 12, 24)]}, (("rows_deleted", {"holidays": None}),))
    template = suite_template(own.with_settings({"holidays": "us_federal"}), ["rows_created", "rows_deleted"],
                              name="t", description="")
    assert [r["kwargs"]["holidays"] for r in template["expectations"]] == [["2024-12-24"], None]
    created, deleted = template_expectations(["update_id", "timestamp", "rows_created", "rows_deleted"],
                                             json.loads(json.dumps(template)), {"holidays": "us_federal"})
    assert created.holidays == ["2024-12-24"] and deleted.holidays is None  # "no calendar" stays


def test_a_suite_without_a_calendar_leaves_the_datasets_holidays_setting_to_fill_it() -> None:
    from dataset_health.detector_config import DEFAULT_CONFIG, suite_template
    from dataset_health.health_suite import template_expectations

    template = suite_template(DEFAULT_CONFIG, ["rows_created"], name="t", description="")
    assert "holidays" not in template["expectations"][0]["kwargs"]
    [expectation] = template_expectations(["update_id", "timestamp", "rows_created"], template,
                                          {"holidays": "us_federal"})
    assert expectation.holidays == "us_federal"


def test_a_dataset_competes_with_its_own_holidays_setting(store) -> None:
    from dataset_health.competition import compete_dataset

    _archived(store)
    result = compete_dataset(store, "filings", detectors=["auto", "elementary_z", "isolation_forest_multi"],
                             settings={"holidays": "us_federal"})
    # The multivariate expectation takes no calendar, so its detectors judge without one here too.
    assert [c.config.params.get("holidays") for c in result.contestants] == ["us_federal", None, None]


def test_the_report_says_how_many_incidents_fall_in_the_unscored_warm_up() -> None:
    frame, labels = labelled_archive(60)
    labels[2] = 1  # inside the 6-update warm-up: shown, never scored
    result = compete(frame, labels, detectors=["deequ_online_normal"])
    assert result.contestants[0].scores["events"] == 2
    html = render_report(result, title="feed")
    assert "3 labelled incidents" in html
    assert "The first 6 updates (min(30, rows/10)) are warm-up and not counted, so 1 of the 3 labelled incidents is not scored" in html
    assert "Results, best first" in html and "ms per point: milliseconds per metric value judged" in html


def test_a_report_without_labels_ranks_alarm_rates_and_draws_no_incidents() -> None:
    frame, _ = labelled_archive(60)
    html = render_report(compete(frame, None, detectors=["deequ_online_normal"]), title="feed")
    assert "Alarm rates, fewest first" in html and "Results, best first" not in html
    assert "labelled incident" not in html and "not scored" not in html


def test_a_long_competition_says_up_front_how_much_it_will_judge(monkeypatch, capsys) -> None:
    import dataset_health.competition as competition

    frame, _ = labelled_archive(40)
    watched = len(compete(frame, detectors=FAST[:1]).series.metrics)
    compete(frame, detectors=FAST, progress=True)
    assert "compete:" not in capsys.readouterr().err  # a short one just runs

    monkeypatch.setattr(competition, "_LONG_RUN", 10)
    compete(frame, detectors=FAST, progress=True)
    err = capsys.readouterr().err
    assert f"compete: 3 contestants judge 40 updates x {watched} metrics ({3 * 40 * watched:,} judgements)" in err
    assert "--detectors NAMES runs fewer" in err
    compete(frame, detectors=FAST)  # no progress asked: nothing said
    assert capsys.readouterr().err == ""


def test_contestants_in_worker_processes_score_as_in_one(extra_detectors: None) -> None:
    frame, labels = labelled_archive(60)
    detectors = [*FAST, "robust_z", "isolation_forest", "row_max", "broken"]
    serial = compete(frame, labels, detectors=detectors)
    parallel = compete(frame, labels, detectors=detectors, n_jobs=2)
    assert [c.name for c in parallel.contestants] == detectors  # the given order, not the finishing one
    for one, other in zip(serial.contestants, parallel.contestants):
        assert one.skipped == other.skipped
        if one.skipped is None:
            pd.testing.assert_frame_equal(one.verdicts, other.verdicts)
            pd.testing.assert_frame_equal(one.metric_alarms, other.metric_alarms)
            assert one.scores == other.scores and other.seconds > 0
    # A detector registered at run time reaches the workers; its failure stays its own.
    assert parallel.contestants[-1].skipped == "RuntimeError: model exploded"
    assert parallel.contestants[-2].verdicts["is_anomaly"].sum() > 0


def test_an_archive_error_in_a_worker_process_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    # A contestant's own bug is skipped; a problem of the archive stops the competition, from a worker too.
    monkeypatch.setitem(DETECTORS, Refusing.name, Refusing)
    frame, labels = labelled_archive(40)
    with pytest.raises(BadInputError, match="column 'rows_created' is not a number"):
        compete(frame, labels, detectors=["zscore", "refusing"], n_jobs=2)
