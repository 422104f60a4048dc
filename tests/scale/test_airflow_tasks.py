"""dataset_health.airflow.tasks: what the Airflow task does, tested without Airflow."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dataset_health.airflow.tasks import check_after_update
from dataset_health.archive import ArchiveStore
from dataset_health.errors import ConfigError

from .conftest import make_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    return make_project(tmp_path_factory.mktemp("airflow-tasks") / "p", datasets={"steady": "steady", "partial": "partial"})


def test_without_an_update_the_newest_archived_one_is_checked(project) -> None:
    healthy = check_after_update(project.root, "steady")
    assert healthy == {**healthy, "dataset": "steady", "update_id": "rev-00728", "healthy": True,
                       "failed": [], "reasons": [], "archived": False}
    unhealthy = check_after_update(project.root, "partial", {})
    assert unhealthy["healthy"] is False and "rows_created" in unhealthy["failed"]
    assert any("below the usual" in reason for reason in unhealthy["reasons"])
    assert unhealthy["docs_index"].endswith("index.html")


def test_reported_counts_are_archived_before_the_check(project) -> None:
    store = ArchiveStore(project.archive_url)
    newest = store.history("steady", last=1).iloc[-1]
    stamp = (pd.Timestamp(newest["timestamp"]) + pd.Timedelta(days=7)).isoformat()
    summary = check_after_update(project.root, "steady", {"update_id": "from-airflow", "timestamp": stamp,
                                                           "rows_created": "21,000", "rows_deleted": 0})
    assert summary["archived"] is True and summary["update_id"] == "from-airflow"
    row = store.history("steady", last=1).iloc[-1]
    assert (row["update_id"], row["rows_created"], row["rows_deleted"]) == ("from-airflow", 21000, 0)


def test_a_file_update_is_captured_with_gx(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", datasets={})
    data = tmp_path / "sales.csv"
    pd.DataFrame({"order_id": [1, 2, 3], "amount": [1.5, 2.5, None]}).to_csv(data, index=False)
    summary = check_after_update(project.root, "sales", {"file": str(data), "update_id": "u1",
                                                          "timestamp": "2024-06-03T06:00:00", "rows_created": 3})
    assert summary["archived"] is True and summary["update_id"] == "u1"
    row = ArchiveStore(project.archive_url).history("sales").iloc[-1]
    assert (row["row_count"], row["rows_created"]) == (3, 3)
    assert row["null_fraction__amount"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"rows": 3}, "unknown update field 'rows'"),
        ({"sql_url": "sqlite://"}, "needs 'table'"),
        ({"rows_created": 3}, "needs 'update_id' and 'timestamp'"),
    ],
)
def test_bad_update_descriptions_are_config_errors(project, update: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_after_update(project.root, "steady", update)
