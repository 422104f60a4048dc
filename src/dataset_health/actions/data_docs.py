"""DataDocsPagesAction: GX's UpdateDataDocsAction, with the index left to the end of a ``check --all``."""

from __future__ import annotations

from typing import Literal

from great_expectations.checkpoint import UpdateDataDocsAction

from dataset_health.docs.history import index_pages_deferred


class DataDocsPagesAction(UpdateDataDocsAction):
    """Write the new validation page and the suite page, and GX's index page
    unless index pages are deferred (:func:`~dataset_health.docs.history.deferred_index_pages`).

    GX's index loads every suite and every listed validation result of the
    project, so a thousand checks each rebuilding it cost O(n^2); ``check
    --all`` builds it once after the last check. Later actions find this
    action's pages as they find UpdateDataDocsAction's (it is one).
    """

    type: Literal["dataset_health_update_data_docs"] = "dataset_health_update_data_docs"  # type: ignore[assignment]

    def _build_data_docs(self, site_names: list[str] | None = None, resource_identifiers: list | None = None) -> dict:
        return self._resolve_context().context.build_data_docs(
            site_names=site_names,
            resource_identifiers=resource_identifiers,
            dry_run=False,
            build_index=not index_pages_deferred(),
        )
