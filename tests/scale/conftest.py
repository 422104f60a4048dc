"""Projects with several monitored datasets, for the scale tests.

``make_project(root, archive_url, datasets={...})`` creates a project whose
archive holds, per dataset, a year of daily updates cut from the bundled
demo history: ``"steady"`` ends on an ordinary update (healthy), ``"partial"``
ends on the demo's partial load (unhealthy).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import pandas as pd

from dataset_health.archive import ArchiveStore
from dataset_health.init_project import init_project
from dataset_health.project import DatasetConfig, Project

HISTORY_DAYS = 366


def demo_history() -> pd.DataFrame:
    with resources.as_file(resources.files("dataset_health.demo") / "court_filings_history.csv") as path:
        return pd.read_csv(path)


def history(kind: str) -> pd.DataFrame:
    """A year of daily updates ending healthy ("steady") or on a partial load ("partial")."""
    frame = demo_history()
    if kind == "steady":
        return frame.iloc[-HISTORY_DAYS - 1 : -1].reset_index(drop=True)
    if kind == "partial":
        return frame.iloc[-HISTORY_DAYS:].reset_index(drop=True)
    raise ValueError(f"kind must be 'steady' or 'partial', got {kind!r}")


def make_project(
    root: Path,
    archive_url: str | None = None,
    *,
    datasets: Mapping[str, str],
    configured: tuple[str, ...] = (),
) -> Project:
    """A project at ``root`` whose archive holds ``datasets`` (name -> kind);
    ``configured`` names datasets written into dataset_health.yml."""
    project = init_project(
        root,
        archive_url=archive_url or "sqlite:///archive.db",
        datasets=[DatasetConfig(name=name) for name in configured],
    )
    store = ArchiveStore(project.archive_url)
    try:
        for name, kind in datasets.items():
            store.append(name, history(kind))
    finally:
        store.engine.dispose()
    return project
