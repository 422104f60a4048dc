"""dataset-health: catch silent failures in automatically updated datasets.

Importing this package registers its Great Expectations expectations,
metrics and checkpoint actions with GX. Load GX suites and checkpoints only
after that (``dataset_health.get_context()`` does it for you): GX silently
drops expectations whose class it does not know.
"""

from __future__ import annotations

import os

# GX posts usage analytics by default; this tool must run offline.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from dataset_health import expectations as _expectations  # noqa: E402,F401  (registers with GX)
from dataset_health.archive import ArchiveStore, export_csv, import_csv  # noqa: E402
from dataset_health.capture import capture_update, dataframe_batch, file_batch, sql_batch  # noqa: E402
from dataset_health.context import get_context  # noqa: E402
from dataset_health.errors import (  # noqa: E402
    ArchiveError,
    BadInputError,
    CaptureError,
    ConfigError,
    DatasetHealthError,
    SchemaError,
)
from dataset_health.project import Project  # noqa: E402

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
