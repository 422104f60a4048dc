"""`dataset-health check --all` and run_all_health_checks: every monitored
dataset, one error never stops the others, exit code 0/1/2, one index write."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder

from dataset_health.check_all import (
    ERROR,
    HEALTHY,
    UNHEALTHY,
    AllChecksResult,
    DatasetCheck,
    monitored_datasets,
    run_all_health_checks,
)
from dataset_health.cli import main
from dataset_health.docs import history as history_docs
from dataset_health.docs.offline import external_assets

from .conftest import make_project


def test_every_dataset_is_checked_and_an_error_does_not_stop_the_others(tmp_path: Path, monkeypatch) -> None:
    # "aaa_missing" is configured but was never archived: its check raises, and
    # it sorts first, so the others must run after it.
    project = make_project(tmp_path / "p", datasets={"steady": "steady", "partial": "partial"},
                           configured=("aaa_missing",))
    assert monitored_datasets(project) == ["aaa_missing", "partial", "steady"]
    summaries = []
    real_summary = history_docs._summary
    monkeypatch.setattr(history_docs, "_summary", lambda *a, **k: summaries.append(a[1]) or real_summary(*a, **k))
    gx_index_builds = []
    real_index_build = DefaultSiteIndexBuilder.build
    monkeypatch.setattr(DefaultSiteIndexBuilder, "build",
                        lambda self, *a, **k: gx_index_builds.append(k.get("build_index", True))
                        or real_index_build(self, *a, **k))

    result = run_all_health_checks(project)

    by_name = {c.dataset: c for c in result.checks}
    assert [c.dataset for c in result.checks] == ["aaa_missing", "partial", "steady"]
    assert by_name["aaa_missing"].status == ERROR
    assert "ConfigError" in by_name["aaa_missing"].error and "aaa_missing" in by_name["aaa_missing"].error
    assert by_name["partial"].status == UNHEALTHY and "rows_created" in by_name["partial"].failed
    assert by_name["steady"].status == HEALTHY and by_name["steady"].failed == ()
    assert result.exit_code == 2
    # The health index is written once at the end (one summary per archived
    # dataset), not after every check: that would be quadratic.
    assert sorted(summaries) == ["partial", "steady"]
    site = result.docs_index.parent / history_docs.SITE_FOLDER
    assert {p.name for p in site.iterdir()} >= {"index.html", "partial.html", "steady.html"}
    index = (site / "index.html").read_text()
    assert "partial" in index and "steady" in index
    # GX's index too: built once at the end, and it lists both checks.
    assert gx_index_builds.count(True) == 1
    gx_index = result.docs_index.read_text()
    assert "Dataset health history" in gx_index  # link from GX's index
    assert "dataset_health__partial" in gx_index and "dataset_health__steady" in gx_index
    assert external_assets(gx_index) == []  # the index built at the end loads local copies too

    table = result.table()
    assert table.splitlines()[0].split()[:3] == ["dataset", "status", "update"]
    assert table.index("aaa_missing") < table.index("partial") < table.index("steady")  # errors first
    assert table.rstrip().endswith("1 healthy, 1 unhealthy, 1 with errors")


@pytest.mark.parametrize(
    ("statuses", "code"),
    [((), 0), ((HEALTHY, HEALTHY), 0), ((HEALTHY, UNHEALTHY), 1), ((UNHEALTHY, ERROR, HEALTHY), 2), ((ERROR,), 2)],
)
def test_exit_code_is_the_worst_outcome(statuses: tuple[str, ...], code: int) -> None:
    result = AllChecksResult(checks=[DatasetCheck(f"d{i}", s) for i, s in enumerate(statuses)])
    assert result.exit_code == code


def test_cli_check_all_exit_codes_and_summary(tmp_path: Path) -> None:
    runner = CliRunner()
    project = make_project(tmp_path / "p", datasets={"steady": "steady"})

    healthy = runner.invoke(main, ["--project", str(project.root), "check", "--all", "--no-progress"])
    assert healthy.exit_code == 0, healthy.output
    assert "1 dataset in" in healthy.output and "1 healthy, 0 unhealthy, 0 with errors" in healthy.output
    assert "Data Docs:" in healthy.output

    from dataset_health.archive import ArchiveStore

    from .conftest import history

    ArchiveStore(project.archive_url).append("partial", history("partial"))
    unhealthy = runner.invoke(main, ["--project", str(project.root), "check", "--all", "--no-progress"])
    assert unhealthy.exit_code == 1, unhealthy.output
    assert "partial" in unhealthy.output and "unhealthy" in unhealthy.output


def test_an_unhealthy_update_labelled_expected_exits_zero_and_says_so(tmp_path: Path) -> None:
    runner = CliRunner()
    project = make_project(tmp_path / "p", datasets={"partial": "partial"})

    def check(*args: str):
        return runner.invoke(main, ["--project", str(project.root), "check", *args])

    first = check("partial")
    assert first.exit_code == 1 and "UNHEALTHY" in first.output and "labelled" not in first.output
    update = first.output.split("update ", 1)[1].split(":", 1)[0]

    runner.invoke(main, ["--project", str(project.root), "label", "partial", update, "--as", "expected"])
    known = check("partial")
    assert known.exit_code == 0, known.output
    assert f"update {update}: UNHEALTHY - labelled expected by the owner" in known.output
    assert "FAIL" in known.output  # the verdicts are still shown as judged
    every = check("--all", "--no-progress")
    assert every.exit_code == 0 and "unhealthy (labelled expected)" in every.output, every.output

    runner.invoke(main, ["--project", str(project.root), "label", "partial", update, "--as", "incident"])
    confirmed = check("partial")
    assert confirmed.exit_code == 1 and "labelled incident by the owner" in confirmed.output


def test_the_summary_lists_each_notice_sent_or_failed_under_the_table() -> None:
    failed = "owner_alert_webhook: alert failed (rows_created): HTTP 500; resend it with: dataset-health alerts retry b"
    result = AllChecksResult(checks=[DatasetCheck("a", HEALTHY), DatasetCheck("b", UNHEALTHY, failed=("rows_created",),
                                                                          deliveries=(failed,))])
    lines = result.table().splitlines()
    assert lines[-3:] == [f"Alerts: b: {failed}", "", "2 datasets in 0.0 s: 1 healthy, 1 unhealthy, 0 with errors"]
    assert "Alerts:" not in AllChecksResult(checks=[DatasetCheck("a", HEALTHY)]).table()


@pytest.mark.parametrize("args", [["check"], ["check", "steady", "--all"]], ids=["neither", "both"])
def test_cli_check_needs_a_dataset_or_all(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "dataset_health.yml").write_text("archive_url: sqlite:///archive.db\n")
    result = CliRunner().invoke(main, ["--project", str(tmp_path), *args])
    assert result.exit_code == 2
    assert "DATASET or --all" in result.output


def test_no_datasets_is_a_healthy_empty_run(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", datasets={})
    result = run_all_health_checks(project)
    assert result.checks == [] and result.exit_code == 0 and result.docs_index is None
