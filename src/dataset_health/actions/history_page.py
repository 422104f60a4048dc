"""HealthHistoryPageAction: refresh the dataset's health-history page in Data Docs."""

from __future__ import annotations

from typing import Any, Literal, Optional

from great_expectations.checkpoint.actions import ActionContext, ValidationAction

from dataset_health.actions._context import local_docs_site, report_failure, substitute
from dataset_health.archive.store import ArchiveStore
from dataset_health.docs.history import render_history_site


class HealthHistoryPageAction(ValidationAction):
    """Rebuild ``dataset_health/<dataset>.html`` and the health index in the
    local Data Docs site. Place it after the verdict write-back so the page
    shows the check that just ran."""

    type: Literal["dataset_health_history_page"] = "dataset_health_history_page"
    dataset: str
    archive_url: str
    owner: str = ""

    def run(self, checkpoint_result: Any, action_context: Optional[ActionContext] = None) -> dict:
        try:
            site = local_docs_site()
            if site is None:
                return {"success": False, "error": "the project has no local Data Docs site"}
            store = ArchiveStore(substitute(self.archive_url))
            try:
                index = render_history_site(store, site, datasets=[self.dataset], owners={self.dataset: self.owner})
            finally:
                store.engine.dispose()
            return {"success": True, "index": str(index)}
        except Exception as exc:  # never abort the checkpoint: later actions must still run
            return report_failure(self.type, self.dataset, exc)
