"""Retrying failed deliveries outside a checkpoint run."""

from __future__ import annotations

from dataset_health.actions import AlertLog, retry_failed_deliveries
from dataset_health.actions.alert_log import LogEntry
from dataset_health.actions.message import AlertMessage
from dataset_health.archive.store import ArchiveStore

from .conftest import DATASET


def test_notice_of_a_removed_channel_is_reported_and_kept(checked, alert_log) -> None:
    message = AlertMessage(kind="alert", dataset=DATASET, owner="Ada", update_id="u040", update_time=None,
                           checked_at="2024-02-10T07:00:00+00:00")
    alert_log.record([
        LogEntry(dataset=DATASET, update_id="u040", expectation="x:rows_created", channel="owner_alert_gone",
                 kind="alert", status="failed", attempts=3, error="HTTP 500", delivery_id="msg_1", message=message),
    ])
    [report] = retry_failed_deliveries(checked.project, DATASET)
    assert (report.channel, report.status, report.delivery_id) == ("owner_alert_gone", "failed", "msg_1")
    assert "no longer configured" in report.error
    [notice] = AlertLog(ArchiveStore(checked.archive_url)).undelivered(DATASET)
    assert (notice.delivery_id, notice.attempts, notice.message) == ("msg_1", 3, message)
