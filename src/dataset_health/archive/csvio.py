"""Archives as CSV files, in the format of the labelled benchmark.

A file has a ``timestamp`` column (ISO 8601; UTC when it has no zone) and
one column per metric; an ``update_id`` column is optional. Without one, the
timestamp is the update id, so two rows with one timestamp are an error.
Header names are normalised (trimmed, lower-cased, spaces and dashes to
``_``), so ``Rows Created`` imports as ``rows_created``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from dataset_health.archive.schema import (
    CAPTURED_AT,
    TIMESTAMP,
    UPDATE_ID,
    infer_text_fields,
    parse_timestamp,
)
from dataset_health.archive.store import AppendResult, ArchiveStore
from dataset_health.archive.verdicts import LABEL, LABEL_NOTE, SUMMARY_FIELDS, labelled_history
from dataset_health.errors import BadInputError, SchemaError, writing


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def read_archive_csv(
    path: str | Path,
    *,
    timestamp_column: str = TIMESTAMP,
    update_id_column: str | None = UPDATE_ID,
) -> pd.DataFrame:
    """Read an archive CSV into raw records: ``update_id``, ``timestamp``, metrics.

    Values stay as text; :meth:`ArchiveStore.append` coerces them, so a bad
    value is reported with its update id and field.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise BadInputError(f"archive CSV {str(path)!r} does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise BadInputError(f"archive CSV {str(path)!r} cannot be read: {exc}") from None

    originals = list(frame.columns)
    frame.columns = [_normalise_header(c) for c in originals]
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise SchemaError(f"archive CSV {str(path)!r}: column {duplicated[0]!r} appears twice")
    timestamp_column = _normalise_header(timestamp_column)
    if timestamp_column not in frame.columns:
        raise SchemaError(
            f"archive CSV {str(path)!r} has no timestamp column {timestamp_column!r}; "
            f"columns: {', '.join(originals)}"
        )
    if frame.empty:
        raise BadInputError(f"archive CSV {str(path)!r} has a header but no rows")

    frame = frame.rename(columns={timestamp_column: TIMESTAMP})
    frame = frame.drop(columns=[CAPTURED_AT], errors="ignore")
    id_column = _normalise_header(update_id_column) if update_id_column else None
    if id_column and id_column in frame.columns:
        frame = frame.rename(columns={id_column: UPDATE_ID})
    else:
        frame[UPDATE_ID] = [_id_from_timestamp(path, value, n) for n, value in enumerate(frame[TIMESTAMP], start=2)]
        repeated = frame[UPDATE_ID][frame[UPDATE_ID].duplicated()]
        if not repeated.empty:
            raise BadInputError(
                f"archive CSV {str(path)!r}: timestamp {repeated.iloc[0]!r} appears twice and there is "
                "no update_id column to tell the updates apart"
            )
    return frame[[UPDATE_ID, TIMESTAMP] + [c for c in frame.columns if c not in (UPDATE_ID, TIMESTAMP)]]


def _id_from_timestamp(path: Path, value: str, line: int) -> str:
    try:
        return parse_timestamp(value).isoformat()
    except ValueError as exc:
        raise BadInputError(f"archive CSV {str(path)!r}, line {line}: field {TIMESTAMP!r}: {exc}") from None


def import_csv(
    store: ArchiveStore,
    dataset: str,
    path: str | Path,
    *,
    timestamp_column: str = TIMESTAMP,
    update_id_column: str | None = UPDATE_ID,
) -> AppendResult:
    """Append every row of an archive CSV to ``dataset``'s archive, atomically."""
    frame = read_archive_csv(path, timestamp_column=timestamp_column, update_id_column=update_id_column)
    # A column the archive already has keeps its kind: a stray word in a
    # numeric column is a bad value (named with its update), not text, and a
    # text column stays text when this file's values happen to look numeric.
    archived = store.column_kinds(dataset) if store.exists(dataset) else {}
    inferred = {c for c in infer_text_fields(frame) if archived.get(c) != "number"}
    text_fields = inferred | {c for c in frame.columns if archived.get(c) == "text"}
    return store.append(dataset, frame, text_fields=text_fields)


def export_csv(store: ArchiveStore, dataset: str, path: str | Path) -> int:
    """Write ``dataset``'s archive to a CSV file; returns the number of rows."""
    # The check's verdicts and the owner's labels are not what the update did:
    # read back as metrics they would judge the detector by itself
    # (``export_labels`` writes the labels on their own).
    frame = store.history(dataset)
    frame = frame.drop(columns=[c for c in (CAPTURED_AT, *SUMMARY_FIELDS, LABEL, LABEL_NOTE) if c in frame])
    frame[TIMESTAMP] = _csv_timestamps(frame[TIMESTAMP])
    for name in frame.columns:
        column = frame[name]
        values = column.dropna()
        # Only whole numbers a float holds exactly fit Int64; larger ones stay floats.
        if pd.api.types.is_float_dtype(column) and ((values % 1 == 0) & (values.abs() <= 2**53)).all():
            frame[name] = column.astype("Int64")  # counts read back as they were written
    ordered = [TIMESTAMP, UPDATE_ID] + [c for c in frame.columns if c not in (TIMESTAMP, UPDATE_ID)]
    _write(frame[ordered], path, dataset)
    return len(frame)


def export_labels(store: ArchiveStore, dataset: str, path: str | Path) -> int:
    """Write the owner's labels of ``dataset``'s updates to a CSV file, one row
    per archive row in :func:`export_csv`'s order; returns how many are incidents."""
    _, labels = labelled_history(store, dataset)
    labels[TIMESTAMP] = _csv_timestamps(labels[TIMESTAMP])
    _write(labels, path, dataset)
    return int(labels["is_anomaly"].sum())


def _csv_timestamps(stamps: pd.Series) -> pd.Series:
    return stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str.replace(r"\.0+$", "", regex=True)


def _write(frame: pd.DataFrame, path: str | Path, dataset: str) -> None:
    with writing(path, dataset=dataset, urls=True) as target:
        frame.to_csv(target, index=False)
