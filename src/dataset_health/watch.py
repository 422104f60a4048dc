"""Watch a Socrata dataset: archive each update once it has finished, then check it.

One poll:

1. reads ``dataUpdatedAt`` (metadata API; the views API's ``rowsUpdatedAt``
   when it is absent). Unchanged since the last poll: nothing to do, at the
   cost of one small request.
2. backfills the finished revisions the archive lacks. A revision whose
   task set is still running means an update is under way: nothing is
   checked, and the next poll looks again.
3. gives the newest newly archived revision the dataset's current metadata
   (``row_count`` from SODA ``count(*)``, column statistics from
   ``cachedContents``), since it is the update that metadata describes; with
   ``capture_rows`` also a GX profile of the rows themselves.
4. when the data changed and no revision explains it (updates through SODA
   or DataSync bypass revisions), archives a snapshot update
   ``data-<dataUpdatedAt>`` holding the current metadata.
5. runs the health check if anything was archived.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID, is_missing
from dataset_health.archive.store import ArchiveStore
from dataset_health.backfill import backfill, socrata_source
from dataset_health.errors import DatasetHealthError
from dataset_health.project import Project
from dataset_health.sources.revisions import SKIP_RUNNING
from dataset_health.sources.socrata import SocrataClient, check_fourfour
from dataset_health.sources.soda import current_fields, soda_batch
from dataset_health.sources.views import data_updated_at, rows_updated_at

SNAPSHOT_SOURCE = "socrata_metadata"
#: ``dataUpdatedAt`` is stamped as a publish completes and can trail the
#: revision's finished_at a little; within this margin the revision explains it.
EXPLAINED_WITHIN = timedelta(minutes=15)


@dataclass
class PollResult:
    """What one poll did: the updates it archived and the check it ran."""

    archived: list[str] = field(default_factory=list)
    check: Any = None
    note: str = ""


class SocrataWatcher:
    """Poll one Socrata dataset for finished updates (see the module docstring).

    Parameters
    ----------
    project : Project
        The project holding the archive and the health check.
    dataset : str
        The monitored dataset's name in the project.
    client : SocrataClient
        A client for the dataset's domain.
    fourfour : str
        The Socrata dataset id.
    capture_rows : bool
        Also download the rows and profile them with GX for the newest update.
    check : callable
        ``check(project, dataset)`` runs the health check; default
        :func:`dataset_health.health_check.run_health_check`.
    """

    def __init__(
        self,
        project: Project,
        dataset: str,
        client: SocrataClient,
        fourfour: str,
        *,
        capture_rows: bool = False,
        check: Callable[[Project, str], Any] | None = None,
    ) -> None:
        self.project = project
        self.dataset = dataset
        self.client = client
        self.fourfour = check_fourfour(fourfour)
        self.capture_rows = capture_rows
        self._check = check
        self._last_seen: datetime | None = None

    def poll(self) -> PollResult:
        """Look once; archive and check whatever finished since the last look."""
        stamp = self._data_updated_at()
        if stamp is not None and stamp == self._last_seen:
            return PollResult(note=f"no new update since {stamp:%Y-%m-%d %H:%M:%S} UTC")
        store = ArchiveStore(self.project.archive_url)
        try:
            skipped: Counter[str] = Counter()
            result = backfill(store, self.dataset, socrata_source(self.client, self.fourfour, skipped=skipped))
            archived = list(result.added)
            if archived:
                self._describe_newest(store, archived)
            elif skipped[SKIP_RUNNING]:
                # Not marked as seen: the next poll must look at it again.
                return PollResult(note="an update is still running; waiting for it to finish")
            elif stamp is not None and self._unexplained(store, stamp):
                archived = [self._archive_snapshot(store, stamp)]
        finally:
            store.engine.dispose()
        self._last_seen = stamp
        if not archived:
            return PollResult(note="no new update")
        return PollResult(archived=archived, check=self._run_check())

    # ---------------------------------------------------------------- helpers
    def _data_updated_at(self) -> datetime | None:
        stamp = data_updated_at(self.client.view_metadata(self.fourfour))
        return stamp if stamp is not None else rows_updated_at(self.client.view(self.fourfour))

    def _describe_newest(self, store: ArchiveStore, archived: list[str]) -> None:
        newest = store.history(self.dataset, columns=[UPDATE_ID, TIMESTAMP], last=1).iloc[0]
        if newest[UPDATE_ID] not in archived:
            return  # the new revisions are older than an archived update: nothing current to add
        update_id, stamp = str(newest[UPDATE_ID]), newest[TIMESTAMP].to_pydatetime()
        store.append(self.dataset, [{UPDATE_ID: update_id, TIMESTAMP: stamp, **current_fields(self.client, self.fourfour)}])
        if self.capture_rows:
            self._profile_rows(store, update_id, stamp)

    def _profile_rows(self, store: ArchiveStore, update_id: str, stamp: datetime) -> None:
        from dataset_health.capture import REPORTED_COUNTS, capture_update

        settings = self.project.dataset(self.dataset)
        row = store.history(self.dataset, last=1).iloc[0]
        # The revision's own counts win over a snapshot diff, as for any
        # source that reports them.
        counts = {name: row[name] for name in REPORTED_COUNTS if name in row and not is_missing(row[name])}
        capture_update(
            store, self.dataset, soda_batch(self.client, self.fourfour, dataset=self.dataset),
            update_id=update_id, timestamp=stamp, counts=counts,
            key_column=settings.key_column, freshness_column=settings.freshness_column,
        )

    def _unexplained(self, store: ArchiveStore, stamp: datetime) -> bool:
        if not store.exists(self.dataset):
            return True
        newest = store.history(self.dataset, columns=[TIMESTAMP], last=1)[TIMESTAMP].iloc[0]
        return newest.to_pydatetime() < stamp - EXPLAINED_WITHIN

    def _archive_snapshot(self, store: ArchiveStore, stamp: datetime) -> str:
        update_id = f"data-{stamp.isoformat()}"
        record = {UPDATE_ID: update_id, TIMESTAMP: stamp, "source": SNAPSHOT_SOURCE,
                  **current_fields(self.client, self.fourfour)}
        store.append(self.dataset, [record])
        return update_id

    def _run_check(self) -> Any:
        if self._check is not None:
            return self._check(self.project, self.dataset)
        from dataset_health.health_check import run_health_check

        return run_health_check(self.project, self.dataset)


def watch(
    watcher: SocrataWatcher,
    *,
    interval: float = 300.0,
    once: bool = False,
    on_poll: Callable[[PollResult], None] | None = None,
    on_error: Callable[[DatasetHealthError], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_polls: int | None = None,
) -> PollResult | None:
    """Poll every ``interval`` seconds; with ``once``, poll once and return its result.

    In a long-running watch, an error of one poll (the source down beyond its
    retries, the archive locked) is handed to ``on_error`` and the next poll
    tries again; with ``once`` it propagates, so cron sees a failed run.
    """
    polls = 0
    result = None
    while True:
        try:
            result = watcher.poll()
            if on_poll is not None:
                on_poll(result)
        except DatasetHealthError as exc:
            if once or on_error is None:
                raise
            on_error(exc)
        polls += 1
        if once or (max_polls is not None and polls >= max_polls):
            return result
        sleep(interval)
