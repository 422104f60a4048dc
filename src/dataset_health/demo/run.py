"""The demo: a complete health check on bundled sample history.

Two years of daily updates of a court-filings-like dataset (see
:mod:`dataset_health.demo.sample_history`) are archived to SQLite, and a real
GX checkpoint judges the newest update, a partial load.
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path

from dataset_health.archive.csvio import import_csv
from dataset_health.archive.store import ArchiveStore
from dataset_health.health_check import HealthCheckResult, run_health_check
from dataset_health.init_project import init_project
from dataset_health.project import DatasetConfig, Project
from dataset_health.replay import replay_verdicts

DEMO_DATASET = "court_filings"
DEMO_OWNER = {"name": "Demo Owner", "email": "owner@example.org", "opted_in": True}
HISTORY_FILE = "court_filings_history.csv"
REPLAYED_UPDATES = 120


def run_demo(directory: str | Path | None = None) -> tuple[Project, HealthCheckResult]:
    """Create a demo project in ``directory`` (default: a new temporary one) and check it."""
    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="dataset-health-demo-"))
    project = init_project(
        root,
        datasets=[
            DatasetConfig(
                name=DEMO_DATASET,
                owner=DEMO_OWNER,
                key_column="case_id",
                freshness_column="filed_at",
            )
        ],
    )
    store = ArchiveStore(project.archive_url)
    with resources.as_file(resources.files("dataset_health.demo") / HISTORY_FILE) as history:
        import_csv(store, DEMO_DATASET, history)
    # Judge the past few months as the suite would have, so the history page
    # shows a timeline and bands, then check the newest update for real.
    replay_verdicts(project, DEMO_DATASET, last=REPLAYED_UPDATES)
    return project, run_health_check(project, DEMO_DATASET)
