"""The metadata of one update, computed from a GX batch with GX metrics.

The same code profiles a pandas DataFrame, a SQL table (pushed down to its
database: GX folds the aggregate metrics of every column into two SELECTs
plus row counts, whatever the width; tests/scale/test_capture_queries.py
counts them) or a Spark DataFrame, because it only asks the batch's execution engine for metrics. It
asks twice: once for the columns and their types, then for every metric of
every column in one graph resolution.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from great_expectations.expectations.row_conditions import Column
from great_expectations.validator.metric_configuration import MetricConfiguration
from great_expectations.validator.metrics_calculator import MetricsCalculator

from dataset_health.archive.schema import metric_column
from dataset_health.capture.freshness import lag_hours, latest_text_date
from dataset_health.capture.metrics import NUMERIC_MEAN
from dataset_health.errors import CaptureError

#: GX's own column.mean scans pandas columns value by value for Decimals.
_METRIC_NAMES = {"mean": NUMERIC_MEAN}

# Whole words only: "INTERVAL" and "POINT" contain "INT" but are not numbers.
_NUMERIC_SQL_TYPE = re.compile(
    r"\b(TINY|SMALL|MEDIUM|BIG|U)?INT(EGER|\d+)?\b|FLOAT|DOUBLE|NUMERIC|DECIMAL|REAL|NUMBER", re.IGNORECASE
)

_TEXT_SQL_TYPE = re.compile(r"CHAR|TEXT|STRING|CLOB", re.IGNORECASE)


def profile_batch(
    batch: Any,
    *,
    dataset: str,
    key_column: str | None = None,
    freshness_column: str | None = None,
    columns: Iterable[str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Archive fields describing ``batch``: volume, schema, nulls, ranges, freshness.

    Parameters
    ----------
    batch : great_expectations Batch
        The monitored dataset as it is after the update.
    dataset : str
        Its name, for error messages.
    key_column : str, optional
        A column that should be unique: its duplicates are counted.
    freshness_column : str, optional
        A date/time column: hours from its newest value to ``now``.
    columns : iterable of str, optional
        Profile only these columns (default: all).
    now : datetime, optional
        The capture time (default: the current UTC time).
    """
    calculator = _calculator(batch)
    domain = {"batch_id": batch.id}
    table = _compute(calculator, dataset, {
        "columns": MetricConfiguration("table.columns", domain),
        "types": MetricConfiguration("table.column_types", domain, {"include_nested": False}),
        "row_count": MetricConfiguration("table.row_count", domain),
    })
    all_columns = list(table["columns"])
    chosen = list(columns) if columns is not None else all_columns
    for name in [key_column, freshness_column, *chosen]:
        if name is None:
            continue
        if name not in all_columns:
            raise CaptureError(
                f"dataset {dataset!r}: column {name!r} is not in the data; columns: {', '.join(map(str, all_columns))}"
            )
        # GX finds a column by its case-folded name, so for "id" after "ID" it
        # would profile "ID": refuse rather than archive wrong numbers.
        first = next(other for other in all_columns if str(other).casefold() == str(name).casefold())
        if first != name:
            raise CaptureError(
                f"dataset {dataset!r}: column {name!r} differs from column {first!r} only in case, "
                "which GX cannot tell apart; leave it out with columns="
            )
    types = {entry["name"]: entry["type"] for entry in table["types"]}
    numeric = {name for name in chosen if _is_numeric(types.get(name))}

    wanted: dict[tuple[str, str], MetricConfiguration] = {}
    for name in set(chosen) | {c for c in (key_column, freshness_column) if c}:
        column_domain = {**domain, "column": name}
        wanted[(name, "nulls")] = MetricConfiguration("column_values.null.count", column_domain)
        wanted[(name, "distinct")] = MetricConfiguration("column.distinct_values.count", column_domain)
        for stat in ("min", "max", "mean") if name in numeric else ():
            wanted[(name, stat)] = MetricConfiguration(_METRIC_NAMES.get(stat, f"column.{stat}"), column_domain)
    text_dates = bool(freshness_column) and _is_text(types.get(freshness_column))
    if freshness_column:
        # Over non-null values only: pandas cannot take the max of text with NaN in it.
        not_null_condition = Column(freshness_column).is_not_null().dict()
        not_null = {**domain, "column": freshness_column, "row_condition": not_null_condition}
        # Native dates and times have a max; text has to be parsed, value by value.
        wanted[(freshness_column, "newest")] = (
            MetricConfiguration("column.distinct_values", not_null)
            if text_dates
            else MetricConfiguration("column.max", not_null, {"parse_strings_as_datetimes": False})
        )
    stats = _compute(calculator, dataset, wanted) if wanted else {}

    row_count = int(table["row_count"])
    schema = [[str(name), _type_name(types.get(name))] for name in all_columns]
    fields: dict[str, Any] = {
        "row_count": row_count,
        "column_count": len(all_columns),
        "schema": json.dumps(schema),
        "schema_fingerprint": hashlib.sha256(json.dumps(schema).encode()).hexdigest()[:16],
    }
    # SQL sums the null count of an empty table to NULL; it is 0.
    nulls = {name: int(stats[(name, "nulls")] or 0) for name, metric in stats if metric == "nulls"}
    for name in chosen:
        fields[metric_column("null_fraction", name)] = nulls[name] / row_count if row_count else None
        fields[metric_column("distinct_count", name)] = stats[(name, "distinct")]
        for stat in ("min", "max", "mean") if name in numeric else ():
            fields[metric_column(stat, name)] = _number(stats[(name, stat)])
    if key_column:
        non_null = row_count - nulls[key_column]
        fields["duplicate_key_count"] = non_null - stats[(key_column, "distinct")]
    if freshness_column:
        newest = stats[(freshness_column, "newest")]
        if text_dates:
            newest = latest_text_date(dataset, freshness_column, newest)
        fields["freshness_lag_hours"] = lag_hours(dataset, freshness_column, newest, now)
    return fields


def read_all_rows(batch: Any) -> pd.DataFrame:
    """Every row of ``batch`` as a DataFrame, on any engine.

    ``Batch.head`` would do, but it forces GX's progress bars onto stderr.
    """
    return _calculator(batch).head(fetch_all=True, domain_kwargs={"batch_id": batch.id})


def _calculator(batch: Any) -> MetricsCalculator:
    engine = batch.data.execution_engine
    # A batch from a shared context may not be the engine's active one.
    engine.batch_manager.load_batch_list(batch_list=[batch])
    return MetricsCalculator(execution_engine=engine, show_progress_bars=False)


def _compute(calculator: MetricsCalculator, dataset: str, wanted: dict[Any, MetricConfiguration]) -> dict[Any, Any]:
    results, aborted = calculator.compute_metrics(list(wanted.values()), min_graph_edges_pbar_enable=10**9)
    if aborted:
        # One line naming the metric and column, not GX's JSON dump with tracebacks.
        failure = next(iter(aborted.values()))
        config = failure["metric_configuration"]
        column = config.metric_domain_kwargs.get("column")
        where = f" of column {column!r}" if column is not None else ""
        reason = str(failure["exception_info"].get("exception_message") or "unknown error").strip()
        reason = reason.splitlines()[0] if reason else "unknown error"
        raise CaptureError(f"dataset {dataset!r}: GX could not compute {config.metric_name}{where}: {reason}")
    return {key: results[config.id] for key, config in wanted.items()}


def _is_numeric(kind: Any) -> bool:
    # GX reports types per engine: numpy dtypes for pandas, SQLAlchemy types
    # for SQLite, pyspark DataTypes for Spark, type-name strings for
    # PostgreSQL and other dialects.
    if isinstance(kind, np.dtype):
        return bool(np.issubdtype(kind, np.number)) and not np.issubdtype(kind, np.bool_)
    if isinstance(kind, sa.types.TypeEngine):
        return isinstance(kind, (sa.types.Integer, sa.types.Numeric))
    # Looked up, not imported: pyspark is loaded only when a Spark batch exists.
    spark_numeric = getattr(sys.modules.get("pyspark.sql.types"), "NumericType", None)
    if spark_numeric is not None and isinstance(kind, spark_numeric):
        return True  # IntegerType(), LongType(), DecimalType(10,2)... ("LongType" matches no SQL name)
    # "INTEGER[]" (a PostgreSQL array) names a number type but is not a number.
    return kind is not None and "[" not in str(kind) and bool(_NUMERIC_SQL_TYPE.search(str(kind)))


def _is_text(kind: Any) -> bool:
    # pandas keeps text in object columns, which may hold dates too (a
    # Parquet date column): those parse as well as text does. SQLite returns
    # the max of a DATETIME column as text, but sorted right: it stays a max.
    if isinstance(kind, (np.dtype, pd.api.extensions.ExtensionDtype)):
        return pd.api.types.is_object_dtype(kind) or pd.api.types.is_string_dtype(kind)
    if isinstance(kind, sa.types.TypeEngine):
        return isinstance(kind, sa.types.String)
    spark_string = getattr(sys.modules.get("pyspark.sql.types"), "StringType", None)
    if spark_string is not None and isinstance(kind, spark_string):
        return True
    return kind is not None and "[" not in str(kind) and bool(_TEXT_SQL_TYPE.search(str(kind)))


def _type_name(kind: Any) -> str:
    return str(kind).lower() if kind is not None else "unknown"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None
