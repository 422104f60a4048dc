"""GX batches of a monitored dataset, from a DataFrame (pandas or Spark), a file or a SQL table.

Each call uses its own ephemeral GX context, so capture never touches the
project's GX configuration and two captures never share datasource names.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from dataset_health.errors import CaptureError

_FILE_READERS = {".csv": "read_csv", ".parquet": "read_parquet", ".pq": "read_parquet"}


def _ephemeral_context() -> Any:
    import great_expectations as gx

    return gx.get_context(mode="ephemeral")


def dataframe_batch(frame: pd.DataFrame, *, dataset: str) -> Any:
    """A GX batch of an in-memory DataFrame."""
    if not isinstance(frame, pd.DataFrame):
        raise CaptureError(f"dataset {dataset!r}: expected a pandas DataFrame, got {type(frame).__name__}")
    source = _ephemeral_context().data_sources.add_pandas("dataset_health_capture")
    asset = source.add_dataframe_asset(name="dataset")
    return asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame})


def spark_batch(frame: Any, *, dataset: str) -> Any:
    """A GX batch of a Spark DataFrame; its metrics run in Spark.

    Needs pyspark (``pip install 'dataset-health[spark]'``) and a Java
    runtime; the DataFrame's SparkSession is used as it is.
    """
    try:
        from pyspark.sql import DataFrame as SparkDataFrame
    except ImportError:
        raise CaptureError(f"dataset {dataset!r}: Spark capture needs pyspark: pip install 'dataset-health[spark]'") from None
    if not isinstance(frame, SparkDataFrame):
        raise CaptureError(f"dataset {dataset!r}: expected a Spark DataFrame, got {type(frame).__name__}")
    source = _ephemeral_context().data_sources.add_spark("dataset_health_capture")
    asset = source.add_dataframe_asset(name="dataset")
    return asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame})


def file_batch(path: str | Path, *, dataset: str) -> Any:
    """A GX batch of a CSV or Parquet file, read by GX's pandas datasource."""
    path = Path(path)
    reader = _FILE_READERS.get(path.suffix.lower())
    if reader is None:
        raise CaptureError(
            f"dataset {dataset!r}: cannot read {str(path)!r}: expected one of {', '.join(_FILE_READERS)}"
        )
    if not path.exists():
        raise CaptureError(f"dataset {dataset!r}: file {str(path)!r} does not exist")
    source = _ephemeral_context().data_sources.add_pandas("dataset_health_capture")
    try:
        return getattr(source, reader)(path)
    except Exception as exc:  # pandas raises many kinds; report them as one
        raise CaptureError(f"dataset {dataset!r}: cannot read {str(path)!r}: {exc}") from None


def sql_batch(url: str, table: str, *, dataset: str, schema: str | None = None) -> Any:
    """A GX batch of a SQL table; its metrics run in the database."""
    missing = _missing_sqlite_file(url)
    if missing:
        # SQLite would create an empty database there, and then find no table in it.
        raise CaptureError(f"dataset {dataset!r}: the SQL URL names a SQLite database {missing!r} that does not exist")
    try:
        # add_sql tests the connection: a bad URL or a down server fails here.
        source = _ephemeral_context().data_sources.add_sql("dataset_health_capture", connection_string=url)
        asset = source.add_table_asset(name="dataset", table_name=table, schema_name=schema)
        return asset.add_batch_definition_whole_table("whole").get_batch()
    except Exception as exc:  # GX wraps driver errors in its own types
        raise CaptureError(f"dataset {dataset!r}: cannot read table {table!r}: {_driver_error(exc)}") from None


def _driver_error(exc: BaseException) -> str:
    """What the database driver said, when GX wrapped it: GX quotes its repr, escapes and all."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sa.exc.DBAPIError) and seen.orig is not None:
            lines = [line.strip() for line in str(seen.orig).strip().splitlines() if line.strip()]
            # psycopg's hint ("Is the server running ...?") is on a line of its own; what
            # follows "LINE 2:" only points into the SQL GX wrote.
            kept = list(itertools.takewhile(lambda line: not line.startswith("LINE "), lines))
            if kept:
                return " ".join(kept)
        seen = seen.__cause__ or seen.__context__
    return _first_line(exc)


def _missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite URL's database file when that file does not exist, else None."""
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return None  # reported by GX's connection test, as any bad URL
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return None if Path(database).expanduser().exists() else database


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
