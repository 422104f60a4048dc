"""Upgrades: what release 0.1 wrote still loads and gives the same verdicts.

The fixture (``fixtures/upgrade_v0_1``, written by ``make_fixture.py``
beside it) is an archive database, a health suite and the verdicts that
release gave. A later release must read the archive as it was written
(values, labels, stored verdicts), load the suite with every expectation
and every parameter (GX drops unknown expectation types silently, and a
changed default would silently change an old suite), and judge the same
update the same way.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd

from dataset_health.archive import ArchiveStore
from dataset_health.archive.verdicts import HEALTH_STATUS, LABEL, read_verdicts
from dataset_health.context import get_context
from dataset_health.health_check import run_health_check
from dataset_health.health_suite import suite_name
from dataset_health.init_project import init_project
from dataset_health.project import DatasetConfig

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "upgrade_v0_1"

# Parameters added since v0.1, with the value that keeps v0.1's behaviour. A
# new parameter must default to the old behaviour; list it here when adding one.
# (scale: None is the detector's own default; v0.1 suites name robust_z, whose
# default is unchanged. Suites naming consensus_z pick up its scales.)
ADDED_SINCE_V0_1 = {
    "expect_column_latest_value_to_not_be_anomalous": {"holidays": None, "scale": None, "timezone": None},
    "expect_column_latest_value_to_be_within_seasonal_range": {"timezone": None},
    "expect_table_latest_row_to_not_be_anomalous": {"timezone": None},
    "expect_table_to_be_updated_on_schedule": {"timezone": None},
}


def _upgraded(expectation: dict) -> tuple[str, dict]:
    """How a v0.1 suite entry reads today: its own parameters, plus the added ones at their defaults
    (and the schema check reads labels too, to skip incidents)."""
    kwargs = {**ADDED_SINCE_V0_1.get(expectation["type"], {}), **expectation["kwargs"]}
    if expectation["type"] == "expect_table_schema_to_match_previous_update":
        kwargs["columns"] = [*kwargs["columns"], "label"]
    return expectation["type"], kwargs


def test_a_v0_1_archive_and_suite_load_and_give_the_same_verdicts(tmp_path: Path) -> None:
    expected = json.loads((FIXTURE / "expected_verdicts.json").read_text(encoding="utf-8"))
    dataset = expected["dataset"]
    project = init_project(tmp_path / "project", datasets=[DatasetConfig(name=dataset)])
    shutil.copyfile(FIXTURE / "archive.sqlite", tmp_path / "project" / "archive.db")  # *.db is git-ignored
    suite_file = project.gx_dir / "expectations" / f"{suite_name(dataset)}.json"
    shutil.copyfile(FIXTURE / "suite.json", suite_file)
    stored_suite = json.loads(suite_file.read_text(encoding="utf-8"))

    # The archive reads back as it was written.
    store = ArchiveStore(project.archive_url)
    history = store.history(dataset)
    written = pd.read_csv(FIXTURE / "archive.csv")
    assert history["update_id"].tolist() == written["update_id"].tolist()
    for column in written.columns.drop(["update_id", "timestamp"]):
        for got, want in zip(history[column], written[column]):
            assert (got is None and math.isnan(want)) or math.isclose(got, want), column
    assert (history[LABEL] == "incident").sum() == 1
    assert history[HEALTH_STATUS].notna().sum() == 1
    assert len(read_verdicts(store, dataset)) == len(expected["verdicts"])

    # The suite loads whole: every expectation, every parameter as written,
    # and the parameters added since at the values that keep the old behaviour.
    suite = get_context(project.root).suites.get(suite_name(dataset))
    loaded = [(e.expectation_type, json.loads(json.dumps(e.configuration.kwargs))) for e in suite.expectations]
    assert loaded == [_upgraded(e) for e in stored_suite["expectations"]]

    # And judges the same update the same way.
    result = run_health_check(project, dataset)
    assert result.update_id == expected["update_id"] and result.success == expected["success"]
    got = [{"expectation": o.expectation, "metric": o.metric, "status": o.status, "success": o.success}
           for o in result.outcomes]
    assert got == expected["verdicts"]
    rewritten = json.loads(suite_file.read_text(encoding="utf-8"))["expectations"]
    assert [(e["type"], e["kwargs"]) for e in rewritten] == [_upgraded(e) for e in stored_suite["expectations"]]
    store.engine.dispose()
