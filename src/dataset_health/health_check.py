"""The health check: a GX Checkpoint that runs a dataset's health suite over
its archive, stores the result and updates Data Docs.

Everything the checkpoint needs lives in the project's GX file context and is
created or refreshed here, so ``check`` works right after ``init`` and after
new archive columns appear:

    datasource  dataset_health_archive      (the archive database)
    asset       <dataset>                   (its archive table)
    suite       dataset_health__<dataset>   (built from the suite template)
    validation  dataset_health__<dataset>
    checkpoint  dataset_health__<dataset>   (actions: Data Docs)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.checkpoint import UpdateDataDocsAction

from dataset_health.archive.store import ArchiveStore
from dataset_health.context import get_context
from dataset_health.errors import DatasetHealthError
from dataset_health.health_suite import build_health_suite, load_template, suite_name
from dataset_health.project import Project

ARCHIVE_DATASOURCE = "dataset_health_archive"
BATCH_DEFINITION = "all_updates"


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict, flattened for terminals and alerts."""

    expectation: str
    column: str | None
    success: bool
    status: str
    observed: Any
    expected: Any
    lower: Any
    upper: Any
    score: Any
    reason: str


@dataclass(frozen=True)
class HealthCheckResult:
    """What one health check found."""

    dataset: str
    update_id: str | None
    success: bool
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    docs_index: Path | None = None

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]


def ensure_health_checkpoint(context: Any, project: Project, store: ArchiveStore, dataset: str) -> gx.Checkpoint:
    """Create or refresh the GX objects of ``dataset``'s health check."""
    table = store.table_name(dataset)  # ConfigError when the dataset has no archive
    archive_columns = list(store.history(dataset, last=1).columns)
    add_source = {
        "sqlite": context.data_sources.add_or_update_sqlite,
        "postgresql": context.data_sources.add_or_update_postgres,
    }.get(store.dialect, context.data_sources.add_or_update_sql)
    source = add_source(name=ARCHIVE_DATASOURCE, connection_string=_gx_connection_string(project))
    try:
        asset = source.get_asset(dataset)
    except LookupError:
        asset = source.add_table_asset(name=dataset, table_name=table)
    try:
        batch_definition = asset.get_batch_definition(BATCH_DEFINITION)
    except KeyError:
        batch_definition = asset.add_batch_definition_whole_table(BATCH_DEFINITION)

    template = load_template(project.dataset(dataset).suite)
    suite = context.suites.add_or_update(build_health_suite(dataset, archive_columns, template))
    name = suite_name(dataset)
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=name,
            validation_definitions=[validation],
            actions=[UpdateDataDocsAction(name="update_data_docs")],
            result_format={"result_format": "SUMMARY"},
        )
    )


def run_health_check(project: Project, dataset: str) -> HealthCheckResult:
    """Run ``dataset``'s health checkpoint and summarise its verdicts."""
    store = ArchiveStore(project.archive_url)
    context = get_context(project.root)
    checkpoint = ensure_health_checkpoint(context, project, store, dataset)
    result = checkpoint.run()
    outcomes = [_outcome(r) for run in result.run_results.values() for r in run.results]
    errors = [o for o in outcomes if o.status == "error"]
    if errors and len(errors) == len(outcomes):
        raise DatasetHealthError(f"dataset {dataset!r}: every expectation raised; first: {errors[0].reason}")
    update_ids = [o for o in (_update_id(r) for run in result.run_results.values() for r in run.results) if o]
    return HealthCheckResult(
        dataset=dataset,
        update_id=update_ids[0] if update_ids else None,
        success=bool(result.success),
        outcomes=outcomes,
        docs_index=docs_index(context),
    )


def docs_index(context: Any) -> Path | None:
    """The local Data Docs index.html, if the site is on disk."""
    for site in context.get_docs_sites_urls():
        url = site.get("site_url") or ""
        if url.startswith("file://"):
            return Path(url.removeprefix("file://"))
    return None


def _gx_connection_string(project: Project) -> str:
    # A ${VAR} in the configured URL is handed to GX unexpanded, so GX resolves
    # it at run time and the secret never lands in great_expectations.yml.
    if "${" in project.archive_url_template and not project.archive_url_template.startswith("sqlite"):
        return project.archive_url_template
    return project.archive_url


def _outcome(result: Any) -> ExpectationOutcome:
    config = result.expectation_config
    details = (result.result or {}).get("details") or {}
    raised = bool((result.exception_info or {}).get("raised_exception"))
    if raised:
        message = (result.exception_info or {}).get("exception_message") or "the expectation raised an error"
        status, reason = "error", str(message).strip().splitlines()[0]
    else:
        status = details.get("status") or ("pass" if result.success else "fail")
        reason = details.get("reason") or ""
    return ExpectationOutcome(
        expectation=config.type,
        column=config.kwargs.get("column"),
        success=bool(result.success),
        status=status,
        observed=details.get("observed", (result.result or {}).get("observed_value")),
        expected=details.get("expected"),
        lower=details.get("lower"),
        upper=details.get("upper"),
        score=details.get("score"),
        reason=reason,
    )


def _update_id(result: Any) -> str | None:
    return ((result.result or {}).get("details") or {}).get("update_id")


__all__ = ["HealthCheckResult", "ExpectationOutcome", "ensure_health_checkpoint", "run_health_check", "docs_index"]
