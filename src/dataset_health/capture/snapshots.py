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
    would make a repaired load look like every row was created anew. The
    incident's own snapshot is set aside, for :func:`return_set_aside_snapshot`
    should the label be taken back.
    """
    try:
        recorded = _read_base(conn, dataset)
        if recorded is not None and recorded[0] == update_id and recorded[1] is not None:
            if _read_set_aside(conn, dataset, update_id) is None:  # labelled again: it is set aside already
                _write_keyed(conn, _set_aside_table(dataset), update_id, _read_snapshot(conn, dataset))
            store._replace_snapshot(conn, dataset, recorded[1])
    except SQLAlchemyError as exc:
        raise ArchiveError(
            f"dataset {dataset!r}: could not restore the snapshot before update {update_id!r}: "
            f"{str(exc).strip().splitlines()[0]}"
        ) from exc


def return_set_aside_snapshot(store: ArchiveStore, conn: sa.Connection, dataset: str, update_id: str) -> None:
    """Undo :func:`restore_snapshot_before` for an update no longer labelled incident.

    Only while ``update_id`` is still the newest keyed capture: once a later
    capture diffed against the data before it, that later one's counts and
    snapshot stand.
    """
    try:
        set_aside = _read_set_aside(conn, dataset, update_id)
        if set_aside is None:
            return
        recorded = _read_base(conn, dataset)
        if recorded is not None and recorded[0] == update_id:
            store._replace_snapshot(conn, dataset, set_aside)
        conn.execute(_set_aside_table(dataset).delete())
    except SQLAlchemyError as exc:
        raise ArchiveError(
            f"dataset {dataset!r}: could not return the snapshot of update {update_id!r}: "
            f"{str(exc).strip().splitlines()[0]}"
        ) from exc


def _base_table(dataset: str) -> sa.Table:
    return _keyed_table(f"dh_snapshot_base__{slug(dataset)}")


def _set_aside_table(dataset: str) -> sa.Table:
    # The snapshot of an update labelled incident, kept until the label is taken back.
    return _keyed_table(f"dh_snapshot_set_aside__{slug(dataset)}")


def _keyed_table(name: str) -> sa.Table:
    return sa.Table(
        name,
        sa.MetaData(),
        # On every row: the update it is kept for (the base table: the one whose
        # capture stored the current snapshot; the set-aside table: the incident).
        sa.Column("update_id", sa.Text, nullable=False),
        # One row has no key: it names the update even when the snapshot kept
        # had no keys, and says whether there was one at all.
        sa.Column("key", sa.Text),
        sa.Column("row_hash", sa.Text),
        sa.Column("had_snapshot", sa.Boolean),
    )


def _read_base(conn: sa.Connection, dataset: str) -> tuple[str, Snapshot | None] | None:
    """(update id, the snapshot it diffed against); None in an archive from before this table."""
    return _read_keyed(conn, _base_table(dataset))


def _read_set_aside(conn: sa.Connection, dataset: str, update_id: str) -> Snapshot | None:
    """The snapshot set aside when ``update_id`` was labelled incident; None when there is none."""
    recorded = _read_keyed(conn, _set_aside_table(dataset))
    if recorded is None or recorded[0] != update_id:
        return None
    return recorded[1] if recorded[1] is not None else {}


def _read_keyed(conn: sa.Connection, table: sa.Table) -> tuple[str, Snapshot | None] | None:
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
    _write_keyed(conn, _base_table(dataset), update_id, previous)


def _write_keyed(conn: sa.Connection, table: sa.Table, update_id: str, snapshot: Snapshot | None) -> None:
    """Replace ``table``'s content with ``snapshot``, named by ``update_id`` (a base or set-aside table)."""
    table.create(conn, checkfirst=True)
    conn.execute(table.delete())
    header = {"update_id": update_id, "key": None, "row_hash": None, "had_snapshot": snapshot is not None}
    rows = [{"update_id": update_id, "key": k, "row_hash": h, "had_snapshot": None} for k, h in (snapshot or {}).items()]
    conn.execute(table.insert(), [header, *rows])


def _read_snapshot(conn: sa.Connection, dataset: str) -> Snapshot | None:
    name = snapshot_table_name(dataset)
    if not sa.inspect(conn).has_table(name):
        return None
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    return {key: row_hash for key, row_hash in conn.execute(sa.select(table.c["key"], table.c["row_hash"]))}
