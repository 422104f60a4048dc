"""The update archive: schema, store and CSV exchange."""

from dataset_health.archive.csvio import export_csv, export_labels, import_csv, read_archive_csv
from dataset_health.archive.schema import (
    CAPTURED_AT,
    TIMESTAMP,
    UPDATE_ID,
    UpdateRecord,
    coerce_record,
    metric_column,
)
from dataset_health.archive.store import AppendResult, ArchiveStore

__all__ = [
    "CAPTURED_AT",
    "TIMESTAMP",
    "UPDATE_ID",
    "AppendResult",
    "ArchiveStore",
    "UpdateRecord",
    "coerce_record",
    "export_csv",
    "export_labels",
    "import_csv",
    "metric_column",
    "read_archive_csv",
]
