"""dataset-health: catch silent failures in automatically updated datasets.

Importing this package registers its Great Expectations expectations,
metrics and checkpoint actions with GX. Load GX suites and checkpoints only
after that (``dataset_health.get_context()`` does it for you): GX silently
drops expectations whose class it does not know.
"""

from __future__ import annotations

from dataset_health import expectations as _expectations  # noqa: F401  (registers with GX)
from dataset_health import actions as _actions  # noqa: F401  (registers the checkpoint actions with GX)
from dataset_health.archive import ArchiveStore, export_csv, import_csv
from dataset_health.capture import capture_update, dataframe_batch, file_batch, sql_batch
from dataset_health.context import get_context
from dataset_health.errors import (
    ArchiveError,
    BadInputError,
    CaptureError,
    ConfigError,
    DatasetHealthError,
    SchemaError,
)
from dataset_health.project import Project

__version__ = "0.1.0"

__all__ = [
    "ArchiveError",
    "ArchiveStore",
    "BadInputError",
    "CaptureError",
    "ConfigError",
    "DatasetHealthError",
    "Project",
    "SchemaError",
    "capture_update",
    "dataframe_batch",
    "export_csv",
    "file_batch",
    "get_context",
    "import_csv",
    "sql_batch",
    "__version__",
]
