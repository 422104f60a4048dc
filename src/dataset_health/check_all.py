"""Check every monitored dataset of a project in one run.

``run_all_health_checks`` runs :func:`~dataset_health.health_check.run_health_check`
for each monitored dataset (those named in ``dataset_health.yml`` plus every
dataset with an archive), in one process so GX is imported once. One
dataset's error is recorded and the run goes on; the run's exit code is 0
when every dataset is healthy, 1 when any is unhealthy and 2 when any check
raised.

Why a sequential loop: GX data contexts are not thread-safe, so the only
parallelism on offer is processes, and checks of one project take turns on
its GX files anyway (:func:`~dataset_health.gx_files.project_lock`). Measured
before that lock existed, on 2 cores, a pool of 2 processes checked 12
datasets in 56 s against 57 s for the loop. To check faster, split the
datasets over several project directories that share one archive database
(docs/scale.md).

The site's two index pages would otherwise be rebuilt after every check: GX's
(loading every suite and listed validation result) and the health index
(reading every dataset's archive), quadratic in the number of datasets.
During a run the per-check rebuilds are deferred and both are written once at
the end.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dataset_health.archive.store import ArchiveStore
from dataset_health.project import Project
from dataset_health.text import counted

HEALTHY = "healthy"
UNHEALTHY = "unhealthy"
ERROR = "error"
EXIT_CODES = {HEALTHY: 0, UNHEALTHY: 1, ERROR: 2}


@dataclass(frozen=True)
class DatasetCheck:
    """How the check of one dataset ended."""

    dataset: str
    status: str  # healthy | unhealthy | error
    update_id: str | None = None
    failed: tuple[str, ...] = ()
    error: str | None = None
    seconds: float = 0.0
    label: str | None = None  # the owner's label on the judged update
    deliveries: tuple[str, ...] = ()  # the owner notices this check sent, or failed to

    @property
    def exit_code(self) -> int:
        """As ``check DATASET`` exits: an unhealthy update labelled expected counts as healthy."""
        from dataset_health.health_check import acknowledged_exit_code

        return acknowledged_exit_code(self.status, self.label)

    @property
    def shown_status(self) -> str:
        return f"{self.status} (labelled {self.label})" if self.label and self.status != ERROR else self.status

    @property
    def detail(self) -> str:
        """What a person reads in the summary table."""
        if self.status == ERROR:
            return self.error or "error"
        return "; ".join(part for part in (", ".join(self.failed), self.error) if part)


@dataclass(frozen=True)
class AllChecksResult:
    """The outcome of checking many datasets."""

    checks: list[DatasetCheck] = field(default_factory=list)
    seconds: float = 0.0
    docs_index: Path | None = None

    def count(self, status: str) -> int:
        return sum(1 for check in self.checks if check.status == status)

    @property
    def exit_code(self) -> int:
        """0 all healthy, 1 any unhealthy, 2 any error."""
        return max((check.exit_code for check in self.checks), default=0)

    def table(self) -> str:
        """A plain-text summary table, errors and unhealthy datasets first."""
        order = {ERROR: 0, UNHEALTHY: 1, HEALTHY: 2}
        rows = sorted(self.checks, key=lambda c: (order[c.status], c.dataset))
        header = ("dataset", "status", "update", "seconds", "failed metrics / error")
        body = [(c.dataset, c.shown_status, c.update_id or "-", f"{c.seconds:.1f}", c.detail or "-") for c in rows]
        widths = [max(len(str(row[i])) for row in [header, *body]) for i in range(4)]
        lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) + "  " + str(row[4])
                 for row in [header, *body]]
        lines.insert(1, "-" * len(lines[0]))
        summary = (f"{counted(len(self.checks), 'dataset')} in {self.seconds:.1f} s: {self.count(HEALTHY)} healthy, "
                   f"{self.count(UNHEALTHY)} unhealthy, {self.count(ERROR)} with errors")
        alerts = [f"Alerts: {c.dataset}: {note}" for c in rows for note in c.deliveries]
        return "\n".join([*lines, "", *alerts, *([""] if alerts else []), summary])


def monitored_datasets(project: Project, store: ArchiveStore | None = None) -> list[str]:
    """Datasets named in the project file plus every dataset with an archive, sorted."""
    own_store = store is None
    store = store or ArchiveStore(project.archive_url)
    try:
        return sorted(set(project.datasets) | set(store.datasets()))
    finally:
        if own_store:
            store.engine.dispose()


def run_all_health_checks(
    project: Project,
    datasets: Iterable[str] | None = None,
    *,
    progress: bool = False,
) -> AllChecksResult:
    """Check each of ``datasets`` (default: every monitored dataset).

    A dataset whose check raises becomes an ``error`` line; the others still
    run. With ``progress``, a tqdm bar on stderr.
    """
    from tqdm.auto import tqdm

    from dataset_health.docs.build import write_index_pages
    from dataset_health.docs.history import deferred_index_pages

    started = time.perf_counter()
    names = list(datasets) if datasets is not None else monitored_datasets(project)
    checks: list[DatasetCheck] = []
    with tqdm(total=len(names), desc="health checks", unit="dataset", disable=not progress, leave=False) as bar:
        with deferred_index_pages():
            for name in names:
                check = check_one(project, name)
                checks.append(check)
                bar.set_postfix_str(f"{check.dataset}: {check.status}", refresh=False)
                bar.update(1)
    # Every check that ran wrote its pages, a NOT JUDGED one too (an error with an update id);
    # one that raised before its checkpoint ran wrote none.
    checked = [c.dataset for c in checks if c.status != ERROR or c.update_id is not None]
    docs_index = write_index_pages(project, checked[-1]) if checked else None
    return AllChecksResult(checks=checks, seconds=time.perf_counter() - started, docs_index=docs_index)


def check_one(project: Project, dataset: str) -> DatasetCheck:
    """Run one dataset's health check; any exception becomes an error line."""
    from dataset_health.health_check import run_health_check

    started = time.perf_counter()
    try:
        result = run_health_check(project, dataset)
    except Exception as exc:  # one dataset's failure must not stop the others
        text = str(exc).strip()
        message = f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
        return DatasetCheck(dataset, ERROR, error=message, seconds=time.perf_counter() - started)
    errors = result.errors
    return DatasetCheck(
        dataset,
        result.status,
        update_id=result.update_id,
        failed=tuple(o.label for o in result.failed if o.status != ERROR),
        error=f"{len(errors)} expectations raised; first: {errors[0].label}: {errors[0].reason}" if errors else None,
        seconds=time.perf_counter() - started,
        label=result.label,
        deliveries=tuple(result.delivery_notes),
    )
