"""The GX metrics our expectations read: the archive in update order.

``column.dh_archive_series`` returns ``[update_id, timestamp, value, label]``
rows ordered by timestamp then update id, oldest first; ``label`` is the
owner's label of the update (``incident``, ``expected``) or None, and always
None on an archive without a label column. It is computed by
one query on SQL engines (SQLite, PostgreSQL, any SQLAlchemy dialect) and by
one sort on pandas, so every expectation judges the same series whatever
engine holds the archive. ``table.dh_archive_rows`` gives whole rows, and
:mod:`~dataset_health.expectations.metrics_columns` several columns at once
for the multivariate expectation; both share :class:`KnowsTableColumns`.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.metrics.column_aggregate_metric_provider import (
    ColumnAggregateMetricProvider,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider
from great_expectations.validator.metric_configuration import MetricConfiguration

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID
from dataset_health.archive.verdicts import LABEL

ARCHIVE_SERIES = "column.dh_archive_series"


class KnowsTableColumns:
    """Mixed into a table metric that must know the archive's columns before it queries.

    Requested columns may be absent (a suite shared by archives of different
    widths); the SQL query must leave them out rather than fail.
    """

    @classmethod
    def _get_evaluation_dependencies(cls, metric, configuration=None, execution_engine=None, runtime_configuration=None):
        dependencies = super()._get_evaluation_dependencies(  # type: ignore[misc]
            metric=metric, configuration=configuration, execution_engine=execution_engine,
            runtime_configuration=runtime_configuration,
        )
        dependencies["table.columns"] = MetricConfiguration("table.columns", metric.metric_domain_kwargs)
        return dependencies


def from_clause(selectable: Any) -> Any:
    """What a query can select from: GX hands over a Select for query assets."""
    if isinstance(selectable, (sa.sql.Select, sa.sql.selectable.TextualSelect)):
        return selectable.subquery()
    return selectable


class ColumnArchiveSeries(ColumnAggregateMetricProvider):
    """``[update_id, timestamp, value, label]`` of every archived update, oldest first."""

    metric_name = ARCHIVE_SERIES
    value_keys = ("timestamp_column", "update_id_column")
    default_kwarg_values = {"timestamp_column": TIMESTAMP, "update_id_column": UPDATE_ID}

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        frame, _, accessor = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.COLUMN)
        order = [metric_value_kwargs["timestamp_column"], metric_value_kwargs["update_id_column"]]
        ordered = frame.sort_values(order, kind="mergesort")
        labels = ordered[LABEL] if LABEL in ordered else pd.Series(None, index=ordered.index, dtype=object)
        rows = zip(ordered[order[1]], ordered[order[0]], ordered[accessor["column"]], labels)
        return [_row(row) for row in rows]

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        selectable, _, accessor = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.COLUMN)
        selectable = from_clause(selectable)
        stamp = sa.column(metric_value_kwargs["timestamp_column"])
        update_id = sa.column(metric_value_kwargs["update_id_column"])
        label = sa.column(LABEL) if LABEL in metrics["table.columns"] else sa.null()
        query = (
            sa.select(update_id, stamp, sa.column(accessor["column"]), label)
            .select_from(selectable)
            .order_by(stamp, update_id)
        )
        return [_row(row) for row in execution_engine.execute_query(query).fetchall()]


def _isoformat(stamp: Any) -> str | None:
    if stamp is None or stamp is pd.NaT:
        return None
    # Read without pandas what SQL engines return, at every row of every check (100,000s):
    # naive datetimes, and from SQLite text ("2024-01-03 00:00:00.000000").
    if type(stamp) is datetime and stamp.tzinfo is None:
        return stamp.isoformat()
    if type(stamp) is str:
        return _text_isoformat(stamp)
    return pd.Timestamp(stamp).isoformat()


@functools.lru_cache(maxsize=2**16)
def _text_isoformat(stamp: str) -> str:
    # Cached: every metric of a check reads the same stamps (a series per judged
    # column), and parsing them was a third of a check of 26,000 SQLite updates.
    if "." not in stamp or len(stamp.rpartition(".")[2]) <= 6:
        try:  # (Python cuts a fraction finer than microseconds; pandas keeps it)
            parsed = datetime.fromisoformat(stamp)
        except ValueError:
            pass  # a form only pandas reads
        else:
            if parsed.tzinfo is None:
                return parsed.isoformat()
    return pd.Timestamp(stamp).isoformat()


def _row(row: Any) -> list[Any]:
    update_id, stamp, value, label = row
    stamp = _isoformat(stamp)
    label = label if isinstance(label, str) and label else None
    return [None if update_id is None else str(update_id), stamp, value, label]


ARCHIVE_ROWS = "table.dh_archive_rows"


class TableArchiveRows(KnowsTableColumns, TableMetricProvider):
    """Archived updates as dicts of ``update_id``, ``timestamp`` and the
    requested ``columns`` (those the archive has), oldest first."""

    metric_name = ARCHIVE_ROWS
    value_keys = ("columns", "timestamp_column", "update_id_column")
    default_kwarg_values = {"columns": (), "timestamp_column": TIMESTAMP, "update_id_column": UPDATE_ID}

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        frame, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        stamp, update_id = metric_value_kwargs["timestamp_column"], metric_value_kwargs["update_id_column"]
        wanted = [c for c in metric_value_kwargs["columns"] or () if c in frame.columns]
        ordered = frame.sort_values([stamp, update_id], kind="mergesort")[[update_id, stamp, *wanted]]
        return [_record(dict(zip(ordered.columns, values)), stamp, update_id)
                for values in ordered.itertuples(index=False, name=None)]

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        selectable = from_clause(selectable)
        stamp, update_id = metric_value_kwargs["timestamp_column"], metric_value_kwargs["update_id_column"]
        present = set(metrics["table.columns"])
        wanted = [c for c in metric_value_kwargs["columns"] or () if c in present]
        columns = (update_id, stamp, *wanted)
        query = (
            sa.select(*(sa.column(c) for c in columns))
            .select_from(selectable)
            .order_by(sa.column(stamp), sa.column(update_id))
        )
        # Zipped with the names selected: a row's mapping costs more than the rest of the record.
        return [_record(dict(zip(columns, row)), stamp, update_id)
                for row in execution_engine.execute_query(query).fetchall()]


def _record(row: dict[str, Any], stamp: str, update_id: str) -> dict[str, Any]:
    row[TIMESTAMP] = _isoformat(row.pop(stamp))
    row[UPDATE_ID] = str(row.pop(update_id))
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
