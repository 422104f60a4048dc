"""Archive fields from Socrata view metadata (pure parsing, no HTTP).

Two records describe a dataset as it is now:

- the metadata API (``/api/views/metadata/v1/{id}``): ``dataUpdatedAt``, an
  ISO 8601 time, changes when the data changes;
- the views API (``/api/views/{id}.json``): ``rowsUpdatedAt`` (seconds since
  the epoch) and ``columns``, each with ``cachedContents`` statistics that
  Socrata computes itself, every value a string: ``count``, ``null``,
  ``non_null``, ``cardinality``, ``smallest``, ``largest``, ``average``.

They become the same archive fields that a GX profile of the rows gives
(``row_count``, ``column_count``, ``schema``, ``schema_fingerprint``,
``null_fraction__<col>``, ``distinct_count__<col>``, and ``min__``/``max__``/
``mean__`` of numeric columns), with column names from ``fieldName`` as SODA
returns them. Statistics that are absent or not numbers are left out:
``cachedContents`` is advisory, and one odd value must not stop an archive.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from dataset_health.archive.schema import is_missing, metric_column, parse_number, parse_timestamp

#: Socrata column types holding numbers (SODA sends their values as strings).
NUMERIC_TYPES = frozenset({"number", "money", "percent", "double"})
DATE_TYPES = frozenset({"calendar_date", "date", "floating_timestamp", "fixed_timestamp"})


def data_updated_at(metadata: Mapping[str, Any]) -> datetime | None:
    """``dataUpdatedAt`` of a metadata-API record as naive UTC, if it has one."""
    return _parse_time(metadata.get("dataUpdatedAt"))


def rows_updated_at(view: Mapping[str, Any]) -> datetime | None:
    """``rowsUpdatedAt`` (epoch seconds) of a views-API record as naive UTC."""
    return _parse_time(view.get("rowsUpdatedAt"))


def data_columns(view: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The view's data columns: system columns (``:id``, meta_data) left out."""
    columns = view.get("columns")
    return [
        column
        for column in (columns if isinstance(columns, list) else [])
        if isinstance(column, Mapping)
        and _field_name(column)
        and not _field_name(column).startswith(":")
        and column.get("dataTypeName") != "meta_data"
    ]


def view_fields(view: Mapping[str, Any]) -> dict[str, Any]:
    """Archive fields from a views-API record's columns and their cached statistics.

    Examples
    --------
    >>> fields = view_fields({"columns": [{"fieldName": "rowkey", "dataTypeName": "number",
    ...     "cachedContents": {"count": "10", "null": "2", "non_null": "8", "cardinality": "8",
    ...                        "smallest": "4474", "largest": "9000"}}]})
    >>> fields["null_fraction__rowkey"], fields["distinct_count__rowkey"], fields["min__rowkey"]
    (0.2, 8.0, 4474.0)
    """
    columns = data_columns(view)
    schema = [[_field_name(c), str(c.get("dataTypeName") or "")] for c in columns]
    fields: dict[str, Any] = {
        "column_count": len(columns),
        "schema": json.dumps(schema),
        "schema_fingerprint": hashlib.sha256(json.dumps(schema).encode()).hexdigest()[:16],
    }
    totals = []
    for column in columns:
        name = _field_name(column)
        cached = column.get("cachedContents")
        if not isinstance(cached, Mapping):
            continue
        nulls, non_nulls, count = (_number(cached.get(k)) for k in ("null", "non_null", "count"))
        total = count if count is not None else (nulls + non_nulls if nulls is not None and non_nulls is not None else None)
        if total is not None:
            totals.append(total)
        if nulls is not None and total:
            fields[metric_column("null_fraction", name)] = nulls / total
        if (distinct := _number(cached.get("cardinality"))) is not None:
            fields[metric_column("distinct_count", name)] = distinct
        if column.get("dataTypeName") in NUMERIC_TYPES:
            for metric, key in (("min", "smallest"), ("max", "largest"), ("mean", "average")):
                if (value := _number(cached.get(key))) is not None:
                    fields[metric_column(metric, name)] = value
    if totals:
        # Every column counts every row; the largest count is the least stale.
        fields["row_count"] = max(totals)
    return fields


def typed_frame(rows: list[Mapping[str, Any]], view: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """SODA JSON rows as a DataFrame, numbers and dates typed from the view's columns.

    SODA sends numbers as strings; without the view's types a profile would
    see text and compute no min/max/mean.
    """
    columns = data_columns(view or {})
    frame = pd.DataFrame.from_records(list(rows))
    for column in columns:
        name = _field_name(column)
        if name not in frame.columns:
            # SODA leaves null values out of its rows: a column null in every
            # row is absent, and is exactly the column that went empty.
            frame[name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        if column.get("dataTypeName") in NUMERIC_TYPES:
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
        elif column.get("dataTypeName") in DATE_TYPES:
            # ISO8601: with the first value's format, a later one with milliseconds would become NaT.
            frame[name] = pd.to_datetime(frame[name], errors="coerce", utc=True, format="ISO8601").dt.tz_localize(None)
    return frame


def _field_name(column: Mapping[str, Any]) -> str:
    return str(column.get("fieldName") or column.get("name") or "")


def _number(value: Any) -> float | None:
    try:
        return parse_number(value)
    except ValueError:
        return None


def _parse_time(value: Any) -> datetime | None:
    """Naive UTC from ISO 8601 text or epoch seconds (the views API uses both); else None."""
    if is_missing(value) or isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
            return datetime.fromtimestamp(float(value), tz=timezone.utc).replace(tzinfo=None)
        return parse_timestamp(value)
    except (ValueError, OverflowError, OSError):
        return None
