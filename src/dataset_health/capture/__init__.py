"""Capture: turn the monitored dataset, as one update left it, into an archive row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID, coerce_record, parse_timestamp
from dataset_health.archive.store import AppendResult, ArchiveStore
from dataset_health.capture.batches import dataframe_batch, file_batch, spark_batch, sql_batch
from dataset_health.capture.diff import diff_counts, row_hashes
from dataset_health.capture.ordering import refuse_unless_newest
from dataset_health.capture.profile import profile_batch, read_all_rows
from dataset_health.capture.snapshots import snapshot_to_diff_against
from dataset_health.errors import BadInputError

REPORTED_COUNTS = ("rows_created", "rows_updated", "rows_deleted")


def capture_update(
    store: ArchiveStore,
    dataset: str,
    batch: Any,
    *,
    update_id: str | None = None,
    timestamp: Any = None,
    counts: Mapping[str, Any] | None = None,
    key_column: str | None = None,
    freshness_column: str | None = None,
    columns: Iterable[str] | None = None,
) -> AppendResult:
    """Profile ``batch`` and archive it as one update of ``dataset``.

    Rows created/updated/deleted come from ``counts`` when the source reports
    them; otherwise, with a ``key_column``, from a diff against the snapshot
    of the previous capture (the first keyed capture only records the
    snapshot). Capturing an update again diffs against the same snapshot as
    its first capture did and replaces its row, so a retried task archives
    the same counts. The data is as it is now, so the update must be the
    newest (``capture/ordering.py``): one whose ``timestamp`` is not after
    the newest archived update, or an older update captured again, is
    refused (BadInputError); without ``timestamp`` it is stamped when it is
    written. Everything is computed before the archive is touched, and the
    row and the new snapshot are written in one transaction.
    """
    now = datetime.now(timezone.utc)
    try:
        stamp = parse_timestamp(timestamp) if timestamp is not None else now.replace(tzinfo=None)
    except ValueError as exc:
        raise BadInputError(f"dataset {dataset!r}: field {TIMESTAMP!r}: {exc}") from None
    unknown = set(counts or {}) - set(REPORTED_COUNTS)
    if unknown:
        raise BadInputError(
            f"dataset {dataset!r}: unknown count field {sorted(unknown)[0]!r}; expected {', '.join(REPORTED_COUNTS)}"
        )
    fields = profile_batch(
        batch, dataset=dataset, key_column=key_column, freshness_column=freshness_column, columns=columns, now=stamp
    )
    reported = {k: v for k, v in (counts or {}).items() if v is not None}
    record = {UPDATE_ID: update_id or stamp.isoformat(), TIMESTAMP: stamp, **fields}
    snapshot = row_hashes(read_all_rows(batch), key_column, dataset=dataset) if key_column else None
    # The id as the archive will store it (stripped), to tell a retry of this update.
    archived_id = coerce_record(dataset, {UPDATE_ID: record[UPDATE_ID], TIMESTAMP: stamp}).update_id
    # The newest update and the previous snapshot are read inside the write
    # transaction, so that two captures at once each see the one committed
    # just before them.
    with store.writing(dataset) as conn:
        if timestamp is None:
            # "Now" is read under the write lock, so that of two captures at once the
            # one archived last is the newest, as its snapshot is.
            stamp = datetime.now(timezone.utc).replace(tzinfo=None)
            record[TIMESTAMP] = stamp
            if update_id is None:
                record[UPDATE_ID] = archived_id = stamp.isoformat()
        refuse_unless_newest(conn, dataset, archived_id, stamp, stamped_now=timestamp is None)
        if snapshot is None:
            return store.append(dataset, [{**record, **reported}], conn=conn)
        previous = snapshot_to_diff_against(conn, dataset, archived_id)
        # An empty snapshot (the dataset was empty) is still a snapshot to diff against.
        if previous is not None:
            record.update(diff_counts(previous, snapshot))
        return store.append(dataset, [{**record, **reported}], snapshot=snapshot, conn=conn)


__all__ = [
    "REPORTED_COUNTS",
    "capture_update",
    "dataframe_batch",
    "diff_counts",
    "file_batch",
    "profile_batch",
    "row_hashes",
    "spark_batch",
    "sql_batch",
]
