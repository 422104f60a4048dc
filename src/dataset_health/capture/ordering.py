"""A capture describes the data as it is now, so it can only archive the newest update.

Dated before the newest archived update, a capture would put today's data
(and, keyed, the change since the newest snapshot) at a past time, and
replace the snapshot that the next update is diffed against. Captured
again after a newer update, an update would lose its own numbers to
today's. Both are refused before anything is written; history of the past
is imported (``archive import``, ``backfill``), not captured.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID
from dataset_health.archive.store import archive_table_name
from dataset_health.errors import BadInputError


def refuse_unless_newest(conn: sa.Connection, dataset: str, update_id: str, stamp: datetime, *,
                         stamped_now: bool = False) -> None:
    """BadInputError unless ``update_id`` at ``stamp`` is, or would be, ``dataset``'s newest update.

    Newest as the history orders updates: by time, then by id (compared by
    the database, as its ORDER BY does). ``stamped_now``: ``stamp`` is the
    current time, not one the caller gave.
    """
    name = archive_table_name(dataset)
    if not sa.inspect(conn).has_table(name):
        return
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    id_column, stamp_column = table.c[UPDATE_ID], table.c[TIMESTAMP]

    def newest_after(when: datetime, ident: str) -> sa.Row | None:
        later = sa.or_(stamp_column > when, sa.and_(stamp_column == when, id_column > ident))
        return conn.execute(
            sa.select(id_column, stamp_column).where(later, id_column != update_id)
            .order_by(stamp_column.desc(), id_column.desc()).limit(1)
        ).first()

    def describe(row: sa.Row) -> str:
        return f"the newest archived update, {row[0]!r} at {row[1].isoformat(sep=' ')}"

    archived = conn.execute(sa.select(stamp_column).where(id_column == update_id)).first()
    # Checked at the update's archived place, not only at its new stamp: captured
    # again "now", an old update would otherwise move past the ones after it.
    newer = newest_after(archived[0], update_id) if archived is not None else None
    if newer is not None:
        raise BadInputError(
            f"dataset {dataset!r}: update {update_id!r} is archived and {describe(newer)}, came after it; "
            "capturing it again would replace its numbers with the data as it is now "
            "(give the new capture its own --update-id)"
        )
    newer = newest_after(stamp, update_id)
    if newer is None:
        return
    if stamped_now:
        raise BadInputError(
            f"dataset {dataset!r}: {describe(newer)}, is later than now ({stamp.isoformat(sep=' ')} UTC): "
            "a future-dated import or a clock that is ahead; give the capture a timestamp after it"
        )
    raise BadInputError(
        f"dataset {dataset!r}: field {TIMESTAMP!r}: {stamp.isoformat(sep=' ')} is not after {describe(newer)}; "
        "a capture describes the data as it is now, so it cannot be dated earlier "
        "(import past updates with `dataset-health archive import`)"
    )
