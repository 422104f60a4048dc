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


def refuse_unless_newest(conn: sa.Connection, dataset: str, update_id: str, stamp: datetime | None) -> None:
    """BadInputError unless ``update_id`` at ``stamp`` is, or would be, ``dataset``'s newest update.

    Without ``stamp`` only an older update captured again is refused.
    """
    name = archive_table_name(dataset)
    if not sa.inspect(conn).has_table(name):
        return
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    id_column, stamp_column = table.c[UPDATE_ID], table.c[TIMESTAMP]
    newest = conn.execute(
        sa.select(id_column, stamp_column).order_by(stamp_column.desc(), id_column.desc()).limit(1)
    ).first()
    if newest is None or newest[0] == update_id:
        return
    newest_text = f"the newest archived update is {newest[0]!r} at {newest[1].isoformat(sep=' ')}"
    if conn.execute(sa.select(id_column).where(id_column == update_id)).first() is not None:
        raise BadInputError(
            f"dataset {dataset!r}: update {update_id!r} is archived and {newest_text}; capturing it again "
            "would replace its numbers with the data as it is now"
        )
    if stamp is not None and stamp < newest[1]:
        raise BadInputError(
            f"dataset {dataset!r}: field {TIMESTAMP!r}: {stamp.isoformat(sep=' ')} is before {newest_text}; "
            "a capture describes the data as it is now, so it cannot be dated earlier "
            "(import past updates with `dataset-health archive import`)"
        )
