"""What an orchestrator's task does once an update of a dataset finished.

The update's producer describes it in a small mapping (Airflow: the extra of
the asset event it emits). :func:`check_after_update` archives that update
when the mapping says where the data is or what the update did, then runs
the dataset's health check and returns a JSON-safe summary for XCom.

Keys of ``update`` (all optional):

    update_id, timestamp                    the update's id and publish time
    rows_created, rows_updated, rows_deleted   counts the source reports
    file                                    CSV/Parquet holding the data after the update
    sql_url, table, schema                  or the SQL table holding it

With ``file`` or ``sql_url`` the data is profiled with GX (``capture``);
with only counts, they are archived as they are; with nothing, the newest
archived update is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dataset_health.errors import ConfigError, DatasetHealthError

UPDATE_KEYS = frozenset(
    {"update_id", "timestamp", "rows_created", "rows_updated", "rows_deleted", "file", "sql_url", "table", "schema"}
)
_COUNTS = ("rows_created", "rows_updated", "rows_deleted")


def check_after_update(project_dir: str | Path, dataset: str, update: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Archive ``update`` of ``dataset`` (if it says anything), check it, summarise.

    Returns ``{"dataset", "update_id", "healthy", "failed", "reasons",
    "docs_index", "archived", "label"}`` (``label``: the owner's label on the
    update, ``expected`` when its failures are known and wanted). Raises :class:`~dataset_health.errors.DatasetHealthError`
    when the update cannot be archived or the check cannot run.
    """
    from dataset_health.health_check import run_health_check
    from dataset_health.project import Project

    update = dict(update or {})
    unknown = sorted(set(update) - UPDATE_KEYS)
    if unknown:
        raise ConfigError(f"dataset {dataset!r}: unknown update field {unknown[0]!r}; expected {', '.join(sorted(UPDATE_KEYS))}")
    project = Project.load(project_dir)
    archived = _archive(project, dataset, update)
    result = run_health_check(project, dataset)
    if result.status == "error":  # not judged: a task failure Airflow retries, not a verdict
        first = result.errors[0]
        raise DatasetHealthError(f"dataset {dataset!r}: update {result.update_id!r} was not judged: "
                                 f"{len(result.errors)} expectations raised; first: {first.label}: {first.reason}")
    return {
        "dataset": dataset,
        "update_id": result.update_id,
        "healthy": bool(result.success),
        "failed": [o.label for o in result.failed],
        "reasons": [o.reason for o in result.failed],
        "docs_index": str(result.docs_index) if result.docs_index else None,
        "archived": archived,
        "label": result.label,
    }


def _archive(project: Any, dataset: str, update: dict[str, Any]) -> bool:
    from dataset_health.archive.store import ArchiveStore
    from dataset_health.capture import capture_update, file_batch, sql_batch

    counts = {k: update[k] for k in _COUNTS if update.get(k) is not None}
    store = ArchiveStore(project.archive_url)
    try:
        if update.get("file") or update.get("sql_url"):
            if update.get("sql_url") and not update.get("table"):
                raise ConfigError(f"dataset {dataset!r}: an update with 'sql_url' needs 'table'")
            batch = (file_batch(update["file"], dataset=dataset) if update.get("file")
                     else sql_batch(update["sql_url"], update["table"], dataset=dataset, schema=update.get("schema")))
            settings = project.dataset(dataset)
            capture_update(store, dataset, batch, update_id=update.get("update_id"), timestamp=update.get("timestamp"),
                           counts=counts, key_column=settings.key_column, freshness_column=settings.freshness_column)
            return True
        if counts or update.get("update_id"):
            if not update.get("update_id") or not update.get("timestamp"):
                raise ConfigError(f"dataset {dataset!r}: an update without data needs 'update_id' and 'timestamp'")
            store.append(dataset, [{"update_id": update["update_id"], "timestamp": update["timestamp"], **counts}])
            return True
        return False
    finally:
        store.engine.dispose()
