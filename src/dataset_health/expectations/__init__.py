"""GX expectations over an update archive. Importing this registers them."""

from dataset_health.expectations.expect_column_latest_value_to_not_be_anomalous import (
    ExpectColumnLatestValueToNotBeAnomalous,
)
from dataset_health.expectations.metrics import ARCHIVE_SERIES, ColumnArchiveSeries

__all__ = ["ARCHIVE_SERIES", "ColumnArchiveSeries", "ExpectColumnLatestValueToNotBeAnomalous"]
