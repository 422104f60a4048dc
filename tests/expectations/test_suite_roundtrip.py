"""Health suites survive a file context and a fresh process; unknown types fail loudly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dataset_health.archive import ArchiveStore
from dataset_health.cli import main
from dataset_health.context import get_context
from dataset_health.errors import ConfigError
from dataset_health.health_check import ensure_health_checkpoint
from dataset_health.health_suite import suite_name
from dataset_health.init_project import init_project


@pytest.fixture
def project(tmp_path: Path):
    project = init_project(tmp_path / "project")
    frame = pd.DataFrame({
        "timestamp": pd.date_range("2024-01-01", periods=30, freq="D"),
        "rows_created": range(1000, 1030),
        "null_fraction__judge": 0.01,
        "null_fraction__court": 0.02,
    })
    store = ArchiveStore(project.archive_url)
    store.append("feed", frame.assign(update_id=frame["timestamp"].astype(str)))
    ensure_health_checkpoint(get_context(project.root), project, store, "feed")
    return project


def suite_file(project) -> Path:
    return project.gx_dir / "expectations" / f"{suite_name('feed')}.json"


def test_suite_loads_whole_in_a_fresh_process(project) -> None:
    on_disk = json.loads(suite_file(project).read_text())
    columns = sorted(e["kwargs"].get("column", e["type"]) for e in on_disk["expectations"])
    assert columns == [
        "expect_table_schema_to_match_previous_update",
        "expect_table_to_be_updated_on_schedule",
        "null_fraction__court",
        "null_fraction__judge",
        "rows_created",
    ]
    script = (
        "import json, sys, dataset_health\n"
        f"context = dataset_health.get_context({str(project.root)!r})\n"
        f"suite = context.suites.get({suite_name('feed')!r})\n"
        "print(json.dumps([e.configuration.to_json_dict()['kwargs'] for e in suite.expectations]))\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    loaded = json.loads(completed.stdout.strip().splitlines()[-1])
    canonical = lambda kwargs: json.dumps(kwargs, sort_keys=True)  # noqa: E731
    assert sorted(map(canonical, loaded)) == sorted(canonical(e["kwargs"]) for e in on_disk["expectations"])


def test_a_suite_naming_an_unknown_expectation_fails_loudly(project) -> None:
    path = suite_file(project)
    suite = json.loads(path.read_text())
    suite["expectations"].append({"type": "expect_latest_value_to_be_magic", "kwargs": {"column": "x"}})
    path.write_text(json.dumps(suite))
    with pytest.raises(ConfigError, match="names expectation 'expect_latest_value_to_be_magic', which is not registered"):
        get_context(project.root)
    result = CliRunner().invoke(main, ["--project", str(project.root), "check", "feed"])
    assert result.exit_code == 2
    assert "expect_latest_value_to_be_magic" in result.output
    # Nothing was saved back without it.
    assert "expect_latest_value_to_be_magic" in path.read_text()


def test_new_expectations_survive_a_file_context_and_a_fresh_process(project) -> None:
    from dataset_health.expectations import (
        ExpectColumnLatestValueToBeWithinSeasonalRange,
        ExpectTableLatestRowToNotBeAnomalous,
    )

    context = get_context(project.root)
    suite = context.suites.get(suite_name("feed"))
    added = [
        ExpectTableLatestRowToNotBeAnomalous(columns=["rows_created", "null_fraction__judge"], detector="pca"),
        ExpectColumnLatestValueToBeWithinSeasonalRange(column="rows_created", method="holt_winters", period=7),
    ]
    for expectation in added:
        suite.add_expectation(expectation)
    on_disk = {e["type"]: e["kwargs"] for e in json.loads(suite_file(project).read_text())["expectations"]}
    for expectation in added:
        assert set(expectation.success_keys) <= set(on_disk[expectation.expectation_type])
    script = (
        "import json, dataset_health\n"
        f"context = dataset_health.get_context({str(project.root)!r})\n"
        f"suite = context.suites.get({suite_name('feed')!r})\n"
        "print(json.dumps({e.expectation_type: e.configuration.to_json_dict()['kwargs'] for e in suite.expectations"
        " if 'seasonal' in e.expectation_type or 'latest_row' in e.expectation_type}))\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    loaded = json.loads(completed.stdout.strip().splitlines()[-1])
    assert loaded == {e.expectation_type: on_disk[e.expectation_type] for e in added}
    assert loaded["expect_table_latest_row_to_not_be_anomalous"]["columns"] == ["rows_created", "null_fraction__judge"]
    assert loaded["expect_column_latest_value_to_be_within_seasonal_range"]["period"] == 7


def test_a_template_multivariate_rule_keeps_the_columns_the_archive_has() -> None:
    from dataset_health.health_suite import template_expectations

    rule = {"type": "expect_table_latest_row_to_not_be_anomalous",
            "kwargs": {"columns": ["rows_created", "rows_updated", "null_fraction__*"]}}
    template = {"name": "t", "expectations": [rule]}
    [expectation] = template_expectations(
        ["update_id", "timestamp", "rows_created", "null_fraction__a", "null_fraction__b"], template
    )
    assert expectation.columns == ["rows_created", "null_fraction__a", "null_fraction__b"]
    # Fewer than two of its columns present: the rule is skipped, like a single-column rule.
    assert template_expectations(["update_id", "timestamp", "rows_created"], template) == []


def test_a_datasets_holiday_calendar_reaches_the_rules_that_take_one() -> None:
    from dataset_health.health_suite import load_template, template_expectations

    columns = ["update_id", "timestamp", "rows_created", "rows_deleted"]
    expectations = template_expectations(columns, load_template("dataset_health_default"), {"holidays": "us_federal"})
    by_type = {}
    for expectation in expectations:
        by_type.setdefault(expectation.expectation_type, []).append(expectation)
    anomalous = by_type["expect_column_latest_value_to_not_be_anomalous"]
    assert [e.holidays for e in anomalous] == ["us_federal", "us_federal"]
    # The schedule rule has no calendar parameter: it is left as it was.
    assert "holidays" not in by_type["expect_table_to_be_updated_on_schedule"][0].configuration.kwargs
    # A rule's own value wins over the dataset's.
    rule = {"type": "expect_column_latest_value_to_not_be_anomalous",
            "kwargs": {"column": "rows_created", "holidays": ["2024-12-24"]}}
    [own] = template_expectations(columns, {"name": "t", "expectations": [rule]}, {"holidays": "us_federal"})
    assert own.holidays == ["2024-12-24"]


def test_a_datasets_time_zone_reaches_every_detector_backed_rule() -> None:
    from dataset_health.health_suite import load_template, template_expectations

    columns = ["update_id", "timestamp", "rows_created", "rows_deleted"]
    expectations = template_expectations(columns, load_template("dataset_health_default"),
                                         {"timezone": "Europe/Paris"})
    judged = [e for e in expectations if "timezone" in type(e).__fields__]
    assert {e.expectation_type for e in judged} >= {"expect_column_latest_value_to_not_be_anomalous",
                                                    "expect_table_to_be_updated_on_schedule"}
    assert all(e.timezone == "Europe/Paris" for e in judged)
    assert all(e.configuration.kwargs["timezone"] == "Europe/Paris" for e in judged)  # stored in the suite


def test_a_bad_time_zone_setting_names_the_dataset_and_field(tmp_path: Path) -> None:
    from dataset_health.project import Project

    (tmp_path / "dataset_health.yml").write_text("datasets:\n  sales:\n    timezone: Paris\n")
    with pytest.raises(ConfigError, match=r"dataset 'sales': field 'timezone': unknown time zone 'Paris'"):
        Project.load(tmp_path)
    (tmp_path / "dataset_health.yml").write_text("datasets:\n  sales:\n    timezone: Europe/Paris\n")
    dataset = Project.load(tmp_path).dataset("sales")
    assert dataset.suite_defaults() == {"timezone": "Europe/Paris"}
    assert dataset.to_yaml()["timezone"] == "Europe/Paris"


def test_a_bad_holiday_setting_names_the_dataset_and_field(tmp_path: Path) -> None:
    from dataset_health.project import Project

    (tmp_path / "dataset_health.yml").write_text("datasets:\n  sales:\n    holidays: easter\n")
    with pytest.raises(ConfigError, match=r"dataset 'sales': field 'holidays' must be 'us_federal' or a list of dates"):
        Project.load(tmp_path)
    (tmp_path / "dataset_health.yml").write_text("datasets:\n  sales:\n    holidays: [2024-12-24, 2024-12-31]\n")
    assert Project.load(tmp_path).dataset("sales").holidays == ["2024-12-24", "2024-12-31"]


def _use_template(project, suite: str):
    from dataset_health.project import DatasetConfig, Project

    project.datasets["feed"] = DatasetConfig(name="feed", suite=suite)
    project.save()
    return Project.load(project.root)


def _rules(project) -> list[tuple[str, str | None, str | None]]:
    on_disk = json.loads(suite_file(project).read_text())
    return sorted((e["type"], e["kwargs"].get("column"), e["kwargs"].get("detector")) for e in on_disk["expectations"])


def test_a_template_file_replaces_the_suite_built_from_another_template(project) -> None:
    # As `compete --write-suite` writes one: the winner on each metric, plus the table checks.
    (project.root / "suites").mkdir()
    (project.root / "suites" / "winner.json").write_text(json.dumps({"name": "dataset_health_robust_z", "expectations": [
        {"type": "expect_column_latest_value_to_not_be_anomalous",
         "kwargs": {"column": "rows_created", "detector": "robust_z", "training_window": 28}},
        {"type": "expect_table_to_be_updated_on_schedule", "kwargs": {}},
    ]}))
    default_rules = _rules(project)
    store = ArchiveStore(project.archive_url)
    project = _use_template(project, "suites/winner.json")
    ensure_health_checkpoint(get_context(project.root), project, store, "feed")
    assert _rules(project) == [("expect_column_latest_value_to_not_be_anomalous", "rows_created", "robust_z"),
                               ("expect_table_to_be_updated_on_schedule", None, "robust_z")]
    assert json.loads(suite_file(project).read_text())["meta"]["dataset_health"]["template"] == "suites/winner.json"
    # The check runs the new suite (in a fresh process: from the files alone).
    result = CliRunner().invoke(main, ["--project", str(project.root), "check", "feed"])
    assert result.exit_code in (0, 1), result.output
    assert "rows_created" in result.output and "expect_table_to_be_updated_on_schedule" in result.output
    assert "null_fraction__judge" not in result.output

    project = _use_template(project, "dataset_health_default")
    ensure_health_checkpoint(get_context(project.root), project, store, "feed")
    assert _rules(project) == default_rules


def test_a_suite_without_a_recorded_template_is_kept_and_a_new_template_setting_warns(project, caplog) -> None:
    # A suite made by hand in GX, or by a version that did not record its template.
    on_disk = json.loads(suite_file(project).read_text())
    on_disk["meta"].pop("dataset_health")
    suite_file(project).write_text(json.dumps(on_disk))
    before = _rules(project)
    (project.root / "suites").mkdir()
    (project.root / "suites" / "winner.json").write_text(json.dumps({"expectations": [
        {"type": "expect_column_latest_value_to_not_be_anomalous", "kwargs": {"column": "rows_created", "detector": "robust_z"}}]}))
    project = _use_template(project, "suites/winner.json")
    with caplog.at_level("WARNING", logger="dataset_health.health_suite"):
        ensure_health_checkpoint(get_context(project.root), project, ArchiveStore(project.archive_url), "feed")
    assert _rules(project) == before
    [warning] = [r.getMessage() for r in caplog.records]
    assert warning.startswith("dataset 'feed': suite 'dataset_health__feed' records no template")
    assert "'suites/winner.json' only adds expectations" in warning and "delete the suite" in warning

    caplog.clear()
    project = _use_template(project, "dataset_health_default")
    with caplog.at_level("WARNING", logger="dataset_health.health_suite"):
        ensure_health_checkpoint(get_context(project.root), project, ArchiveStore(project.archive_url), "feed")
    assert caplog.records == []  # the default setting is no choice to warn about


@pytest.mark.parametrize(("content", "message"), [
    (None, "health suite template file 'suites/winner.json' not found"),
    ("{not json", "health suite template file 'suites/winner.json': not JSON"),
    ('{"expectations": [{"kwargs": {}}]}', "needs an 'expectations' list of rules, each with a 'type'"),
    ('{"expectations": []}', "template 'suites/winner.json' gives no expectation for an archive with columns"),
    ('{"expectations": [{"type": "expect_column_latest_value_to_not_be_anomalous", "kwargs": {"column": "nope_*"}}]}',
     "gives no expectation"),
    ('{"expectations": [{"type": "expect_column_latest_value_to_not_be_anomalous", '
     '"kwargs": {"column": "rows_created", "detector": "nope"}}]}',
     "column 'rows_created': unknown detector 'nope'"),
    ('{"expectations": [{"type": "expect_column_latest_value_to_not_be_anomalous", '
     '"kwargs": {"column": "rows_created", "detector": "consensus_z", "scale": "log"}}]}',
     "parameter 'scale' must be 'auto' or 'linear'"),
    ('{"expectations": [{"type": "expect_column_latest_value_to_not_be_anomalous", '
     '"kwargs": {"column": "rows_created", "sensitivity": -1}}]}', "sensitivity:"),
    ('{"expectations": [{"type": "expect_table_to_be_updated_on_schedule", "kwargs": [1]}]}',
     "'kwargs' must be a mapping"),
])
def test_a_bad_template_file_is_named_and_the_suite_stays(project, content: str | None, message: str) -> None:
    before = suite_file(project).read_text()
    if content is not None:
        (project.root / "suites").mkdir()
        (project.root / "suites" / "winner.json").write_text(content)
    project = _use_template(project, "suites/winner.json")
    result = CliRunner().invoke(main, ["--project", str(project.root), "check", "feed"])
    assert result.exit_code == 2 and message in result.output, result.output
    assert result.output.startswith("error: dataset 'feed': ")
    assert suite_file(project).read_text() == before


def test_a_new_winner_written_to_the_same_file_rebuilds_the_suite(project) -> None:
    store = ArchiveStore(project.archive_url)
    (project.root / "suites").mkdir()
    winner = project.root / "suites" / "winner.json"

    def write(detector: str) -> None:
        winner.write_text(json.dumps({"expectations": [{"type": "expect_column_latest_value_to_not_be_anomalous",
                                                        "kwargs": {"column": "rows_created", "detector": detector}}]}))

    write("robust_z")
    project = _use_template(project, "suites/winner.json")
    ensure_health_checkpoint(get_context(project.root), project, store, "feed")
    assert _rules(project) == [("expect_column_latest_value_to_not_be_anomalous", "rows_created", "robust_z")]
    write("zscore")
    project = _use_template(project, "./suites/winner.json")  # the same file, spelled another way
    ensure_health_checkpoint(get_context(project.root), project, store, "feed")
    assert _rules(project) == [("expect_column_latest_value_to_not_be_anomalous", "rows_created", "zscore")]
    # Unchanged file, same rules: the user's edits in GX stay.
    context = get_context(project.root)
    suite = context.suites.get(suite_name("feed"))
    suite.expectations[0].sensitivity = 6.0
    suite.expectations[0].save()
    ensure_health_checkpoint(get_context(project.root), project, store, "feed")
    assert json.loads(suite_file(project).read_text())["expectations"][0]["kwargs"]["sensitivity"] == 6.0
