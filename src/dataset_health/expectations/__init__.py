"""GX expectations over an update archive. Importing this registers them."""

from dataset_health.expectations.expect_column_latest_value_to_be_within_seasonal_range import (
    ExpectColumnLatestValueToBeWithinSeasonalRange,
)
from dataset_health.expectations.expect_column_latest_value_to_not_be_anomalous import (
    ExpectColumnLatestValueToNotBeAnomalous,
)
from dataset_health.expectations.expect_table_latest_row_to_not_be_anomalous import (
    ExpectTableLatestRowToNotBeAnomalous,
)
from dataset_health.expectations.expect_table_schema_to_match_previous_update import (
    ExpectTableSchemaToMatchPreviousUpdate,
)
from dataset_health.expectations.expect_table_to_be_updated_on_schedule import (
    ExpectTableToBeUpdatedOnSchedule,
)
from dataset_health.expectations.metrics import ARCHIVE_ROWS, ARCHIVE_SERIES, ColumnArchiveSeries, TableArchiveRows
from dataset_health.expectations.metrics_columns import ARCHIVE_COLUMNS, TableArchiveColumns

__all__ = [
    "ARCHIVE_COLUMNS",
    "ARCHIVE_ROWS",
    "ARCHIVE_SERIES",
    "ColumnArchiveSeries",
    "ExpectColumnLatestValueToBeWithinSeasonalRange",
    "ExpectColumnLatestValueToNotBeAnomalous",
    "ExpectTableLatestRowToNotBeAnomalous",
    "ExpectTableSchemaToMatchPreviousUpdate",
    "ExpectTableToBeUpdatedOnSchedule",
    "TableArchiveColumns",
    "TableArchiveRows",
]
