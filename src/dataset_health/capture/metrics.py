"""GX metrics of our own for capture, where GX's built-in one is slow.

``column.mean`` on pandas first scans every value in Python for
``decimal.Decimal`` objects (``convert_pandas_series_decimal_to_float_dtype``):
on a 1-million-row frame with 10 numeric columns that scan was half of the
whole capture (bench/SPEED.md, part c). Capture only asks for the mean of
columns with a numeric dtype, which cannot hold Decimals, so this metric
skips the scan. SQL and Spark compute what GX's ``column.mean`` computes
(the Spark one also accepts ShortType and ByteType, which GX's refuses).
"""

from __future__ import annotations

from typing import Any

from great_expectations.compatibility.pyspark import functions as F
from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.execution_engine import (
    PandasExecutionEngine,
    SparkDFExecutionEngine,
    SqlAlchemyExecutionEngine,
)
from great_expectations.expectations.metrics.column_aggregate_metric_provider import (
    ColumnAggregateMetricProvider,
    column_aggregate_partial,
    column_aggregate_value,
)

NUMERIC_MEAN = "column.dataset_health_numeric_mean"


class ColumnNumericMean(ColumnAggregateMetricProvider):
    """The mean of a column already known to be numeric."""

    metric_name = NUMERIC_MEAN

    @column_aggregate_value(engine=PandasExecutionEngine)
    def _pandas(cls, column: Any, **kwargs: Any) -> Any:
        return column.mean()

    @column_aggregate_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column: Any, **kwargs: Any) -> Any:
        return sa.func.avg(1.0 * column)  # 1.0 *: integer columns average as decimals everywhere

    @column_aggregate_partial(engine=SparkDFExecutionEngine)
    def _spark(cls, column: Any, **kwargs: Any) -> Any:
        return F.mean(column)
