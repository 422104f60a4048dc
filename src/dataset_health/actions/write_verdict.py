"""WriteVerdictAction: store the health check's verdicts in the archive."""

from __future__ import annotations

from typing import Any, Literal, Optional

from great_expectations.checkpoint.actions import ActionContext, ValidationAction

from dataset_health.actions._context import report_failure, substitute
from dataset_health.archive.store import ArchiveStore
from dataset_health.archive.verdicts import record_verdicts
from dataset_health.outcomes import outcomes_from_checkpoint_result, tested_update_id


class WriteVerdictAction(ValidationAction):
    """Write each expectation's verdict to ``dh_verdicts`` and a summary
    (status, failed metrics, time) onto the tested update's archive row.

    ``archive_url`` may name ``${VARS}``; they are resolved at run time.
    """

    type: Literal["dataset_health_write_verdict"] = "dataset_health_write_verdict"
    dataset: str
    archive_url: str

    def run(self, checkpoint_result: Any, action_context: Optional[ActionContext] = None) -> dict:
        try:
            outcomes = outcomes_from_checkpoint_result(checkpoint_result)
            update_id = tested_update_id(outcomes)
            if update_id is None:
                return {"success": False, "error": "no expectation reported which update it judged"}
            store = ArchiveStore(substitute(self.archive_url))
            try:
                record_verdicts(store, self.dataset, {update_id: [o.to_dict() for o in outcomes]})
            finally:
                store.engine.dispose()
            return {"success": True, "update_id": update_id, "verdicts": len(outcomes)}
        except Exception as exc:  # never abort the checkpoint: later actions must still run
            return report_failure(self.type, self.dataset, exc)
