"""The one GX metric our expectations read: an archive column in update order.

``column.dh_archive_series`` returns ``[update_id, timestamp, value]``
triples ordered by timestamp then update id, oldest first. It is computed by
one query on SQL engines (SQLite, PostgreSQL, any SQLAlchemy dialect) and by
one sort on pandas, so every expectation judges the same series whatever
engine holds the archive.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.metrics.column_aggregate_metric_provider import (
    ColumnAggregateMetricProvider,
)
from great_expectations.expectations.metrics.metric_provider import metric_value

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID

ARCHIVE_SERIES = "column.dh_archive_series"


class ColumnArchiveSeries(ColumnAggregateMetricProvider):
    """``[update_id, timestamp, value]`` of every archived update, oldest first."""

    metric_name = ARCHIVE_SERIES
    value_keys = ("timestamp_column", "update_id_column")
    default_kwarg_values = {"timestamp_column": TIMESTAMP, "update_id_column": UPDATE_ID}

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        frame, _, accessor = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.COLUMN)
        order = [metric_value_kwargs["timestamp_column"], metric_value_kwargs["update_id_column"]]
        ordered = frame.sort_values(order, kind="mergesort")
        triples = ordered[[order[1], order[0], accessor["column"]]]
        return [_triple(row) for row in triples.itertuples(index=False, name=None)]

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        selectable, _, accessor = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.COLUMN)
        if isinstance(selectable, (sa.sql.Select, sa.sql.selectable.TextualSelect)):
            selectable = selectable.subquery()
        stamp = sa.column(metric_value_kwargs["timestamp_column"])
        update_id = sa.column(metric_value_kwargs["update_id_column"])
        query = (
            sa.select(update_id, stamp, sa.column(accessor["column"]))
            .select_from(selectable)
            .order_by(stamp, update_id)
        )
        return [_triple(row) for row in execution_engine.execute_query(query).fetchall()]


def _triple(row: Any) -> list[Any]:
    update_id, stamp, value = row
    stamp = None if stamp is None or stamp is pd.NaT else pd.Timestamp(stamp).isoformat()
    return [None if update_id is None else str(update_id), stamp, value]
