"""Verdicts and labels, stored beside the archive they judge.

Each health check writes one row per (update, expectation, metric) into
``dh_verdicts``: status, score, observed value, expected value and range,
reason. The archive row of the update gets a summary (``health_status``,
``health_failed``, ``health_checked_at``) so that a plain ``SELECT`` on the
archive shows which updates were unhealthy. Owners' labels
(``label`` = incident | expected, ``label_note``) go onto the archive row too.
All of it is text, so no detector mistakes it for a metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID, parse_number
from dataset_health.archive.store import ArchiveStore
from dataset_health.errors import ArchiveError, BadInputError
from dataset_health.outcomes import numbered_expectations

VERDICT_TABLE = "dh_verdicts"
HEALTH_STATUS = "health_status"
HEALTH_FAILED = "health_failed"
HEALTH_CHECKED_AT = "health_checked_at"
LABEL = "label"
LABEL_NOTE = "label_note"
INCIDENT = "incident"
EXPECTED = "expected"
LABELS = (INCIDENT, EXPECTED)

_NUMBERS = ("score", "observed", "expected", "lower", "upper")
SUMMARY_FIELDS = (HEALTH_STATUS, HEALTH_FAILED, HEALTH_CHECKED_AT)
#: Archive columns dataset-health writes itself (checks' summaries, owners'
#: labels); no import may fill them.
ANNOTATION_FIELDS = (*SUMMARY_FIELDS, LABEL, LABEL_NOTE)


def _verdict_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        VERDICT_TABLE,
        metadata,
        sa.Column("dataset", sa.Text, primary_key=True),
        sa.Column("update_id", sa.Text, primary_key=True),
        sa.Column("expectation", sa.Text, primary_key=True),
        sa.Column("metric", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        *(sa.Column(name, sa.Double) for name in _NUMBERS),
        sa.Column("reason", sa.Text),
        sa.Column("checked_at", sa.DateTime, nullable=False),
    )


def record_verdicts(
    store: ArchiveStore,
    dataset: str,
    outcomes_by_update: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    checked_at: datetime | None = None,
) -> None:
    """Store the outcomes of one or more checks and summarise them onto the
    archive rows of the updates they judged.

    ``outcomes_by_update`` maps an update id to mappings with keys
    expectation, metric, status, success and optionally score, observed,
    expected, lower, upper, reason. Checking an update again replaces its
    verdicts. Verdict rows and summaries commit in one transaction.
    """
    checked_at = (checked_at or datetime.now(timezone.utc)).replace(tzinfo=None)
    rows = {
        update_id: _numbered_repeats([_verdict_row(dataset, update_id, outcome, checked_at) for outcome in outcomes])
        for update_id, outcomes in outcomes_by_update.items()
    }
    table = _verdict_table(sa.MetaData())
    stamps = store.timestamps(dataset, list(rows))
    summaries = []
    for update_id, update_rows in rows.items():
        failed = sorted({row["metric"] or row["expectation"] for row in update_rows if not row["success"]})
        judged_bad = any(not row["success"] and row["status"] != "error" for row in update_rows)
        summaries.append({
            UPDATE_ID: update_id,
            TIMESTAMP: stamps[update_id],
            # Expectations that raised did not find the update bad: "error", as the check exits.
            HEALTH_STATUS: "unhealthy" if judged_bad else ("error" if failed else "healthy"),
            HEALTH_FAILED: ",".join(failed),
            HEALTH_CHECKED_AT: checked_at.isoformat(timespec="seconds"),
        })
    # Verdict rows and archive summaries commit together: a process killed in
    # between must not leave verdicts without a health_status, or the reverse.
    try:
        with store.writing() as conn:
            table.create(conn, checkfirst=True)
            for update_id, update_rows in rows.items():
                conn.execute(table.delete().where(table.c.dataset == dataset, table.c.update_id == update_id))
                if update_rows:
                    conn.execute(table.insert(), update_rows)
            store.append(dataset, summaries, text_fields=SUMMARY_FIELDS, annotation=True, conn=conn)
    except SQLAlchemyError as exc:
        raise ArchiveError(f"dataset {dataset!r}: could not store verdicts: {_first_line(exc)}") from exc


def _numbered_repeats(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with repeated rules named apart (a replay's rows are not named yet)."""
    names = numbered_expectations([(row["expectation"], row["metric"]) for row in rows])
    for row, name in zip(rows, names):
        row["expectation"] = name
    return rows


def read_verdicts(store: ArchiveStore, dataset: str) -> pd.DataFrame:
    """Every stored verdict of ``dataset`` (empty frame when none)."""
    table = _verdict_table(sa.MetaData())
    columns = [c.name for c in table.columns]
    with store._reading() as conn:
        if not sa.inspect(conn).has_table(VERDICT_TABLE):
            return pd.DataFrame(columns=columns)
        rows = conn.execute(sa.select(table).where(table.c.dataset == dataset)).all()
    return pd.DataFrame(rows, columns=columns)


def set_label(store: ArchiveStore, dataset: str, update_id: str, label: str, note: str | None = None) -> None:
    """Label an archived update as an ``incident`` or as ``expected`` behaviour.

    An incident is left out of training; when it is the newest keyed capture,
    the snapshot it was diffed against becomes the current one again, so the
    next capture's created/updated/deleted are counted from before it.
    Relabelled ``expected`` before the next capture, its own snapshot is
    current again.
    """
    if label not in LABELS:
        raise BadInputError(f"dataset {dataset!r}: label must be one of {', '.join(LABELS)}; got {label!r}")
    # Imported here: capture builds on this package, not the other way round.
    from dataset_health.capture.snapshots import restore_snapshot_before, return_set_aside_snapshot

    values = {LABEL: label, LABEL_NOTE: note or ""}
    # Read before the write transaction opens (not set_values inside it): an unknown
    # update, or an archive file that is gone, is then refused before a write
    # connection would create an empty database in its place.
    stamp = store.timestamps(dataset, [update_id])[update_id]
    # The label and the snapshot it sets aside commit together, or neither does.
    with store.writing() as conn:
        store.append(dataset, [{UPDATE_ID: update_id, TIMESTAMP: stamp, **values}], text_fields=list(values),
                     annotation=True, conn=conn)
        if label == INCIDENT:
            restore_snapshot_before(store, conn, dataset, update_id)
        else:
            return_set_aside_snapshot(store, conn, dataset, update_id)


def labelled_history(store: ArchiveStore, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``dataset``'s archive as a competition reads it, and its owner's labels.

    The archive keeps its timestamp and its numeric metric columns only: the
    check's own verdicts and labels written back to it (text) must never be
    judged as metrics. The labels have one row per update, in the same
    order, in the benchmark's format: ``timestamp``, ``update_id``,
    ``is_anomaly`` (1 for an update labelled ``incident``, 0 for
    ``expected`` and unlabelled ones), ``kind`` (the label) and ``note``.
    """
    history = store.history(dataset)
    metrics = [name for name, kind in store.column_kinds(dataset).items() if kind == "number"]
    frame = history[[TIMESTAMP, *metrics]]
    unlabelled = pd.Series("", index=history.index)  # no update of it was ever labelled
    label = history.get(LABEL, unlabelled).fillna("")
    note = history.get(LABEL_NOTE, unlabelled).fillna("")
    labels = pd.DataFrame({TIMESTAMP: history[TIMESTAMP], UPDATE_ID: history[UPDATE_ID],
                           "is_anomaly": (label == INCIDENT).astype(int), "kind": label, "note": note})
    return frame, labels


def update_label(store: ArchiveStore, dataset: str, update_id: str | None) -> str | None:
    """The owner's label on an archived update, or None."""
    if update_id is None or not store.exists(dataset):
        return None
    with store._reading() as conn:
        table = sa.Table(store.table_name(dataset), sa.MetaData(), autoload_with=conn)
        if LABEL not in table.c:
            return None
        label = conn.execute(sa.select(table.c[LABEL]).where(table.c[UPDATE_ID] == update_id)).scalar()
    return label or None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _verdict_row(dataset: str, update_id: str, outcome: Mapping[str, Any], checked_at: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "dataset": dataset,
        "update_id": update_id,
        "expectation": str(outcome["expectation"]),
        "metric": str(outcome.get("metric") or ""),
        "status": str(outcome["status"]),
        "success": bool(outcome["success"]),
        "reason": outcome.get("reason"),
        "checked_at": checked_at,
    }
    for name in _NUMBERS:
        try:
            row[name] = parse_number(outcome.get(name))
        except ValueError:
            row[name] = None  # a non-numeric observed value (e.g. a schema) has no band to draw
    return row


__all__ = [
    "ANNOTATION_FIELDS",
    "HEALTH_CHECKED_AT",
    "HEALTH_FAILED",
    "HEALTH_STATUS",
    "LABEL",
    "LABELS",
    "LABEL_NOTE",
    "read_verdicts",
    "record_verdicts",
    "set_label",
    "update_label",
]
