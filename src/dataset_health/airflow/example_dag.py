"""Airflow 3: run a dataset's health check each time an update of it finishes.

Copy this file into your dags folder (it imports nothing from dataset_health
at parse time, so parsing stays fast: GX is imported only when a task runs).
For every dataset in the project's ``dataset_health.yml`` it defines one DAG,
``dataset_health__<dataset>``, scheduled on the asset ``updated_asset(dataset)``:

    your ETL task                          dataset_health__<dataset>
    outlets=[updated_asset("sales")]  -->  check: archive the update, run the GX
    (extra: update_id, counts, file...)    health checkpoint; fails when unhealthy
                                             |  outlets=[healthy_asset("sales")]
                                             v
                                           reports scheduled on healthy_asset("sales")

In the producer, describe the update in the asset event's extra::

    from airflow.sdk import Metadata, task

    @task(outlets=[updated_asset("sales")])
    def load_sales():
        ...
        yield Metadata(updated_asset("sales"), {"update_id": run_id, "timestamp": now,
                                                 "rows_created": 24847, "file": "/data/sales.parquet"})

(see ``dataset_health.airflow.tasks`` for the keys). A manual run takes the same
mapping as ``--conf '{"update": {...}}'``; with nothing, the newest archived
update is checked. An unhealthy update fails the task without retries, so the
owner is told the Airflow way and DAGs scheduled on ``healthy_asset`` do not
run on bad data; a bad configuration also fails at once, while other errors
(the archive database down) are retried.

Settings, from the environment of the Airflow workers:
``DATASET_HEALTH_PROJECT`` (the project directory).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from airflow.sdk import DAG, Asset, get_current_context, task

try:
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # Airflow 3.0 keeps it in airflow.exceptions only
    from airflow.exceptions import AirflowFailException

PROJECT_DIR = Path(os.environ.get("DATASET_HEALTH_PROJECT", "/opt/airflow/dataset-health"))
ASSET_SCHEME = "dataset-health"


def updated_asset(dataset: str) -> Asset:
    """The asset a producer emits when it finished an update of ``dataset``."""
    return Asset(name=f"{dataset} updated", uri=f"{ASSET_SCHEME}://updated/{dataset}", group="dataset-health")


def healthy_asset(dataset: str) -> Asset:
    """The asset emitted when an update of ``dataset`` passed its health check."""
    return Asset(name=f"{dataset} healthy", uri=f"{ASSET_SCHEME}://healthy/{dataset}", group="dataset-health")


def monitored_datasets(project_dir: Path = PROJECT_DIR) -> list[str]:
    """Datasets named in the project file, read without importing GX."""
    config = project_dir / "dataset_health.yml"
    if not config.is_file():
        return []
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    return sorted(str(name) for name in (data.get("datasets") or {}))


def health_check_dag(dataset: str, project_dir: Path = PROJECT_DIR) -> DAG:
    """The DAG that checks ``dataset`` after each finished update."""
    with DAG(
        dag_id=f"dataset_health__{_dag_id_part(dataset)}",
        description=f"Health check of {dataset} after each update (dataset-health)",
        schedule=[updated_asset(dataset)],
        start_date=datetime(2024, 1, 1),
        catchup=False,
        max_active_runs=1,  # checks of one dataset in update order
        default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
        tags=["dataset-health"],
    ) as dag:

        @task(task_id="check", outlets=[healthy_asset(dataset)])
        def check() -> dict[str, Any]:
            from dataset_health.airflow.tasks import check_after_update
            from dataset_health.errors import BadInputError, ConfigError

            update = _update_from_context(get_current_context(), updated_asset(dataset))
            try:
                summary = check_after_update(project_dir, dataset, update)
            except (ConfigError, BadInputError) as exc:  # retrying cannot fix these
                raise AirflowFailException(str(exc)) from exc
            if not summary["healthy"]:
                raise AirflowFailException(
                    f"{dataset}, update {summary['update_id']}: UNHEALTHY: " + "; ".join(summary["reasons"])
                )
            return summary

        check()
    return dag


def _update_from_context(context: Any, asset: Asset) -> dict[str, Any]:
    """The newest triggering asset event's extra, else the run's ``update`` conf."""
    events = context.get("triggering_asset_events") or {}
    try:
        triggered = list(events[asset]) if asset in events else []
    except (KeyError, TypeError):
        triggered = []
    if triggered:
        return dict(triggered[-1].extra or {})
    dag_run = context.get("dag_run")
    conf = (getattr(dag_run, "conf", None) or {}) if dag_run is not None else {}
    return dict(conf.get("update") or {})


def _dag_id_part(dataset: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in dataset)


for _dataset in monitored_datasets():
    globals()[f"dataset_health__{_dag_id_part(_dataset)}"] = health_check_dag(_dataset)
