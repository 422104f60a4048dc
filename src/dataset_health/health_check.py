"""The health check: a GX Checkpoint that runs a dataset's health suite over
its archive, stores the result and updates Data Docs.

Everything the checkpoint needs lives in the project's GX file context and is
created or refreshed here, so ``check`` works right after ``init`` and after
new archive columns appear:

    datasource  dataset_health_archive      (the archive database)
    asset       <dataset>                   (its archive table)
    suite       dataset_health__<dataset>   (from the suite template; yours once made)
    validation  dataset_health__<dataset>
    checkpoint  dataset_health__<dataset>   (actions: Data Docs, verdict
                                             write-back, health-history page,
                                             owner alerts)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import great_expectations as gx
import sqlalchemy as sa

from dataset_health.actions import AlertLog, DataDocsPagesAction, HealthHistoryPageAction, WriteVerdictAction
from dataset_health.actions.owners import owner_alert_actions
from dataset_health.archive.schema import slug
from dataset_health.archive.store import ArchiveStore
from dataset_health.archive.verdicts import EXPECTED, update_label
from dataset_health.check_all import EXIT_CODES
from dataset_health.context import get_context
from dataset_health.errors import DatasetHealthError
from dataset_health.gx_files import project_lock
from dataset_health.health_suite import ensure_configured_suite, suite_name
from dataset_health.outcomes import ExpectationOutcome, outcomes_from_checkpoint_result, tested_update_id
from dataset_health.project import ENV_ARCHIVE_URL, Project

ARCHIVE_DATASOURCE = "dataset_health_archive"
# A file name holds 255 bytes; GX adds the datasource name and a suffix.
_MAX_ASSET_NAME_BYTES = 120
BATCH_DEFINITION = "all_updates"


@dataclass(frozen=True)
class HealthCheckResult:
    """What one health check found."""

    dataset: str
    update_id: str | None
    success: bool
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    docs_index: Path | None = None
    alert_notes: list[str] = field(default_factory=list)
    delivery_notes: list[str] = field(default_factory=list)  # those of alert_notes about notices sent or failed
    label: str | None = None  # the owner's label on the judged update (incident, expected)

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def errors(self) -> list[ExpectationOutcome]:
        """The expectations that raised instead of judging."""
        return [o for o in self.outcomes if o.status == "error"]

    @property
    def status(self) -> str:
        """"healthy", "unhealthy" (an expectation judged the update bad) or "error" (none did,
        but some could not judge it: an update nobody judged is not known to be bad)."""
        if self.success:
            return "healthy"
        return "unhealthy" if len(self.errors) < len(self.failed) else "error"

    @property
    def exit_code(self) -> int:
        """0 healthy, 1 unhealthy, 2 not judged. An unhealthy update the owner
        labelled ``expected`` exits 0: its failures are known and wanted, so a
        scheduler re-running the check on it does not stay red."""
        return acknowledged_exit_code(self.status, self.label)


def acknowledged_exit_code(status: str, label: str | None) -> int:
    """A check's exit code from its status and the owner's label on the judged update."""
    return 0 if status == "unhealthy" and label == EXPECTED else EXIT_CODES[status]


def ensure_health_checkpoint(context: Any, project: Project, store: ArchiveStore, dataset: str) -> gx.Checkpoint:
    """Create or refresh the GX objects of ``dataset``'s health check.

    Each object is written only when it differs from what is stored: GX's
    add-or-update calls rewrite ``great_expectations.yml`` and the JSON files
    (some several times over) and test the database connection, which took
    a quarter of a warm check when nothing had changed.
    """
    table = store.table_name(dataset)  # ConfigError when the dataset has no archive
    archive_columns = list(store.history(dataset, last=1).columns)
    archive_url = _gx_connection_string(project)
    batch_definition = _archive_batch_definition(context, store.dialect, archive_url, asset_name(dataset), table)

    config = project.dataset(dataset)
    suite = ensure_configured_suite(context, dataset, archive_columns, config.suite, project.root,
                                    config.suite_defaults())
    name = suite_name(dataset)
    actions = [
        DataDocsPagesAction(name="update_data_docs"),
        WriteVerdictAction(name="write_verdict", dataset=dataset, archive_url=archive_url),
        HealthHistoryPageAction(
            name="health_history_page", dataset=dataset, archive_url=archive_url, owner=_owner_name(project, dataset)
        ),
        *owner_alert_actions(project, dataset, archive_url=archive_url),
    ]
    result_format = {"result_format": "SUMMARY"}
    stored = _stored_checkpoint(context, name)
    if stored is not None and _is_current(stored, actions, result_format, suite, batch_definition):
        return stored
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    return context.checkpoints.add_or_update(
        gx.Checkpoint(name=name, validation_definitions=[validation], actions=actions, result_format=result_format)
    )


def _archive_batch_definition(context: Any, dialect: str, url: str, asset: str, table: str) -> Any:
    """The whole-table batch definition of ``table`` in the archive datasource, made or fixed as needed."""
    kind, add_source = {
        "sqlite": ("sqlite", context.data_sources.add_or_update_sqlite),
        "postgresql": ("postgres", context.data_sources.add_or_update_postgres),
    }.get(dialect, ("sql", context.data_sources.add_or_update_sql))
    try:
        source = context.data_sources.get(ARCHIVE_DATASOURCE)
    except KeyError:
        source = None
    current = (
        source is not None and source.type == kind and _connection_string(source) == url
        and [(a.name, getattr(a, "table_name", None)) for a in source.assets] == [(asset, table)]
    )
    if current:
        table_asset = source.get_asset(asset)
    else:
        # The datasource holds only the asset being checked: with one asset
        # per dataset, great_expectations.yml (read by every check) would grow
        # with the project, and a thousand-dataset run would be quadratic.
        source = add_source(name=ARCHIVE_DATASOURCE, connection_string=url)
        table_asset = source.add_table_asset(name=asset, table_name=table)
    try:
        return table_asset.get_batch_definition(BATCH_DEFINITION)
    except KeyError:
        return table_asset.add_batch_definition_whole_table(BATCH_DEFINITION)


def _connection_string(source: Any) -> str:
    """A datasource's connection string as written in the config (``${VAR}`` unresolved)."""
    value = source.connection_string
    return str(getattr(value, "template_str", None) or value)


def _stored_checkpoint(context: Any, name: str) -> gx.Checkpoint | None:
    try:
        return context.checkpoints.get(name)
    except Exception:  # missing, or unreadable: rewritten below either way
        return None


def _is_current(stored: gx.Checkpoint, actions: list[Any], result_format: dict[str, str], suite: Any,
                batch_definition: Any) -> bool:
    """Whether the stored checkpoint already runs ``suite`` on ``batch_definition`` with ``actions``."""
    if len(stored.validation_definitions) != 1:
        return False
    validation = stored.validation_definitions[0]
    return (
        [action.dict() for action in stored.actions] == [action.dict() for action in actions]
        and stored.result_format == result_format
        and validation.suite.name == suite.name
        and validation.data.id == batch_definition.id
    )


def asset_name(dataset: str) -> str:
    """The GX asset of ``dataset``'s archive: its name, unless GX cannot store that.

    GX names validation-result files after the asset, so a name with a path
    separator, or too long for a file name, becomes its archive table's slug.
    """
    if "/" in dataset or "\\" in dataset or len(dataset.encode("utf-8")) > _MAX_ASSET_NAME_BYTES:
        return slug(dataset)
    return dataset


def run_health_check(project: Project, dataset: str) -> HealthCheckResult:
    """Run ``dataset``'s health checkpoint and summarise its verdicts.

    Safe to run from several processes at once: checks of one project take
    turns on its GX files (:func:`~dataset_health.gx_files.project_lock`),
    and while a check runs no new update of ``dataset`` is archived, so all
    its expectations judge the same newest update.
    """
    store = ArchiveStore(project.archive_url)
    with project_lock(project.gx_dir):
        context = get_context(project.root)
        try:
            checkpoint = ensure_health_checkpoint(context, project, store, dataset)
            with store.holding_updates(dataset):
                result = checkpoint.run()
        except DatasetHealthError:
            raise
        except Exception as exc:  # GX raises many types: one line and exit 2, not a traceback
            text = str(exc).strip()
            raise DatasetHealthError(
                f"dataset {dataset!r}: the GX health check failed: {type(exc).__name__}: "
                f"{text.splitlines()[0] if text else 'no message'}"
            ) from exc
    outcomes = outcomes_from_checkpoint_result(result)
    errors = [o for o in outcomes if o.status == "error"]
    if errors and len(errors) == len(outcomes):
        raise DatasetHealthError(f"dataset {dataset!r}: every expectation raised; first: {errors[0].reason}")
    run_id = result.run_id.run_time.isoformat()
    return HealthCheckResult(
        dataset=dataset,
        update_id=tested_update_id(outcomes),
        success=bool(result.success),
        outcomes=outcomes,
        docs_index=docs_index(context),
        alert_notes=AlertLog(store).notes(dataset, run_id=run_id),
        delivery_notes=AlertLog(store).notes(dataset, run_id=run_id, deliveries_only=True),
        label=update_label(store, dataset, tested_update_id(outcomes)),
    )


def docs_index(context: Any) -> Path | None:
    """The local Data Docs index.html, if the site is on disk."""
    for site in context.get_docs_sites_urls():
        url = site.get("site_url") or ""
        if url.startswith("file://"):
            return Path(url.removeprefix("file://"))
    return None


def _owner_name(project: Project, dataset: str) -> str:
    owner = project.dataset(dataset).owner or {}
    return str(owner.get("name") or "")


def _gx_connection_string(project: Project) -> str:
    # GX writes its connection string into great_expectations.yml and our
    # actions' into the checkpoint JSON. A URL that comes from a variable is
    # handed over as that ${VAR}, resolved by GX at run time, so a password
    # never lands in a file; DATASET_HEALTH_ARCHIVE_URL overrides the file.
    if os.environ.get(ENV_ARCHIVE_URL):
        url = project.archive_url  # SQLite paths made absolute: GX runs from another directory
        return url if sa.make_url(url).password is None else f"${{{ENV_ARCHIVE_URL}}}"
    if "${" in project.archive_url_template and not project.archive_url_template.startswith("sqlite"):
        return project.archive_url_template
    return project.archive_url
