"""The GX objects of a health check are written when they change, and only then."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dataset_health.archive.store import ArchiveStore
from dataset_health.context import get_context
from dataset_health.health_check import run_health_check
from dataset_health.init_project import init_project
from dataset_health.project import DatasetConfig, Project

DATASET = "court_filings"


def history(updates: int = 40) -> pd.DataFrame:
    days = pd.date_range("2024-01-01 06:00", periods=updates, freq="D")
    return pd.DataFrame({"update_id": [f"u{i:03d}" for i in range(updates)], "timestamp": days,
                         "rows_created": [1000 + (i % 7) * 10 for i in range(updates)], "column_count": 5})


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = init_project(tmp_path / "p", datasets=[DatasetConfig(name=DATASET)])
    store = ArchiveStore(project.archive_url)
    store.append(DATASET, history())
    store.engine.dispose()
    return project


def gx_config_files(project: Project) -> dict[Path, int]:
    """great_expectations.yml and the suite, validation definition and checkpoint files, with mtimes."""
    gx_dir = project.root / "gx"
    files = [gx_dir / "great_expectations.yml", *(p for p in gx_dir.rglob("*.json") if "uncommitted" not in p.parts)]
    return {p: p.stat().st_mtime_ns for p in files}


def test_a_repeated_check_rewrites_no_gx_file_and_judges_the_same(project: Project) -> None:
    first = run_health_check(project, DATASET)
    before = gx_config_files(project)
    assert len(before) == 4  # project file, suite, validation definition, checkpoint

    second = run_health_check(project, DATASET)

    assert gx_config_files(project) == before
    assert [(o.label, o.status) for o in second.outcomes] == [(o.label, o.status) for o in first.outcomes]


def test_a_new_owner_reaches_the_checkpoint_at_the_next_check(project: Project) -> None:
    run_health_check(project, DATASET)
    checkpoint = project.root / "gx" / "checkpoints" / f"dataset_health__{DATASET}.json"
    assert "dataset_health_not_alerted" in checkpoint.read_text()

    project.datasets[DATASET] = DatasetConfig(
        name=DATASET, owner={"name": "Ada Byron", "opted_in": True, "channels": [{"type": "webhook", "url": "${HOOK}", "secret": "${HOOK_SECRET}"}]})
    project.save()
    run_health_check(Project.load(project.root), DATASET)

    assert "dataset_health_webhook" in checkpoint.read_text()


def test_a_time_zone_set_after_the_suite_was_built_reaches_it_at_the_next_check(project: Project) -> None:
    import json

    run_health_check(project, DATASET)
    suite_file = project.root / "gx" / "expectations" / f"dataset_health__{DATASET}.json"

    def zones() -> set:
        return {e["kwargs"].get("timezone") for e in json.loads(suite_file.read_text())["expectations"]
                if "timezone" in e["kwargs"]}

    assert zones() == {None}
    project.datasets[DATASET] = DatasetConfig(name=DATASET, timezone="America/New_York")
    project.save()
    run_health_check(Project.load(project.root), DATASET)
    assert zones() == {"America/New_York"}
    before = gx_config_files(project)
    run_health_check(Project.load(project.root), DATASET)  # settings unchanged: nothing rewritten
    assert gx_config_files(project) == before
    project.datasets[DATASET] = DatasetConfig(name=DATASET, timezone="Europe/Paris")
    project.save()
    run_health_check(Project.load(project.root), DATASET)
    assert zones() == {"Europe/Paris"}


def test_a_moved_archive_and_a_wrong_table_are_repaired(project: Project, tmp_path: Path) -> None:
    run_health_check(project, DATASET)
    # The archive moves to another file, and someone points the asset at another table.
    for part in project.root.glob("archive.db*"):  # the database and its WAL files
        shutil.move(part, tmp_path / part.name.replace("archive", "moved"))
    config = yaml.safe_load((project.root / "dataset_health.yml").read_text())
    config["archive_url"] = f"sqlite:///{tmp_path / 'moved.db'}"
    (project.root / "dataset_health.yml").write_text(yaml.safe_dump(config))
    gx_file = project.root / "gx" / "great_expectations.yml"
    gx_file.write_text(gx_file.read_text().replace("table_name: dh_archive__court_filings", "table_name: elsewhere"))

    result = run_health_check(Project.load(project.root), DATASET)

    assert result.success and result.update_id == "u039"
    source = get_context(project.root).data_sources.get("dataset_health_archive")
    assert str(source.connection_string).endswith("moved.db")
    assert source.get_asset(DATASET).table_name == "dh_archive__court_filings"


def test_the_project_file_holds_one_archive_asset_however_many_datasets(project: Project) -> None:
    store = ArchiveStore(project.archive_url)
    for i in range(3):
        store.append(f"other_{i}", history())
    store.engine.dispose()
    for name in (DATASET, "other_0", "other_1", "other_2", DATASET):
        assert run_health_check(project, name).success
        assets = yaml.safe_load((project.root / "gx" / "great_expectations.yml").read_text())[
            "fluent_datasources"]["dataset_health_archive"]["assets"]
        # Every check reads this file: one asset per dataset would make a run over n datasets O(n^2).
        assert list(assets) == [name]


@pytest.mark.parametrize(("statuses", "verdict"), [
    (["pass", "pass"], "healthy"),
    (["fail", "error"], "unhealthy"),  # one expectation did judge the update bad
    (["pass", "error"], "error"),  # nobody found it bad, but one could not judge it
    (["insufficient_history", "error"], "error"),
])
def test_a_check_where_expectations_raised_but_none_failed_is_an_error_not_unhealthy(statuses, verdict) -> None:
    from dataset_health.health_check import HealthCheckResult
    from dataset_health.outcomes import ExpectationOutcome

    outcomes = [ExpectationOutcome("expect_column_latest_value_to_not_be_anomalous", f"m{i}", status in ("pass",
                "insufficient_history"), status, None, None, None, None, None, "why") for i, status in enumerate(statuses)]
    result = HealthCheckResult("feed", "u1", success=all(o.success for o in outcomes), outcomes=outcomes)
    assert result.status == verdict


def test_a_second_rule_of_one_type_on_one_metric_gets_a_name_of_its_own() -> None:
    from types import SimpleNamespace

    from dataset_health.actions.message import alert_key
    from dataset_health.outcomes import outcomes_from_checkpoint_result

    def result(column: str, success: bool) -> SimpleNamespace:
        config = SimpleNamespace(type="expect_column_latest_value_to_not_be_anomalous", kwargs={"column": column})
        return SimpleNamespace(expectation_config=config, success=success, exception_info={},
                               result={"details": {"status": "pass" if success else "fail", "reason": "r"}})

    run = SimpleNamespace(results=[result("rows_created", True), result("rows_created", False),
                                   result("rows_deleted", True)])
    outcomes = outcomes_from_checkpoint_result(SimpleNamespace(run_results={"run": run}))
    # Under one key, the stricter rule's failure and the default's pass overwrote each other in the alert log.
    assert [alert_key(o) for o in outcomes] == [
        "expect_column_latest_value_to_not_be_anomalous:rows_created",
        "expect_column_latest_value_to_not_be_anomalous#2:rows_created",
        "expect_column_latest_value_to_not_be_anomalous:rows_deleted",
    ]
