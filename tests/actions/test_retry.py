"""Retrying failed deliveries outside a checkpoint run."""

from __future__ import annotations

import yaml

from dataset_health.actions import AlertLog, retry_failed_deliveries
from dataset_health.actions.alert_log import LogEntry
from dataset_health.actions.message import AlertMessage
from dataset_health.archive.store import ArchiveStore
from dataset_health.health_check import run_health_check
from dataset_health.project import Project

from ._servers import closed_port
from .conftest import DATASET, FAST, OWNER, make_project


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


def test_a_notice_is_not_sent_after_its_owner_opts_out(tmp_path, receiver, monkeypatch) -> None:
    monkeypatch.setenv("DH_RETRY_URL", f"http://127.0.0.1:{closed_port()}/hook")
    owner = {**OWNER, "channels": [{"type": "slack", "webhook_url": "${DH_RETRY_URL}", **FAST}]}
    project = make_project(tmp_path / "project", owner)
    run_health_check(project, DATASET)
    [failed] = AlertLog(ArchiveStore(project.archive_url)).undelivered(DATASET)

    settings = project.root / "dataset_health.yml"
    config = yaml.safe_load(settings.read_text(encoding="utf-8"))
    config["datasets"][DATASET]["owner"]["opted_in"] = False
    settings.write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setenv("DH_RETRY_URL", receiver.url("/hook"))  # the endpoint is back, the consent is not

    [report] = retry_failed_deliveries(Project.load(project.root), DATASET)
    assert (report.status, report.delivery_id) == ("failed", failed.delivery_id)
    assert "no longer" in report.error
    assert receiver.requests == []

    config["datasets"][DATASET]["owner"]["opted_in"] = True
    settings.write_text(yaml.safe_dump(config), encoding="utf-8")
    [report] = retry_failed_deliveries(Project.load(project.root), DATASET)
    assert report.status == "sent" and len(receiver.requests) == 1
