"""`dataset-health demo`: the README's main command, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dataset_health.archive import ArchiveStore
from dataset_health.demo.run import DEMO_DATASET
from dataset_health.project import Project


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    directory = tmp_path_factory.mktemp("demo") / "project"
    # A fresh process, as a user runs it: the plugin must register itself.
    completed = subprocess.run(
        [sys.executable, "-m", "dataset_health.cli", "demo", "--dir", str(directory)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return directory, completed


def test_demo_exits_zero_and_reports_the_partial_load(demo_run) -> None:
    directory, completed = demo_run
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert f"project: {directory.resolve()}" in out
    assert "court_filings, update rev-00729: UNHEALTHY" in out
    failing = [line for line in out.splitlines() if "FAIL" in line]
    assert any("rows_created 1,073 is 95% below the usual Wednesday" in line for line in failing)
    # Only volume fails: the other metrics of that update are normal. (rows_updated
    # drops too, but the monthly re-syncs make its spread too wide to call it.)
    assert "rows_created" in {line.split()[1] for line in failing}
    assert {line.split()[1] for line in failing} <= {"rows_created", "rows_updated"}
    assert "Calculating Metrics" not in completed.stderr


def test_demo_leaves_sqlite_archive_with_two_years_of_history(demo_run) -> None:
    directory, _ = demo_run
    assert (directory / "archive.db").is_file()
    project = Project.load(directory)
    history = ArchiveStore(project.archive_url).history(DEMO_DATASET)
    assert 700 <= len(history) <= 731
    span = history["timestamp"].iloc[-1] - history["timestamp"].iloc[0]
    assert span.days >= 700
    assert history["update_id"].iloc[-1] == "rev-00729"


def test_demo_writes_data_docs_with_a_stored_validation(demo_run) -> None:
    directory, completed = demo_run
    index = directory / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert index.is_file()
    assert f"Data Docs: {index.resolve()}" in completed.stdout
    validations = list((directory / "gx" / "uncommitted" / "validations").rglob("*.json"))
    assert validations, "the checkpoint stored no validation result"
    stored = json.loads(validations[0].read_text())
    assert stored["success"] is False
    assert {r["expectation_config"]["type"] for r in stored["results"]} == {
        "expect_column_latest_value_to_not_be_anomalous",
        "expect_table_to_be_updated_on_schedule",
        "expect_table_schema_to_match_previous_update",
    }


def test_demo_data_docs_state_rules_and_reasons_in_words(demo_run) -> None:
    directory, _ = demo_run
    pages = list((directory / "gx" / "uncommitted" / "data_docs" / "local_site" / "validations").rglob("*.html"))
    assert pages
    html = pages[0].read_text()
    assert "must not be anomalous against its history" in html
    assert "rows_created 1,073 is 95% below the usual Wednesday 20,657" in html
    assert "must arrive on the dataset&#39;s usual cadence" in html or "must arrive on the dataset's usual cadence" in html
    # Rendered in words, not as raw kwargs.
    assert "expect_column_latest_value_to_not_be_anomalous" not in html


def test_demo_suite_on_disk_keeps_every_parameter(demo_run) -> None:
    directory, _ = demo_run
    suite = json.loads((directory / "gx" / "expectations" / "dataset_health__court_filings.json").read_text())
    kwargs = suite["expectations"][0]["kwargs"]
    assert {"detector", "sensitivity", "direction", "min_history", "training_window", "seasonality"} <= set(kwargs)


def test_demo_replay_judges_holidays_by_the_calendar_and_catches_the_labelled_faults(demo_run) -> None:
    directory, _ = demo_run
    project = Project.load(directory)
    assert project.dataset(DEMO_DATASET).holidays == "us_federal"
    history = ArchiveStore(project.archive_url).history(DEMO_DATASET).set_index("update_id")
    status = history["health_status"].dropna()
    assert len(status) == 120
    assert status["rev-00715"] == "healthy"  # Veterans Day 2026, a tenth of the usual volume
    assert status["rev-00632"] == "unhealthy"  # the labelled missed run, caught on replay
    # Only the labelled faults: the monthly re-syncs of rows_updated on the 1st (rev-00614,
    # rev-00644, rev-00674) are judged as the monthly event they are.
    assert set(status[status == "unhealthy"].index) == {"rev-00632", "rev-00729"}
    assert status["rev-00644"] == "healthy"


def test_demo_twice_in_the_same_directory_is_idempotent(demo_run) -> None:
    directory, _ = demo_run
    again = subprocess.run(
        [sys.executable, "-m", "dataset_health.cli", "demo", "--dir", str(directory)],
        capture_output=True, text=True, timeout=300,
    )
    assert again.returncode == 0, again.stderr
    history = ArchiveStore(Project.load(directory).archive_url).history(DEMO_DATASET)
    assert history["update_id"].is_unique


def test_demo_data_docs_open_in_headless_chromium(demo_run, chromium: str, tmp_path: Path) -> None:
    directory, _ = demo_run
    index = directory / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", index.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "dataset_health__court_filings" in dom.stdout
