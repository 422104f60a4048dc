"""Build a project's Data Docs site outside a check: GX's pages, the health pages, offline.

``check --all`` defers the two index pages until its last check
(:func:`write_index_pages`); ``dataset-health docs build`` rebuilds the whole
site (:func:`build_site`), as after deleting it, changing GX's site settings
or building it with GX alone (whose pages then load from CDNs again).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from dataset_health.actions.data_docs import offline_local_sites
from dataset_health.archive.store import ArchiveStore
from dataset_health.context import get_context
from dataset_health.docs.history import render_history_site
from dataset_health.gx_files import project_lock
from dataset_health.project import Project


def build_site(project: Project) -> Path | None:
    """Rebuild every page: each suite and stored validation result, each archived
    dataset's health page and both indexes. Returns the local index, if any."""
    return _build(project, resource_identifiers=None, datasets=None)


def write_index_pages(project: Project, last_checked: str) -> Path | None:
    """Write GX's index and the health index once, after the per-check rebuilds were deferred."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    from dataset_health.health_suite import suite_name

    # GX builds its index together with pages; naming one existing
    # page (re-rendered, cheap) keeps it from rebuilding all of them.
    return _build(project, resource_identifiers=[ExpectationSuiteIdentifier(name=suite_name(last_checked))],
                  datasets=[])


def owner_names(project: Project) -> dict[str, str]:
    return {name: str((ds.owner or {}).get("name") or "") for name, ds in project.datasets.items()}


def _build(project: Project, *, resource_identifiers: list[Any] | None, datasets: list[str] | None) -> Path | None:
    # health_check builds checkpoints out of the actions, which import the docs package.
    from dataset_health.health_check import docs_index

    store = ArchiveStore(project.archive_url)
    try:
        with project_lock(project.gx_dir):
            context = get_context(project.root)
            started = time.time()
            sites = context.build_data_docs(resource_identifiers=resource_identifiers)
            offline_local_sites(sites, since=started)
            index = docs_index(context)
            if index is not None and index.parent.is_dir():
                render_history_site(store, index.parent, datasets=datasets, owners=owner_names(project))
    finally:
        store.engine.dispose()
    return index
