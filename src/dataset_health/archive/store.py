"""The archive store: one table per monitored dataset, one row per update.

Built on SQLAlchemy Core so that any database with a SQLAlchemy dialect can
hold an archive; SQLite (a file, the default) and PostgreSQL are tested.

Promises, each kept by one mechanism:

- *Idempotent*: ``update_id`` is the primary key; appending an update again
  replaces the fields it provides and keeps one row.
- *Schema growth*: a field the table lacks becomes a new nullable column;
  older rows read it as missing.
- *Concurrent writers lose nothing*: every write runs in one transaction
  that first takes the database's write lock (``BEGIN IMMEDIATE`` on SQLite,
  a transaction-scoped advisory lock on PostgreSQL), so table creation,
  column additions and the upsert of two processes never interleave.
- *All or nothing*: values are coerced and checked before the transaction
  starts, and the whole append (DDL included; both databases have
  transactional DDL) commits or rolls back as one. A process killed
  mid-append leaves the archive as it was before it.
- *A check sees one state*: while :meth:`ArchiveStore.holding_updates` is
  held (a health check runs), appends of new updates wait, so every
  expectation of a check judges the same newest update. Annotations
  (verdicts, labels) do not wait. On PostgreSQL the gate is per dataset (a
  shared/exclusive advisory lock); on SQLite, which has one writer at a
  time anyway, it is per database (``flock`` on ``<file>-dh-updates.lock``).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from dataset_health.archive.schema import (
    CAPTURED_AT,
    TEXT_FIELDS,
    TIMESTAMP,
    UPDATE_ID,
    UpdateRecord,
    coerce_record,
    slug,
)
from dataset_health.errors import ArchiveError, BadInputError, ConfigError

REGISTRY_TABLE = "dh_datasets"
_SQLITE_BUSY_TIMEOUT_S = 60
#: How long an append of new updates waits for running health checks.
UPDATE_GATE_TIMEOUT_S = 900.0
_GATE_SUFFIX = "-dh-updates.lock"


@dataclass(frozen=True)
class AppendResult:
    """What one append did."""

    dataset: str
    inserted: int
    replaced: int
    added_columns: tuple[str, ...] = ()


def archive_table_name(dataset: str) -> str:
    return f"dh_archive__{slug(dataset)}"


def snapshot_table_name(dataset: str) -> str:
    return f"dh_snapshot__{slug(dataset)}"


def _check_dataset_name(dataset: str) -> str:
    if not isinstance(dataset, str) or not dataset.strip():
        raise ConfigError("a dataset name must be a non-empty string")
    if any(ch in dataset for ch in "\r\n\t\x00"):
        raise ConfigError(f"dataset name {dataset!r} contains control characters")
    if len(dataset) > 200:
        raise ConfigError(f"dataset name {dataset[:40]!r}... is longer than 200 characters")
    return dataset


def _sqlite_engine(url: sa.URL) -> Engine:
    engine = sa.create_engine(url, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S})

    # pysqlite opens transactions lazily and in DEFERRED mode; two writers then
    # deadlock on lock upgrade. Take over BEGIN so writes start IMMEDIATE.
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_S * 1000}")
        _enable_wal(cursor, engine.dialect.dbapi.OperationalError)
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("dh_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _enable_wal(cursor: Any, locked_error: type[Exception]) -> None:
    # Turning a new file to WAL needs an exclusive lock, and SQLite reports
    # "database is locked" at once, without waiting for the busy timeout, when
    # another process holds a lock: two writers opening a new archive together.
    # Retry until the mode is set (by us or by them), within the busy timeout.
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except locked_error as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def create_archive_engine(url: str) -> Engine:
    """A SQLAlchemy engine for an archive URL, tuned for safe concurrent writes."""
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise ConfigError(f"archive URL {_hide_password(url)!r} is not a SQLAlchemy URL: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    try:
        return sa.create_engine(parsed, pool_pre_ping=True)
    except (ImportError, SQLAlchemyError) as exc:
        raise ConfigError(f"archive URL {parsed.render_as_string()!r}: {exc}") from None


class ArchiveStore:
    """Read and write update archives in one database.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL, e.g. ``sqlite:///archive.db`` or
        ``postgresql+psycopg://user@host/db``.

    Examples
    --------
    >>> store = ArchiveStore("sqlite://")
    >>> store.append("filings", [{"update_id": "r1", "timestamp": "2024-01-02T06:00",
    ...                           "rows_created": "24,847"}]).inserted
    1
    >>> store.history("filings")["rows_created"].tolist()
    [24847.0]
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_archive_engine(url)
        self.dialect = self.engine.dialect.name

    # ------------------------------------------------------------------ reads
    def datasets(self) -> list[str]:
        """Names of the datasets that have an archive here."""
        with self._reading() as conn:
            if not sa.inspect(conn).has_table(REGISTRY_TABLE):
                return []
            registry = self._registry(sa.MetaData())
            return list(conn.execute(sa.select(registry.c.name).order_by(registry.c.name)).scalars())

    def exists(self, dataset: str) -> bool:
        return dataset in self.datasets()

    def table_name(self, dataset: str) -> str:
        """The archive table of ``dataset``; ConfigError if it has none."""
        if not self.exists(dataset):
            if self.missing_file:
                raise ConfigError(f"dataset {dataset!r} has no archive: the archive database "
                                  f"{self.missing_file!r} does not exist (moved or deleted?); "
                                  "a capture or an import starts a new one there")
            raise ConfigError(
                f"dataset {dataset!r} has no archive in {self.safe_url}; "
                f"known datasets: {', '.join(self.datasets()) or 'none'}"
            )
        return archive_table_name(dataset)

    def history(
        self,
        dataset: str,
        *,
        columns: Iterable[str] | None = None,
        last: int | None = None,
    ) -> pd.DataFrame:
        """The archive of ``dataset``, oldest update first."""
        name = self.table_name(dataset)
        with self._reading() as conn:
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            wanted = [table.c[c] for c in columns] if columns is not None else list(table.c)
            order = (table.c[TIMESTAMP], table.c[UPDATE_ID])
            if last is not None:
                newest = sa.select(*wanted).order_by(*(c.desc() for c in order)).limit(last)
                rows = list(reversed(conn.execute(newest).all()))
            else:
                rows = conn.execute(sa.select(*wanted).order_by(*order)).all()
        frame = pd.DataFrame(rows, columns=[c.name for c in wanted])
        if TIMESTAMP in frame:
            frame[TIMESTAMP] = pd.to_datetime(frame[TIMESTAMP], format="ISO8601")  # precision varies by row
        return frame

    def column_kinds(self, dataset: str) -> dict[str, str]:
        """``"text"`` or ``"number"`` for each metadata column of ``dataset``'s archive."""
        name = self.table_name(dataset)
        with self._reading() as conn:
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
        return {
            c.name: "text" if isinstance(c.type, sa.String) else "number"
            for c in table.c
            if c.name not in (UPDATE_ID, TIMESTAMP, CAPTURED_AT)
        }

    def snapshot(self, dataset: str) -> dict[str, str]:
        """The key -> row-hash snapshot stored by the last keyed capture."""
        with self._reading() as conn:
            name = snapshot_table_name(dataset)
            if not sa.inspect(conn).has_table(name):
                return {}
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            return {key: row_hash for key, row_hash in conn.execute(sa.select(table.c["key"], table.c["row_hash"]))}

    # ----------------------------------------------------------------- writes
    def append(
        self,
        dataset: str,
        records: Iterable[Mapping[str, Any] | UpdateRecord] | pd.DataFrame,
        *,
        text_fields: Iterable[str] = (),
        snapshot: Mapping[str, str] | None = None,
        annotation: bool = False,
        conn: Connection | None = None,
    ) -> AppendResult:
        """Archive updates of ``dataset``, creating or widening its table.

        Every record is coerced before anything is written; a bad value
        raises :class:`BadInputError` naming the update and field, and the
        archive is left exactly as it was. ``snapshot`` (key -> row hash)
        replaces the dataset's stored snapshot in the same transaction.
        With ``annotation`` the records add fields (verdicts, labels) to
        updates already archived, and their ``captured_at`` stays as it was;
        otherwise the append waits while a health check of ``dataset`` runs.
        With ``conn`` (from :meth:`writing`) the append joins that
        transaction instead of committing on its own.
        """
        _check_dataset_name(dataset)
        text_fields = frozenset(text_fields)
        coerced = self._coerce_all(dataset, records, text_fields)
        captured_at = datetime.now(timezone.utc).replace(tzinfo=None)
        rows = [record.as_row(captured_at) for record in coerced]
        column_types = _column_types(coerced, TEXT_FIELDS | text_fields)
        try:
            with nullcontext(conn) if conn is not None else self._writing(None if annotation else dataset) as conn:
                table, added = self._ensure_table(conn, dataset, column_types)
                _fit_to_column_types(dataset, table, rows)
                existing = _existing_ids(conn, table, [r[UPDATE_ID] for r in rows])
                self._upsert(conn, table, rows, keep=(CAPTURED_AT,) if annotation else ())
                if snapshot is not None:
                    self._replace_snapshot(conn, dataset, snapshot)
        except SQLAlchemyError as exc:
            raise ArchiveError(
                f"dataset {dataset!r}: could not write to the archive at {self.safe_url}: "
                f"{_first_line(exc)}"
            ) from exc
        return AppendResult(dataset, len(rows) - len(existing), len(existing), added)

    def set_values(self, dataset: str, update_id: str, values: Mapping[str, Any]) -> None:
        """Write fields (verdicts, labels) onto an archived update."""
        self.append(
            dataset,
            [{UPDATE_ID: update_id, TIMESTAMP: self._timestamp_of(dataset, update_id), **values}],
            text_fields=[k for k, v in values.items() if isinstance(v, str)],
            annotation=True,
        )

    # ---------------------------------------------------------------- helpers
    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return sa.make_url(self.url).render_as_string(hide_password=True)

    @property
    def missing_file(self) -> str | None:
        """The path of a SQLite archive file that does not exist (yet), else None."""
        url = self.engine.url
        path = url.database
        if self.dialect != "sqlite" or not path or path == ":memory:" or url.query.get("uri"):
            return None
        return None if Path(path).exists() else path

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        # Connecting creates a SQLite file: a read of a moved or deleted archive
        # would leave an empty one behind for the next capture to fill, history
        # silently gone. Such a read sees an empty database instead.
        engine = sa.create_engine("sqlite://") if self.missing_file else self.engine
        try:
            with engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise ArchiveError(
                f"could not read the archive at {self.safe_url}: {_first_line(exc)}"
            ) from exc

    @contextmanager
    def writing(self, dataset: str | None = None) -> Iterator[Connection]:
        """One write transaction holding the database's write lock; commits on exit.

        With ``dataset``, it also waits for running health checks of that
        dataset (see :meth:`holding_updates`): use it to archive new updates.
        Database errors become :class:`ArchiveError`.
        """
        try:
            with self._writing(dataset) as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise ArchiveError(f"could not write to the archive at {self.safe_url}: {_first_line(exc)}") from exc

    @contextmanager
    def holding_updates(self, dataset: str) -> Iterator[None]:
        """While held, no new update of ``dataset`` is archived (appends wait).

        A health check holds it so that all its expectations judge the same
        newest update; several checks may hold it at once. Verdict and label
        writes do not wait for it.
        """
        if self.dialect == "postgresql":
            key = {"key": _update_gate_key(dataset)}
            try:
                conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            except SQLAlchemyError as exc:
                raise ArchiveError(f"could not read the archive at {self.safe_url}: {_first_line(exc)}") from exc
            try:
                try:
                    conn.execute(sa.text("SELECT pg_advisory_lock_shared(:key)"), key)
                except SQLAlchemyError as exc:
                    raise ArchiveError(f"could not read the archive at {self.safe_url}: {_first_line(exc)}") from exc
                yield
            except BaseException:
                conn.invalidate()  # the session may hold the lock: end it rather than pool it
                conn.close()
                raise
            try:
                conn.execute(sa.text("SELECT pg_advisory_unlock_shared(:key)"), key)
            except SQLAlchemyError:
                conn.invalidate()  # ending the session releases the lock just as well
            conn.close()
        else:
            with self._file_gate(exclusive=False):
                yield

    @contextmanager
    def _writing(self, gate: str | None = None) -> Iterator[Connection]:
        file_gate = self._file_gate(exclusive=True) if gate is not None else nullcontext()
        with file_gate, self.engine.connect().execution_options(dh_write=True) as conn:
            with conn.begin():
                if self.dialect == "postgresql":
                    # Gate first, then the write lock: a check holding the gate
                    # writes its verdicts under the write lock alone.
                    if gate is not None:
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _update_gate_key(gate)})
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
                yield conn

    def _file_gate(self, *, exclusive: bool):  # -> ContextManager[None]
        database = self.engine.url.database if self.dialect == "sqlite" else None
        if not database or database == ":memory:" or database.startswith("file:"):
            return nullcontext()  # other dialects, or a private in-memory database
        return _flock(database + _GATE_SUFFIX, exclusive=exclusive, timeout=UPDATE_GATE_TIMEOUT_S)

    def _registry(self, metadata: sa.MetaData) -> sa.Table:
        return sa.Table(
            REGISTRY_TABLE,
            metadata,
            sa.Column("name", sa.Text, primary_key=True),
            sa.Column("table_name", sa.Text, nullable=False, unique=True),
            sa.Column("created_at", sa.DateTime, nullable=False),
        )

    def _ensure_table(
        self, conn: Connection, dataset: str, column_types: Mapping[str, sa.types.TypeEngine]
    ) -> tuple[sa.Table, tuple[str, ...]]:
        name = archive_table_name(dataset)
        inspector = sa.inspect(conn)
        if not inspector.has_table(REGISTRY_TABLE):
            self._registry(sa.MetaData()).create(conn)
        if not inspector.has_table(name):
            registry = self._registry(sa.MetaData())
            owner = conn.execute(
                sa.select(registry.c.name).where(registry.c.table_name == name)
            ).scalar()
            if owner is not None and owner != dataset:
                raise ArchiveError(f"datasets {owner!r} and {dataset!r} map to one archive table {name!r}")
            sa.Table(
                name,
                sa.MetaData(),
                sa.Column(UPDATE_ID, sa.Text, primary_key=True),
                sa.Column(TIMESTAMP, sa.DateTime, nullable=False, index=True),
                sa.Column(CAPTURED_AT, sa.DateTime, nullable=False),
            ).create(conn)
            conn.execute(
                registry.insert().values(name=dataset, table_name=name, created_at=datetime.now(timezone.utc).replace(tzinfo=None))
            )
        table = sa.Table(name, sa.MetaData(), autoload_with=conn)
        added = tuple(c for c in column_types if c not in table.c)
        # A field first archived while it was empty got a number column; the
        # first text for it retypes that column, which holds nothing to lose.
        retyped = tuple(
            c for c, kind in column_types.items()
            if c in table.c and isinstance(kind, sa.String) and _is_number_column(table.c[c])
            and conn.execute(sa.select(sa.func.count()).where(table.c[c].is_not(None))).scalar() == 0
        )
        preparer = conn.dialect.identifier_preparer
        for column in retyped:
            conn.exec_driver_sql(f"ALTER TABLE {preparer.quote(name)} DROP COLUMN {preparer.quote(column)}")
        for column in (*retyped, *added):
            ddl_type = column_types[column].compile(dialect=conn.dialect)
            conn.exec_driver_sql(
                f"ALTER TABLE {preparer.quote(name)} ADD COLUMN {preparer.quote(column)} {ddl_type}"
            )
        if added or retyped:
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
        return table, added

    def _upsert(
        self, conn: Connection, table: sa.Table, rows: list[dict[str, Any]], keep: tuple[str, ...] = ()
    ) -> None:
        """Insert new updates; on existing ones replace the given fields except ``keep``."""
        # Group by provided fields so that an update replaces only what it names.
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(tuple(row), []).append(row)
        for fields, group in groups.items():
            if self.dialect in ("sqlite", "postgresql"):
                dialect_insert = sqlite.insert if self.dialect == "sqlite" else postgresql.insert
                statement = dialect_insert(table)
                statement = statement.on_conflict_do_update(
                    index_elements=[UPDATE_ID],
                    set_={f: statement.excluded[f] for f in fields if f != UPDATE_ID and f not in keep},
                )
                conn.execute(statement, group)
            else:  # any other dialect: replace in two steps inside the same transaction
                ids = [r[UPDATE_ID] for r in group]
                present = _existing_ids(conn, table, ids)
                updates = [r for r in group if r[UPDATE_ID] in present]
                inserts = [r for r in group if r[UPDATE_ID] not in present]
                for row in updates:
                    changes = {k: v for k, v in row.items() if k not in keep}
                    conn.execute(table.update().where(table.c[UPDATE_ID] == row[UPDATE_ID]).values(changes))
                if inserts:
                    conn.execute(table.insert(), inserts)

    def _replace_snapshot(self, conn: Connection, dataset: str, snapshot: Mapping[str, str]) -> None:
        table = sa.Table(
            snapshot_table_name(dataset),
            sa.MetaData(),
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("row_hash", sa.Text, nullable=False),
        )
        table.create(conn, checkfirst=True)
        conn.execute(table.delete())
        if snapshot:
            conn.execute(table.insert(), [{"key": k, "row_hash": h} for k, h in snapshot.items()])

    def timestamps(self, dataset: str, update_ids: list[str]) -> dict[str, datetime]:
        """The timestamp of each archived update id; BadInputError names a missing one."""
        name = self.table_name(dataset)
        found: dict[str, datetime] = {}
        with self._reading() as conn:
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            for start in range(0, len(update_ids), 500):  # stay under SQLite's bound-parameter limit
                chunk = update_ids[start : start + 500]
                query = sa.select(table.c[UPDATE_ID], table.c[TIMESTAMP]).where(table.c[UPDATE_ID].in_(chunk))
                found.update({update_id: stamp for update_id, stamp in conn.execute(query)})
        missing = [u for u in update_ids if u not in found]
        if missing:
            raise BadInputError(f"dataset {dataset!r} has no archived update {missing[0]!r}")
        return found

    def _timestamp_of(self, dataset: str, update_id: str) -> datetime:
        return self.timestamps(dataset, [update_id])[update_id]

    @staticmethod
    def _coerce_all(
        dataset: str,
        records: Iterable[Mapping[str, Any] | UpdateRecord] | pd.DataFrame,
        text_fields: frozenset[str],
    ) -> list[UpdateRecord]:
        if isinstance(records, pd.DataFrame):
            records = records.to_dict(orient="records")
        coerced: dict[str, UpdateRecord] = {}
        for raw in records:
            record = raw if isinstance(raw, UpdateRecord) else coerce_record(dataset, raw, text_fields=text_fields)
            previous = coerced.get(record.update_id)
            if previous is not None and previous != record:
                raise BadInputError(
                    f"dataset {dataset!r}: update {record.update_id!r} appears twice with different values"
                )
            coerced[record.update_id] = record
        if not coerced:
            raise BadInputError(f"dataset {dataset!r}: nothing to archive (no updates given)")
        return list(coerced.values())


def _column_types(records: list[UpdateRecord], text_fields: frozenset[str]) -> dict[str, sa.types.TypeEngine]:
    # A text field is text even when this batch only has it missing: its
    # column must not be created numeric and then refuse the first value.
    types: dict[str, sa.types.TypeEngine] = {}
    for record in records:
        for name, value in record.values.items():
            if isinstance(value, str) or name in text_fields:
                types[name] = sa.Text()
            else:
                types.setdefault(name, sa.Double())
    return types


def _fit_to_column_types(dataset: str, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Check ``rows`` against the archive's column types, naming the update and field.

    Text for a number column that holds numbers is refused: PostgreSQL
    refuses it too, with a driver error that names neither, and SQLite would
    keep it in a column read back as numbers. Raised inside the write, it
    leaves the archive as it was. A number for a text column is written as
    the text it reads as ("5", not SQLite's "5.0"), so both backends
    archive the same value.
    """
    numeric = {column.name for column in table.c if _is_number_column(column)}
    text = {column.name for column in table.c if isinstance(column.type, sa.String)}
    for row in rows:
        for name, value in row.items():
            if isinstance(value, str) and name in numeric:
                raise BadInputError(
                    f"dataset {dataset!r}, update {row[UPDATE_ID]!r}: field {name!r} is archived as a number, "
                    f"got text {value!r}; send a number (or nothing), or archive the text under a new field name"
                )
            if isinstance(value, float) and name in text:
                row[name] = _number_as_text(value)


def _is_number_column(column: sa.Column) -> bool:
    return isinstance(column.type, (sa.Numeric, sa.Integer))


def _number_as_text(value: float) -> str:
    """``5.0`` as "5", ``0.25`` as "0.25": how the number was most likely written."""
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def _existing_ids(conn: Connection, table: sa.Table, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        found.update(conn.execute(sa.select(table.c[UPDATE_ID]).where(table.c[UPDATE_ID].in_(chunk))).scalars())
    return found


# One lock for the whole database: the registry is shared by every dataset,
# and writes are short, so finer locks would buy little.
_ADVISORY_LOCK_KEY = int.from_bytes(hashlib.sha1(b"dataset-health archive").digest()[:8], "big", signed=True)


def _update_gate_key(dataset: str) -> int:
    digest = hashlib.sha1(f"dataset-health updates of {archive_table_name(dataset)}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def _flock(path: str, *, exclusive: bool, timeout: float) -> Iterator[None]:
    """A shared or exclusive lock on ``path``, released when its holder ends or dies."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): an exclusive lock serves both modes
        from filelock import FileLock

        with FileLock(path, timeout=timeout):
            yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + timeout
        flag = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        while True:
            try:
                fcntl.flock(fd, flag)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ArchiveError(
                        f"a health check kept {path!r} locked for {timeout:g} s; the update was not archived, "
                        "try again when it has finished"
                    ) from None
                time.sleep(0.02)
        yield
    finally:
        # Unlock explicitly: a child forked meanwhile shares the descriptor,
        # and closing ours alone would leave the lock held through its copy.
        # (A holder that dies releases it with its descriptors.)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _hide_password(url: str) -> str:
    """``url`` with its password masked, for a URL that SQLAlchemy cannot parse."""
    return re.sub(r"(://[^/@:]*:)[^@]*@", r"\1***@", url)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
