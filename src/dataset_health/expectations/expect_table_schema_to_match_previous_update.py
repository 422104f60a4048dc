"""ExpectTableSchemaToMatchPreviousUpdate: no column added, removed or retyped."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Tuple

from great_expectations.compatibility import pydantic
from great_expectations.expectations.expectation import BatchExpectation

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID
from dataset_health.archive.verdicts import INCIDENT, LABEL
from dataset_health.errors import BadInputError
from dataset_health.expectations._shared import ArchiveExpectation
from dataset_health.expectations.metrics import ARCHIVE_ROWS
from dataset_health.schema_diff import compare_schemas

SCHEMA_COLUMN = "schema"
ALLOW_DESCRIPTION = "'none': any change fails; 'additions': new columns pass, removals and type changes fail."
TIMESTAMP_COLUMN_DESCRIPTION = "Archive column holding each update's time; it orders the history."
UPDATE_ID_COLUMN_DESCRIPTION = "Archive column holding each update's id."


class ExpectTableSchemaToMatchPreviousUpdate(ArchiveExpectation, BatchExpectation):
    """Expect the newest update to keep the monitored dataset's schema.

    The batch is an archive whose ``schema`` column was captured from the
    data. Passing: the newest schema equals the previous one. Failing: the
    newest update dropped ``judge_name`` or turned ``filed_at`` into text.

    Args:
        allow: {ALLOW_DESCRIPTION}
        timestamp_column: {TIMESTAMP_COLUMN_DESCRIPTION}
        update_id_column: {UPDATE_ID_COLUMN_DESCRIPTION}
    """

    allow: Literal["none", "additions"] = pydantic.Field(default="none", description=ALLOW_DESCRIPTION)
    timestamp_column: str = pydantic.Field(default=TIMESTAMP, description=TIMESTAMP_COLUMN_DESCRIPTION)
    update_id_column: str = pydantic.Field(default=UPDATE_ID, description=UPDATE_ID_COLUMN_DESCRIPTION)
    columns: Tuple[str, ...] = (SCHEMA_COLUMN, LABEL)

    @pydantic.validator("columns", allow_reuse=True)
    def _reads_labels(cls, columns: Tuple[str, ...]) -> Tuple[str, ...]:
        # A suite saved before labels were read asks for the schema alone.
        return tuple(dict.fromkeys((*columns, LABEL)))

    metric_dependencies: ClassVar[Tuple[str, ...]] = (ARCHIVE_ROWS,)
    success_keys: ClassVar[Tuple[str, ...]] = ("allow", "timestamp_column", "update_id_column", "columns")

    prescriptive_template: ClassVar[str] = (
        "The newest update must keep the columns and types of the previous update (allowed changes: $allow)."
    )

    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["dataset-health", "schema", "archive"],
        "contributors": ["dataset-health"],
    }

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: Any = None) -> dict:
        rows = [r for r in metrics[ARCHIVE_ROWS] if r.get(SCHEMA_COLUMN)]
        # An update labelled incident is no schema to keep: the one after a broken
        # load is compared with the last good one (the newest is judged whatever its label).
        rows = [r for r in rows[:-1] if r.get(LABEL) != INCIDENT] + rows[-1:]
        if len(rows) < 2:
            details = {"status": "insufficient_history", "history_size": len(rows), "detector": "schema_diff",
                       "reason": "fewer than two updates have a captured schema"}
            return {"success": True, "result": {"observed_value": None, "details": details}}
        previous, newest = rows[-2], rows[-1]
        try:
            change = compare_schemas(previous[SCHEMA_COLUMN], newest[SCHEMA_COLUMN])
        except BadInputError as exc:
            details = {"status": "error", "reason": str(exc), "update_id": newest[UPDATE_ID]}
            return {"success": False, "result": {"observed_value": None, "details": details}}
        breaking = change.removed or change.retyped or (change.added and self.allow == "none")
        reason = (
            f"update {newest[UPDATE_ID]} {change.describe()} since update {previous[UPDATE_ID]}"
            if change.changed
            else f"update {newest[UPDATE_ID]} has the schema of update {previous[UPDATE_ID]}"
        )
        details = {
            "status": "fail" if breaking else "pass",
            "observed": change.describe(),
            "added": change.added,
            "removed": change.removed,
            "retyped": {c: list(t) for c, t in change.retyped.items()},
            "history_size": len(rows) - 1,
            "detector": "schema_diff",
            "reason": reason,
            "update_id": newest[UPDATE_ID],
            "update_timestamp": newest[TIMESTAMP],
        }
        return {"success": not breaking, "result": {"observed_value": change.describe(), "details": details}}


ExpectTableSchemaToMatchPreviousUpdate.__doc__ = (ExpectTableSchemaToMatchPreviousUpdate.__doc__ or "").format(
    **{name: value for name, value in globals().items() if name.endswith("_DESCRIPTION")}
)
