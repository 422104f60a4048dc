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
    stray_values,
)
from dataset_health.archive.store import AppendResult, ArchiveStore
from dataset_health.archive.verdicts import ANNOTATION_FIELDS, LABEL, LABEL_NOTE, labelled_history
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
    value is reported with its update id and field. ``timestamp_column`` and
    ``update_id_column`` name the columns that become ``timestamp`` and
    ``update_id``; a file that also has a column of the target name is
    refused (which one is meant cannot be known), and so is a file with
    columns dataset-health writes itself (labels, check summaries).
    """
    path = Path(path)
    where = f"archive CSV {str(path)!r}"
    try:
        # header=None: the header is checked here (empty names, duplicates),
        # and a row longer than the header is an error, not an index column.
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, header=None)
    except FileNotFoundError:
        raise BadInputError(f"{where} does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        hint = " (a row has more fields than the header: a trailing comma?)" if "Expected" in str(exc) else ""
        raise BadInputError(f"{where} cannot be read: {str(exc).strip()}{hint}") from None

    originals = [str(name).strip() for name in raw.iloc[0]]
    for position, name in enumerate(originals, start=1):
        if not name:
            trailing = " (a trailing comma?)" if position == len(originals) else ""
            raise SchemaError(
                f"{where}: the header has an empty column name at position {position}{trailing}; "
                "name the column or remove it"
            )
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = [_normalise_header(c) for c in originals]
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise SchemaError(f"{where}: column {duplicated[0]!r} appears twice")
    columns = list(frame.columns)
    timestamp_column = _normalise_header(timestamp_column)
    if timestamp_column not in columns:
        raise SchemaError(f"{where} has no timestamp column {timestamp_column!r}; columns: {', '.join(originals)}")
    id_column = _normalise_header(update_id_column) if update_id_column else None
    if id_column == timestamp_column == UPDATE_ID:
        id_column = None  # the default id column is the timestamp column: ids from the timestamps
    elif id_column == timestamp_column:
        raise SchemaError(
            f"{where}: --update-id-column and --timestamp-column both name {id_column!r}; "
            "leave --update-id-column out to use the timestamps as update ids"
        )
    if id_column not in columns:
        if id_column not in (None, UPDATE_ID):
            raise SchemaError(f"{where} has no update id column {id_column!r}; columns: {', '.join(originals)}")
        id_column = None
    renames = {timestamp_column: TIMESTAMP, **({id_column: UPDATE_ID} if id_column else {})}
    for source, target in renames.items():
        # A column already called like the target that is not renamed itself:
        # which of the two is meant cannot be known.
        if source != target and target in columns and target not in renames:
            option = "--timestamp-column" if target == TIMESTAMP else "--update-id-column"
            raise SchemaError(
                f"{where}: {option} {source!r}: the file also has a column {target!r}; rename or drop one"
            )
    if id_column is None and UPDATE_ID in columns and UPDATE_ID not in renames:
        raise SchemaError(
            f"{where}: no update id column was asked for, but the file has a column {UPDATE_ID!r}; "
            "drop it or use it as the update id column"
        )
    if frame.empty:
        raise BadInputError(f"{where} has a header but no rows")

    frame = frame.rename(columns=renames)
    frame = frame.drop(columns=[CAPTURED_AT], errors="ignore")
    written = [c for c in frame.columns if c in ANNOTATION_FIELDS]
    if written:
        raise SchemaError(
            f"{where}: column {written[0]!r} is written by dataset-health itself "
            f"({_ANNOTATION_WRITERS.get(written[0], 'the summary each health check writes of its verdicts')}) "
            "and cannot be imported; drop it from the file"
        )
    if id_column is None:
        frame[UPDATE_ID] = [_id_from_timestamp(path, value, n) for n, value in enumerate(frame[TIMESTAMP], start=2)]
        repeated = frame[UPDATE_ID][frame[UPDATE_ID].duplicated()]
        if not repeated.empty:
            raise BadInputError(
                f"{where}: timestamp {repeated.iloc[0]!r} appears twice and there is "
                "no update_id column to tell the updates apart"
            )
    return frame[[UPDATE_ID, TIMESTAMP] + [c for c in frame.columns if c not in (UPDATE_ID, TIMESTAMP)]]


_ANNOTATION_WRITERS = {
    LABEL: "owners' labels, set with 'dataset-health label'",
    LABEL_NOTE: "owners' labels, set with 'dataset-health label'",
}


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
    try:
        frame = read_archive_csv(path, timestamp_column=timestamp_column, update_id_column=update_id_column)
    except BadInputError as exc:
        raise type(exc)(f"dataset {dataset!r}: {exc}") from None
    # A column the archive already has keeps its kind: a stray word in a
    # numeric column is a bad value (named with its update), not text, and a
    # text column stays text when this file's values happen to look numeric.
    archived = store.column_kinds(dataset) if store.exists(dataset) else {}
    _refuse_stray_values(dataset, path, frame, archived)
    inferred = {c for c in infer_text_fields(frame) if archived.get(c) != "number"}
    text_fields = inferred | {c for c in frame.columns if archived.get(c) == "text"}
    return store.append(dataset, frame, text_fields=text_fields)


_SHOWN_STRAY = 5


def _refuse_stray_values(dataset: str, path: str | Path, frame: pd.DataFrame, archived: dict[str, str]) -> None:
    """One error for a new column of numbers with a few cells that are not:
    archived as text, the metric would be lost for good."""
    stray = {name: cells for name, cells in stray_values(frame).items() if archived.get(name) != "text"}
    if not stray:
        return
    name, cells = next(iter(stray.items()))
    shown = ", ".join(
        f"line {position + 2} (update {frame[UPDATE_ID].iloc[position]!r}): {value!r}"
        for position, value in cells[:_SHOWN_STRAY]
    )
    more = f" and {len(cells) - _SHOWN_STRAY} more" if len(cells) > _SHOWN_STRAY else ""
    others = f" (field{'s' if len(stray) > 2 else ''} {', '.join(map(repr, list(stray)[1:]))} too)" if len(stray) > 1 else ""
    raise BadInputError(
        f"dataset {dataset!r}: archive CSV {str(path)!r}: field {name!r} holds numbers but "
        f"{len(cells)} cell{'s' if len(cells) > 1 else ''} that {'are' if len(cells) > 1 else 'is'} not: "
        f"{shown}{more}{others}. Empty {'those cells' if len(cells) > 1 else 'that cell'} (a missing value) "
        f"or correct {'them' if len(cells) > 1 else 'it'}, and import again; nothing was archived. "
        "(A new column is archived as text only when "
        "most of its values are not numbers.)"
    )


def export_csv(store: ArchiveStore, dataset: str, path: str | Path) -> int:
    """Write ``dataset``'s archive to a CSV file; returns the number of rows."""
    # The check's verdicts and the owner's labels are not what the update did:
    # read back as metrics they would judge the detector by itself
    # (``export_labels`` writes the labels on their own).
    frame = store.history(dataset)
    frame = frame.drop(columns=[c for c in (CAPTURED_AT, *ANNOTATION_FIELDS) if c in frame])
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
