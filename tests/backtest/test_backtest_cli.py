"""`dataset-health backtest` and `dataset-health compete`: files in, files out, one-line errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dataset_health.cli import main

from ._archives import labelled_archive

HOSTILE = "<script>x</script>"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def few_contestants(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three contestants instead of every registered detector: the command is the same, the test faster."""
    from dataset_health.detector_config import DEFAULT_CONFIG, DetectorConfig

    monkeypatch.setattr("dataset_health.competition.default_contestants", lambda: [
        DEFAULT_CONFIG, DetectorConfig("elementary_z"), DetectorConfig("deequ_online_normal")])


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    frame, labels = labelled_archive(45)
    frame = frame.rename(columns={"null_fraction__judge": HOSTILE})
    frame = frame.sample(frac=1, random_state=2)  # rows out of time order
    archive, label_file = tmp_path / "archive.csv", tmp_path / "labels.csv"
    frame.to_csv(archive, index=False)
    pd.DataFrame({"timestamp": frame["timestamp"], "is_anomaly": labels[frame.index]}).to_csv(label_file, index=False)
    return archive, label_file


@pytest.mark.parametrize("command", ["backtest", "compete"])
def test_commands_have_help(runner: CliRunner, command: str) -> None:
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_backtest_writes_one_verdict_per_row_in_input_order(runner: CliRunner, files, tmp_path: Path) -> None:
    archive, _ = files
    output = tmp_path / "verdicts.csv"
    result = runner.invoke(main, ["backtest", str(archive), "--output", str(output), "--detector", "elementary_z"])
    assert result.exit_code == 0, result.output
    assert re.match(r"wrote 45 verdicts to .*verdicts.csv: \d+ flagged", result.output)
    verdicts = pd.read_csv(output, keep_default_na=False)
    assert list(verdicts.columns) == ["timestamp", "is_anomaly", "status", "score", "failed_metrics"]
    assert verdicts["timestamp"].tolist() == pd.read_csv(archive)["timestamp"].tolist()
    assert set(verdicts["status"]) <= {"pass", "fail", "insufficient_history"}


def test_backtest_metrics_option(runner: CliRunner, files, tmp_path: Path) -> None:
    archive, _ = files
    output = tmp_path / "verdicts.csv"
    result = runner.invoke(main, ["backtest", str(archive), "-o", str(output), "--metrics", "rows_created, row_count",
                                  "--detector", "deequ_relative_rate_of_change"])
    assert result.exit_code == 0, result.output
    failed = {m for names in pd.read_csv(output, keep_default_na=False)["failed_metrics"] for m in names.split(",") if m}
    assert failed <= {"rows_created", "row_count"}


@pytest.mark.parametrize(("args", "message"), [
    (["--detector", "nope"], "error: unknown detector 'nope'; known: auto (the default), absolute_change"),
    (["--metrics", "nope"], "error: archive CSV '{archive}': the archive has no column 'nope'"),
    (["--metrics", "timestamp"], "error: column 'timestamp' is the update's time, not a metric to watch"),
    (["--timestamp-column", "when"], "error: archive CSV '{archive}': the archive has no timestamp column 'when'"),
])
def test_backtest_errors_are_one_line_and_exit_2(runner: CliRunner, files, tmp_path: Path, args, message) -> None:
    archive, _ = files
    result = runner.invoke(main, ["backtest", str(archive), "-o", str(tmp_path / "v.csv"), *args])
    assert result.exit_code == 2
    assert result.output.startswith(message.format(archive=archive)), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_key_column_named_as_a_metric_is_called_a_key(runner: CliRunner, tmp_path: Path) -> None:
    archive = tmp_path / "a.csv"
    pd.DataFrame({"timestamp": ["2024-01-01", "2024-01-02"], "update_id": ["u1", "u2"], "rows": [1, 2]}).to_csv(
        archive, index=False)
    result = runner.invoke(main, ["backtest", str(archive), "-o", str(tmp_path / "v.csv"), "--metrics", "update_id"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: column 'update_id' is the update's key, not a metric to watch"


def test_compete_names_the_archive_file_it_cannot_read(runner: CliRunner, tmp_path: Path) -> None:
    archive = tmp_path / "a.csv"
    archive.write_text("timestamp,rows\n2024-01-01,1\n01/02/2024,2\n")
    result = runner.invoke(main, ["compete", str(archive), "--detectors", "zscore"])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: archive CSV '{archive}': row 2: field 'timestamp':"), result.output


@pytest.mark.parametrize("value", ["nope", "us_federal,", "2024-13-01", "2024-12-24,24/12/2024", " , "])
def test_a_bad_holidays_option_is_named(runner: CliRunner, files, tmp_path: Path, value: str) -> None:
    archive, _ = files
    result = runner.invoke(main, ["backtest", str(archive), "-o", str(tmp_path / "v.csv"), "--holidays", value])
    assert result.exit_code == 2 and "Invalid value for --holidays: give us_federal" in result.output, result.output
    assert not (tmp_path / "v.csv").exists()


def test_the_holidays_option_reaches_the_detectors(runner: CliRunner, tmp_path: Path) -> None:
    from dataset_health.archive.schema import TIMESTAMP

    days = pd.date_range("2024-09-01 06:00", "2024-11-28 06:00", freq="D")  # ends on Thanksgiving
    created = np.where(days.dayofweek < 5, 20_000.0, 2_000.0) * np.random.default_rng(1).lognormal(0, 0.05, days.size)
    created[-1] = 2_000.0
    pd.DataFrame({TIMESTAMP: days, "rows_created": created}).to_csv(tmp_path / "a.csv", index=False)
    statuses = {}
    for name, extra in (("plain", []), ("calendar", ["--holidays", "US_Federal"]), ("dates", ["--holidays", "2024-11-28"])):
        result = runner.invoke(main, ["backtest", str(tmp_path / "a.csv"), "-o", str(tmp_path / f"{name}.csv"), *extra])
        assert result.exit_code == 0, result.output
        statuses[name] = pd.read_csv(tmp_path / f"{name}.csv")["status"].iloc[-1]
    assert statuses == {"plain": "fail", "calendar": "pass", "dates": "pass"}


def test_compete_says_which_contestants_got_the_calendar_and_where_the_suite_takes_it(
        runner: CliRunner, files, tmp_path: Path) -> None:
    archive, labels = files
    result = runner.invoke(main, ["compete", str(archive), "--labels", str(labels), "--detectors",
                                  "auto,elementary_z,deequ_online_normal", "--holidays", "2024-01-15,2024-02-19",
                                  "--write-suite", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    assert "holiday calendar 2024-01-15, 2024-02-19: given to 1 of 3 contestants" in result.output
    assert "set 'holidays: [2024-01-15, 2024-02-19]' for it in dataset_health.yml" in result.output


def test_outputs_never_replace_the_files_a_command_reads(runner: CliRunner, files, tmp_path: Path) -> None:
    archive, labels = files
    before = archive.read_bytes()
    result = runner.invoke(main, ["backtest", str(archive), "-o", str(archive)])
    assert result.exit_code == 2 and "cannot write verdicts to" in result.output
    assert "it is the archive this reads; give another file" in result.output
    result = runner.invoke(main, ["compete", str(archive), "--labels", str(labels), "--report", str(labels)])
    assert result.exit_code == 2 and "cannot write the report to" in result.output
    assert "it is the labels this reads" in result.output
    assert archive.read_bytes() == before


def test_the_report_and_suite_never_replace_each_other_or_the_project(runner: CliRunner, files,
                                                                      tmp_path: Path) -> None:
    archive, labels = files
    both = tmp_path / "out.html"
    result = runner.invoke(main, ["compete", str(archive), "--labels", str(labels),
                                  "--report", str(both), "--write-suite", str(both)])
    assert result.exit_code == 2, result.output
    assert "cannot write the report and the suite to the same file" in result.output
    project = tmp_path / "dataset_health.yml"
    project.write_text("datasets: {}\n")
    report = tmp_path / "report.html"
    result = runner.invoke(main, ["compete", str(archive), "--labels", str(labels),
                                  "--report", str(report), "--write-suite", str(project)])
    assert result.exit_code == 2 and "it is a dataset-health project file" in result.output
    # refused before the competition ran, so not even the report was written
    assert not both.exists() and not report.exists() and project.read_text() == "datasets: {}\n"


def test_backtest_of_a_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["backtest", str(tmp_path / "no.csv"), "-o", str(tmp_path / "v.csv")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_outputs_go_into_new_folders_and_an_unwritable_one_is_a_one_line_error(
        runner: CliRunner, files, tmp_path: Path, few_contestants: None) -> None:
    archive, labels = files
    verdicts, report = tmp_path / "runs" / "verdicts.csv", tmp_path / "reports" / "2026" / "compete.html"
    assert runner.invoke(main, ["backtest", str(archive), "-o", str(verdicts)]).exit_code == 0
    assert len(pd.read_csv(verdicts)) == 45
    result = runner.invoke(main, ["compete", str(archive), "--labels", str(labels), "--report", str(report)])
    assert result.exit_code == 0 and report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>"), result.output

    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")
    result = runner.invoke(main, ["backtest", str(archive), "-o", str(blocked / "verdicts.csv")])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (f"error: cannot write verdicts to {str(blocked / 'verdicts.csv')!r}: "
                                     f"{str(blocked)!r} is a file, not a folder")


def test_compete_writes_a_self_contained_report_that_escapes_column_names(
    runner: CliRunner, files, tmp_path: Path, few_contestants: None
) -> None:
    archive, labels = files
    report, suite = tmp_path / "report.html", tmp_path / "suite.json"
    result = runner.invoke(main, ["compete", str(archive), "--labels", str(labels), "--report", str(report),
                                  "--write-suite", str(suite)])
    assert result.exit_code == 0, result.output
    assert "winner: " in result.output and "event" not in result.output.splitlines()[0]
    html = report.read_text(encoding="utf-8")
    assert HOSTILE not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing fetched from a CDN
    assert html.count("<svg") >= 1 and "<style>" in html
    template = json.loads(suite.read_text())
    types = [r["type"] for r in template["expectations"]]
    # The winner on every metric, then the default suite's table checks.
    assert types[-2:] == ["expect_table_to_be_updated_on_schedule", "expect_table_schema_to_match_previous_update"]
    assert types[:-2] and set(types[:-2]) == {"expect_column_latest_value_to_not_be_anomalous"}


def test_compete_without_labels_reports_alarm_rates(runner: CliRunner, files, few_contestants: None) -> None:
    archive, _ = files
    result = runner.invoke(main, ["compete", str(archive)])
    assert result.exit_code == 0, result.output
    assert "alarms_per_100" in result.output and "winner" not in result.output


def test_compete_write_suite_needs_labels(runner: CliRunner, files, tmp_path: Path) -> None:
    archive, _ = files
    result = runner.invoke(main, ["compete", str(archive), "--write-suite", str(tmp_path / "s.json")])
    assert result.exit_code == 2 and result.output.startswith("error: writing the winner's suite needs labels")


def test_compete_runs_only_the_detectors_asked_for(runner: CliRunner, files) -> None:
    archive, labels = files
    result = runner.invoke(main, ["compete", str(archive), "--labels", str(labels),
                                  "--detectors", "elementary_z, deequ_online_normal"])
    assert result.exit_code == 0, result.output
    table = result.output.split("winner:")[0].strip().splitlines()
    assert sorted(line.split()[0] for line in table[1:]) == ["deequ_online_normal", "elementary_z"]


@pytest.mark.parametrize(("names", "message"), [("nope", "error: unknown detector 'nope'"),
                                                 (" , ", "--detectors names no detector")])
def test_compete_detectors_must_be_known(runner: CliRunner, files, names: str, message: str) -> None:
    archive, _ = files
    result = runner.invoke(main, ["compete", str(archive), "--detectors", names])
    assert result.exit_code == 2 and message in result.output


def test_compete_jobs_runs_the_same_competition_in_worker_processes(runner: CliRunner, files) -> None:
    archive, labels = files
    args = ["compete", str(archive), "--labels", str(labels), "--detectors", "auto,elementary_z,robust_z"]
    tables = []
    for jobs in ("1", "2"):
        result = runner.invoke(main, [*args, "--jobs", jobs])
        assert result.exit_code == 0, result.output
        # Everything but the timing columns.
        tables.append([line.split()[:6] for line in result.output.split("winner:")[0].strip().splitlines()])
    assert tables[0] == tables[1] and len(tables[0]) == 4
    result = runner.invoke(main, [*args, "--jobs", "0"])
    assert result.exit_code == 2 and "'--jobs'" in result.output
