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
    later = sa.or_(stamp_column > stamp, sa.and_(stamp_column == stamp, id_column > update_id))
    newer = conn.execute(
        sa.select(id_column, stamp_column).where(later, id_column != update_id)
        .order_by(stamp_column.desc(), id_column.desc()).limit(1)
    ).first()
    if newer is None:
        return
    newest_text = f"the newest archived update is {newer[0]!r} at {newer[1].isoformat(sep=' ')}"
    if conn.execute(sa.select(id_column).where(id_column == update_id)).first() is not None:
        raise BadInputError(
            f"dataset {dataset!r}: update {update_id!r} is archived and {newest_text}; capturing it again "
            "would replace its numbers with the data as it is now"
        )
    if stamped_now:
        raise BadInputError(
            f"dataset {dataset!r}: {newest_text}, later than now ({stamp.isoformat(sep=' ')} UTC): "
            "a future-dated import or a clock that is ahead; give the capture a timestamp after it"
        )
    raise BadInputError(
        f"dataset {dataset!r}: field {TIMESTAMP!r}: {stamp.isoformat(sep=' ')} is not after {newest_text}; "
        "a capture describes the data as it is now, so it cannot be dated earlier "
        "(import past updates with `dataset-health archive import`)"
    )
