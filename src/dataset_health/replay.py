"""Replay: what the health suite would have said about past updates.

A new user imports months of history and runs one check; the history page
would then show a single verdict. Replaying judges each of the last N
updates with the dataset's health suite, walk-forward (update t sees only
updates before it), and stores those verdicts as if a check had run after
each one. It uses the expectations' own ``judge_series``, so a replayed
verdict is exactly what the checkpoint would have said.
"""

from __future__ import annotations

from typing import Any

from tqdm import tqdm

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID
from dataset_health.archive.store import ArchiveStore
from dataset_health.archive.verdicts import LABEL, record_verdicts
from dataset_health.context import get_context
from dataset_health.gx_files import project_lock
from dataset_health.health_suite import ensure_configured_suite
from dataset_health.project import Project


def replay_verdicts(project: Project, dataset: str, *, last: int = 90, progress: bool = False) -> int:
    """Judge and record the newest ``last`` updates of ``dataset``; return how many."""
    store = ArchiveStore(project.archive_url)
    history = store.history(dataset)
    with project_lock(project.gx_dir):  # the suite may be created or widened: one GX writer at a time
        context = get_context(project.root)
        config = project.dataset(dataset)
        suite = ensure_configured_suite(context, dataset, list(history.columns), config.suite, project.root,
                                        config.suite_defaults())
    judges = [e for e in suite.expectations if hasattr(e, "judge_series")]
    labels = history[LABEL].where(history[LABEL].notna(), None) if LABEL in history else [None] * len(history)
    series = {
        e.column: [list(row) for row in zip(history[UPDATE_ID], history[TIMESTAMP], history[e.column], labels)]
        for e in judges
    }
    start = max(0, len(history) - last)
    replayed: dict[str, list[dict[str, Any]]] = {}
    for position in tqdm(range(start, len(history)), desc=f"replaying {dataset}", disable=not progress):
        outcomes = replayed.setdefault(history[UPDATE_ID].iloc[position], [])
        for expectation in judges:
            success, details = expectation.judge_series(series[expectation.column][: position + 1])
            outcomes.append({
                **details,
                "expectation": expectation.expectation_type,
                "metric": expectation.column,
                "success": success,
                "status": details.get("status") or ("pass" if success else "fail"),
            })
    record_verdicts(store, dataset, replayed)
    return len(replayed)
