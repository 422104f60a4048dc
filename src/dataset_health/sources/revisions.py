"""Archive rows from Socrata publishing-API revisions (pure parsing, no HTTP).

A revision that was applied has one or more *task sets*; the last one that
finished did the update, and its ``log`` holds what it did. Which log stage
carries the counts has changed over time (``upsert_task``,
``upsert_complete``, ...), and so have the key spellings (``Rows Created``,
``rows_created``, ``created``), so every entry whose ``details`` hold any
known count key is a candidate, and every key is optional.

When several entries carry counts (progress entries, then a final one), the
winner is, in order: an entry whose stage name says it completed, then the
latest ``time``, then the one later in the list.

One archive row per finished revision::

    update_id       rev-<revision_seq>   (rev-id-<id> when there is no sequence)
    timestamp       the task set's finished_at (else updated_at, the
                    revision's closed_at, updated_at)
    rows_created, rows_updated, rows_deleted, error_count
                    from the log; missing (never zero) when the log has none
    rows_processed  the log's total_rows: rows in the update's input, not the
                    dataset's size (that is row_count)
    update_status   the task set's status (successful, failure, ...)
    action_type     update / replace / delete
    source          socrata_revision

A revision is skipped, with a reason, when it is no finished update: still
open or discarded (no task set), still running, or when not even a finish
time is known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID, is_missing, parse_timestamp

SOURCE = "socrata_revision"

#: Archive field -> detail keys that carry it (normalised: lower case, "_"
#: for spaces), in order of preference. ``errors`` comes before
#: ``error_count``: in real logs it is the upsert's rejected rows, the figure
#: that adds up with the row counts to ``total_rows``.
COUNT_KEYS: dict[str, tuple[str, ...]] = {
    "rows_created": ("rows_created", "created", "rows_inserted", "inserted", "inserts"),
    "rows_updated": ("rows_updated", "updated", "updates"),
    "rows_deleted": ("rows_deleted", "deleted", "deletes"),
    "error_count": ("errors", "error_count", "row_errors", "rows_errored"),
    "rows_processed": ("total_rows", "rows_processed", "total"),
}
#: Task-set statuses of a task set that has stopped.
FINISHED_STATUSES = frozenset(
    {"successful", "success", "succeeded", "complete", "completed", "finished", "done",
     "failure", "failed", "error", "errored"}
)
_FINAL_STAGE = re.compile(r"complete|finish|done|success", re.IGNORECASE)

SKIP_NOT_APPLIED = "not applied (open, discarded or metadata-only)"
SKIP_RUNNING = "still running"
SKIP_NO_TIME = "no finish time"
SKIP_NO_ID = "no revision_seq or id"


@dataclass(frozen=True)
class RevisionOutcome:
    """An archive record for one revision, or why there is none."""

    record: dict[str, Any] | None
    skipped: str | None = None


def revision_record(revision: Mapping[str, Any]) -> RevisionOutcome:
    """The archive record of one revision (see the module docstring).

    Examples
    --------
    >>> outcome = revision_record({
    ...     "revision_seq": 7, "action": {"type": "update"},
    ...     "task_sets": [{"status": "successful", "finished_at": "2022-12-19T06:02:13Z",
    ...                    "log": [{"stage": "upsert_task",
    ...                             "details": {"Rows Created": "918", "Rows Updated": 644}}]}]})
    >>> outcome.record["update_id"], outcome.record["rows_created"], outcome.record["rows_deleted"]
    ('rev-7', '918', None)
    """
    update_id = _update_id(revision)
    if update_id is None:
        return RevisionOutcome(None, SKIP_NO_ID)
    task_sets = _task_sets(revision)
    if not task_sets:
        return RevisionOutcome(None, SKIP_NOT_APPLIED)
    finished = [ts for ts in task_sets if _finished(ts)]
    if not finished:
        return RevisionOutcome(None, SKIP_RUNNING)
    task_set = max(enumerate(finished), key=lambda pair: (_time(_finish_time(pair[1])) or datetime.min, pair[0]))[1]
    stamp = next(
        (t for t in (_time(v) for v in (_finish_time(task_set), revision.get("closed_at"),
                                        revision.get("revision_updated_at"), revision.get("updated_at"))) if t),
        None,
    )
    if stamp is None:
        return RevisionOutcome(None, SKIP_NO_TIME)
    counts = log_counts(task_set.get("log"))
    record: dict[str, Any] = {
        UPDATE_ID: update_id,
        TIMESTAMP: stamp,
        # Every count field is present, missing when the log does not say:
        # "unknown" must never read as "zero rows".
        **{name: counts.get(name) for name in COUNT_KEYS},
        "source": SOURCE,
    }
    # Text fields only when known: a column first created from missing values
    # would be numeric, and PostgreSQL then refuses the text that comes later.
    for name, value in (("update_status", _text(task_set.get("status"))), ("action_type", _action_type(revision))):
        if value is not None:
            record[name] = value
    return RevisionOutcome(record)


def log_counts(log: Any) -> dict[str, Any]:
    """The counts of the log entry that best describes the finished update.

    Values are returned as given (numbers or strings such as ``"24,847"``);
    the archive's coercion turns them into numbers.
    """
    best: tuple[tuple[bool, datetime, int], dict[str, Any]] | None = None
    for position, entry in enumerate(log if isinstance(log, list) else []):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("details"), Mapping):
            continue
        counts = detail_counts(entry["details"])
        if not counts:
            continue
        rank = (bool(_FINAL_STAGE.search(str(entry.get("stage") or ""))), _time(entry.get("time")) or datetime.min, position)
        if best is None or rank > best[0]:
            best = (rank, counts)
    return best[1] if best else {}


def detail_counts(details: Mapping[str, Any]) -> dict[str, Any]:
    """Archive count fields found in one log entry's ``details``."""
    normalised = {_normalise(key): value for key, value in details.items() if isinstance(key, str)}
    counts = {}
    for name, keys in COUNT_KEYS.items():
        value = next((normalised[k] for k in keys if k in normalised and not is_missing(normalised[k])), None)
        if value is not None:
            counts[name] = value
    return counts


def _normalise(key: str) -> str:
    return re.sub(r"[\s\-]+", "_", key.strip().lower())


def _update_id(revision: Mapping[str, Any]) -> str | None:
    seq, rid = revision.get("revision_seq"), revision.get("id")
    if not is_missing(seq) and str(seq).strip():
        return f"rev-{str(seq).strip()}"
    if not is_missing(rid) and str(rid).strip():
        return f"rev-id-{str(rid).strip()}"
    return None


def _task_sets(revision: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    sets = revision.get("task_sets")
    if sets is None and isinstance(revision.get("task_set"), Mapping):
        sets = [revision["task_set"]]  # one task set, as some exports nest it
    return [ts for ts in sets if isinstance(ts, Mapping)] if isinstance(sets, list) else []


def _finished(task_set: Mapping[str, Any]) -> bool:
    status = str(task_set.get("status") or "").strip().lower()
    return status in FINISHED_STATUSES or (not status and _time(task_set.get("finished_at")) is not None)


def _finish_time(task_set: Mapping[str, Any]) -> Any:
    return task_set.get("finished_at") or task_set.get("updated_at")


def _action_type(revision: Mapping[str, Any]) -> str | None:
    action = revision.get("action")
    if isinstance(action, Mapping):
        return _text(action.get("type"))
    return _text(revision.get("action_type"))


def _text(value: Any) -> str | None:
    return None if is_missing(value) else str(value).strip() or None


def _time(value: Any) -> datetime | None:
    """A naive UTC datetime, or None when ``value`` is missing or no time."""
    if isinstance(value, datetime):
        return parse_timestamp(value)
    if not isinstance(value, str) or is_missing(value):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None
