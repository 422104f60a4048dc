"""A GX metric for multivariate expectations: several archive columns at once.

``table.dh_archive_columns`` returns the archive column-wise, oldest first
(ordered by timestamp then update id, like ``column.dh_archive_series``)::

    {"update_id": [...], "timestamp": [...], "label": [...],
     "columns": {"rows_created": [...], ...}, "missing": ["absent_column"]}

Requested columns the archive lacks are listed in ``missing`` instead of
failing the query, so one suite can serve archives of different widths.
Column-wise because a multivariate detector wants a frame, and one query
(SQL) or one sort (pandas) per validation whatever the number of columns.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID
from dataset_health.archive.verdicts import LABEL
from dataset_health.expectations.metrics import KnowsTableColumns, _isoformat, from_clause

ARCHIVE_COLUMNS = "table.dh_archive_columns"


class TableArchiveColumns(KnowsTableColumns, TableMetricProvider):
    """The requested archive ``columns``, column-wise, oldest update first."""

    metric_name = ARCHIVE_COLUMNS
    value_keys = ("columns", "timestamp_column", "update_id_column")
    default_kwarg_values = {"columns": (), "timestamp_column": TIMESTAMP, "update_id_column": UPDATE_ID}

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        frame, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        stamp, update_id = metric_value_kwargs["timestamp_column"], metric_value_kwargs["update_id_column"]
        wanted, missing = _split(metric_value_kwargs["columns"], frame.columns)
        ordered = frame.sort_values([stamp, update_id], kind="mergesort")
        labels = ordered[LABEL] if LABEL in ordered else [None] * len(ordered)
        rows = zip(ordered[update_id], ordered[stamp], labels, *(ordered[c] for c in wanted))
        return _columnwise(rows, wanted, missing)

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        selectable = from_clause(selectable)
        stamp, update_id = metric_value_kwargs["timestamp_column"], metric_value_kwargs["update_id_column"]
        present = list(metrics["table.columns"])
        wanted, missing = _split(metric_value_kwargs["columns"], present)
        label = sa.column(LABEL) if LABEL in present else sa.null()
        query = (
            sa.select(sa.column(update_id), sa.column(stamp), label, *(sa.column(c) for c in wanted))
            .select_from(selectable)
            .order_by(sa.column(stamp), sa.column(update_id))
        )
        return _columnwise(execution_engine.execute_query(query).fetchall(), wanted, missing)


def _split(requested: Any, present: Any) -> tuple[list[str], list[str]]:
    """Requested columns the archive has, and those it lacks, in request order."""
    have = set(present)
    requested = list(dict.fromkeys(requested or ()))
    return [c for c in requested if c in have], [c for c in requested if c not in have]


def _columnwise(rows: Any, wanted: list[str], missing: list[str]) -> dict[str, Any]:
    ids, stamps, labels = [], [], []
    values: list[list[Any]] = [[] for _ in wanted]
    for update_id, stamp, label, *row in rows:
        ids.append(None if update_id is None else str(update_id))
        stamps.append(_isoformat(stamp))
        labels.append(label if isinstance(label, str) and label else None)
        for column, value in zip(values, row):
            column.append(None if value is None or (isinstance(value, float) and value != value) else value)
    return {UPDATE_ID: ids, TIMESTAMP: stamps, LABEL: labels, "columns": dict(zip(wanted, values)),
            "missing": missing}


__all__ = ["ARCHIVE_COLUMNS", "TableArchiveColumns"]
