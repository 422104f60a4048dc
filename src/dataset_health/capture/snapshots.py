"""The snapshot a keyed capture diffs against, the same one when an update is captured again.

The archive keeps one key -> row-hash snapshot per dataset, the newest keyed
capture's (``ArchiveStore.append`` replaces it). Capturing that same update
again (an Airflow task retried after its capture committed) would diff the
data against its own snapshot and archive 0 created, 0 updated, 0 deleted.
So beside it we keep the snapshot that the newest capture diffed against,
named by its update id, and a capture of that update id diffs against it
again.

Both are read and written on the caller's write transaction, so concurrent
captures still each diff against the snapshot committed just before them.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from dataset_health.archive.schema import slug
from dataset_health.archive.store import ArchiveStore, snapshot_table_name
from dataset_health.errors import ArchiveError

Snapshot = dict[str, str]


def snapshot_to_diff_against(conn: sa.Connection, dataset: str, update_id: str) -> Snapshot | None:
    """The snapshot that a capture of ``update_id`` diffs against; None when there is none.

    That is the stored snapshot, unless ``update_id`` is the update that
    stored it: then the one its first capture diffed against. The choice is
    recorded for the next capture of the same update.
    """
    try:
        recorded = _read_base(conn, dataset)
        if recorded is not None and recorded[0] == update_id:
            return recorded[1]
        previous = _read_snapshot(conn, dataset)
        _write_base(conn, dataset, update_id, previous)
        return previous
    except SQLAlchemyError as exc:
        raise ArchiveError(
            f"dataset {dataset!r}: could not read or record the snapshot to diff against: {str(exc).strip().splitlines()[0]}"
        ) from exc


def restore_snapshot_before(store: ArchiveStore, conn: sa.Connection, dataset: str, update_id: str) -> None:
    """Make the snapshot that ``update_id`` was diffed against the current one again, when
    ``update_id`` is the capture that stored the current one.

    For an update labelled incident (an empty reload): the next capture is then
    diffed against the data before the incident, not against the incident, which
    would make a repaired load look like every row was created anew.
    """
    try:
        recorded = _read_base(conn, dataset)
        if recorded is not None and recorded[0] == update_id and recorded[1] is not None:
            store._replace_snapshot(conn, dataset, recorded[1])
    except SQLAlchemyError as exc:
        raise ArchiveError(
            f"dataset {dataset!r}: could not restore the snapshot before update {update_id!r}: "
            f"{str(exc).strip().splitlines()[0]}"
        ) from exc


def _base_table(dataset: str) -> sa.Table:
    return sa.Table(
        f"dh_snapshot_base__{slug(dataset)}",
        sa.MetaData(),
        # On every row: the update whose capture stored the current snapshot.
        sa.Column("update_id", sa.Text, nullable=False),
        # One row has no key: it names the update even when the snapshot it
        # diffed against had no keys, and says whether there was one at all.
        sa.Column("key", sa.Text),
        sa.Column("row_hash", sa.Text),
        sa.Column("had_snapshot", sa.Boolean),
    )


def _read_base(conn: sa.Connection, dataset: str) -> tuple[str, Snapshot | None] | None:
    """(update id, the snapshot it diffed against); None in an archive from before this table."""
    table = _base_table(dataset)
    if not sa.inspect(conn).has_table(table.name):
        return None
    header = conn.execute(sa.select(table.c.update_id, table.c.had_snapshot).where(table.c.key.is_(None))).first()
    if header is None:
        return None
    if not header.had_snapshot:
        return header.update_id, None
    rows = conn.execute(sa.select(table.c.key, table.c.row_hash).where(table.c.key.is_not(None)))
    return header.update_id, {key: row_hash for key, row_hash in rows}


def _write_base(conn: sa.Connection, dataset: str, update_id: str, previous: Snapshot | None) -> None:
    table = _base_table(dataset)
    table.create(conn, checkfirst=True)
    conn.execute(table.delete())
    header = {"update_id": update_id, "key": None, "row_hash": None, "had_snapshot": previous is not None}
    rows = [{"update_id": update_id, "key": k, "row_hash": h, "had_snapshot": None} for k, h in (previous or {}).items()]
    conn.execute(table.insert(), [header, *rows])


def _read_snapshot(conn: sa.Connection, dataset: str) -> Snapshot | None:
    name = snapshot_table_name(dataset)
    if not sa.inspect(conn).has_table(name):
        return None
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    return {key: row_hash for key, row_hash in conn.execute(sa.select(table.c["key"], table.c["row_hash"]))}
