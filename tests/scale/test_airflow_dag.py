"""The example Airflow 3 DAG: it parses, and ``dag.test()`` runs a real
health check against a local SQLite archive.

Runs only where Airflow is installed; .ci/run installs it into its own
virtualenv (.ci/airflow-venv) and sets DATASET_HEALTH_REQUIRE_AIRFLOW=1
there, which turns a missing Airflow into a failure instead of a skip.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

if importlib.util.find_spec("airflow") is None:
    if os.environ.get("DATASET_HEALTH_REQUIRE_AIRFLOW") == "1":
        pytest.fail("Airflow is not installed (DATASET_HEALTH_REQUIRE_AIRFLOW=1): pip install -e '.[airflow]'",
                    pytrace=False)
    pytest.skip("Airflow is not installed (pip install -e '.[airflow]')", allow_module_level=True)

EXAMPLE_DAG = Path(__file__).resolve().parents[2] / "src" / "dataset_health" / "airflow" / "example_dag.py"

# Airflow reads its settings when first imported: give it a home of its own,
# with a SQLite metadata database and a dags folder holding the example.
_HOME = Path(tempfile.mkdtemp(prefix="dh-airflow-home-"))
_DAGS = _HOME / "dags"
os.environ.update({
    "AIRFLOW_HOME": str(_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(_DAGS),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
})

from .conftest import make_project  # noqa: E402


@pytest.fixture(scope="module")
def airflow_project(tmp_path_factory: pytest.TempPathFactory):
    """A project with two configured datasets, the example DAG deployed as a
    user would (copied into the dags folder) and Airflow's database migrated."""
    _DAGS.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE_DAG, _DAGS / "dataset_health_dags.py")
    migrate = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True,
                             env=os.environ.copy(), timeout=300)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    project = make_project(tmp_path_factory.mktemp("airflow") / "p", datasets={"steady": "steady", "partial": "partial"},
                           configured=("steady", "partial"))
    previous = os.environ.get("DATASET_HEALTH_PROJECT")
    os.environ["DATASET_HEALTH_PROJECT"] = str(project.root)
    yield project
    if previous is None:
        os.environ.pop("DATASET_HEALTH_PROJECT", None)
    else:
        os.environ["DATASET_HEALTH_PROJECT"] = previous
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope="module")
def dagbag(airflow_project):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(_DAGS / "dataset_health_dags.py"))


def test_the_dag_file_parses_into_one_asset_scheduled_dag_per_dataset(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert sorted(dagbag.dags) == ["dataset_health__partial", "dataset_health__steady"]
    dag = dagbag.dags["dataset_health__steady"]
    assert "uri='dataset-health://updated/steady'" in repr(dag.timetable.asset_condition)
    (check,) = dag.tasks
    assert [asset.uri for asset in check.outlets] == ["dataset-health://healthy/steady"]


def _run(dagbag, name: str, conf: dict | None = None):
    dag = dagbag.dags[f"dataset_health__{name}"]
    for task in dag.tasks:
        task.retries = 0  # an error shows at once instead of after the retry delay
    return dag.test(run_conf=conf)


def test_dag_test_checks_a_healthy_update_and_stores_the_verdict(dagbag, airflow_project) -> None:
    from dataset_health.archive import ArchiveStore

    run = _run(dagbag, "steady")
    assert str(run.state) in ("success", "DagRunState.SUCCESS")
    newest = ArchiveStore(airflow_project.archive_url).history("steady", last=1).iloc[-1]
    assert (newest["update_id"], newest["health_status"]) == ("rev-00728", "healthy")


def test_dag_test_fails_the_task_on_an_unhealthy_update(dagbag, airflow_project) -> None:
    from dataset_health.archive import ArchiveStore

    run = _run(dagbag, "partial")
    assert str(run.state) in ("failed", "DagRunState.FAILED")
    assert {ti.task_id: str(ti.state) for ti in run.get_task_instances()}["check"] in ("failed", "TaskInstanceState.FAILED")
    newest = ArchiveStore(airflow_project.archive_url).history("partial", last=1).iloc[-1]
    assert (newest["update_id"], newest["health_status"]) == ("rev-00729", "unhealthy")


def test_a_manual_run_archives_the_update_given_in_its_conf(dagbag, airflow_project) -> None:
    from dataset_health.archive import ArchiveStore

    store = ArchiveStore(airflow_project.archive_url)
    previous = store.history("steady", last=1).iloc[-1]
    stamp = (previous["timestamp"] + pd.Timedelta(days=7)).isoformat()
    _run(dagbag, "steady", {"update": {"update_id": "manual-1", "timestamp": stamp, "rows_created": 21000}})
    newest = store.history("steady", last=1).iloc[-1]
    assert (newest["update_id"], newest["rows_created"]) == ("manual-1", 21000)
    assert newest["health_status"] in ("healthy", "unhealthy")  # checked, whatever the verdict
