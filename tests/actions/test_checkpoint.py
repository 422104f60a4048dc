"""End to end: the real health checkpoint alerts the owner through every
channel configured in dataset_health.yml, once; then announces recovery."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dataset_health.actions import AlertLog, retry_failed_deliveries
from dataset_health.archive.store import ArchiveStore
from dataset_health.archive.verdicts import read_verdicts, set_label
from dataset_health.health_check import run_health_check
from dataset_health.health_suite import suite_name
from dataset_health.project import Project

from ._servers import closed_port, verify_standard_webhook
from .conftest import DATASET, FAST, OWNER, PARTIAL_ID, archive_rows, make_project
from .test_webhook import SECRET


@pytest.fixture
def alerted_project(tmp_path, receiver, smtp_server, cert, monkeypatch) -> tuple[Project, object]:
    smtp = smtp_server()
    monkeypatch.setenv("DH_CP_DEAD_URL", f"http://127.0.0.1:{closed_port()}/hook")
    monkeypatch.setenv("DH_CP_URL", receiver.url("/hook"))
    monkeypatch.setenv("DH_CP_SLACK_URL", receiver.url("/slack"))
    monkeypatch.setenv("DH_CP_SECRET", SECRET)
    owner = {
        **OWNER,
        "channels": [
            # First, and unreachable: its failure must not stop the channels after it.
            {"type": "webhook", "url": "${DH_CP_DEAD_URL}", "secret": "${DH_CP_SECRET}", **FAST},
            {"type": "webhook", "url": "${DH_CP_URL}", "secret": "${DH_CP_SECRET}", **FAST},
            {"type": "slack", "webhook_url": "${DH_CP_SLACK_URL}", **FAST},
            {"type": "email", "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "sender": "dh@example.org",
             "ca_file": str(cert.cert_file), **FAST},
        ],
    }
    return make_project(tmp_path / "project", owner), smtp


def posted(receiver, path: str) -> list:
    return [r for r in receiver.requests if r.path == path]


def load_checkpoint_in_fresh_process(project: Project, copy: Path) -> subprocess.Popen:
    """Start a new interpreter that loads the checkpoint after ``import dataset_health``.

    It runs on a copy of gx/ (the test goes on rewriting the checkpoint) and in
    the background: importing GX takes seconds, which the test overlaps.
    """
    shutil.copytree(project.gx_dir, copy / "gx")
    script = (
        "import json, dataset_health, great_expectations as gx\n"
        f"context = gx.get_context(mode='file', project_root_dir={str(copy)!r})\n"
        f"checkpoint = context.checkpoints.get({suite_name(DATASET)!r})\n"
        "print(json.dumps([a.type for a in checkpoint.actions]))\n"
    )
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_alert_once_then_recovery(alerted_project, receiver, monkeypatch, tmp_path) -> None:
    project, smtp = alerted_project
    log = AlertLog(ArchiveStore(project.archive_url))

    # 1. The partial load: every working channel alerts, the dead one is recorded.
    first = run_health_check(project, DATASET)
    assert not first.success and first.update_id == PARTIAL_ID
    [hook] = posted(receiver, "/hook")
    event = verify_standard_webhook(SECRET, hook)
    assert event["type"] == "dataset_health.update.unhealthy"
    data = event["data"]
    assert (data["dataset"], data["owner"], data["update_id"]) == (DATASET, OWNER["name"], PARTIAL_ID)
    assert [f["label"] for f in data["failures"]] == ["rows_created"]
    assert data["failures"][0]["observed"] == 40 and "rows_created 40" in data["failures"][0]["reason"]
    assert Path(data["docs_link"]).is_file()
    [slack] = posted(receiver, "/slack")
    assert "looks unhealthy" in slack.json()["blocks"][0]["text"]["text"]
    [(_, recipients, mail)] = smtp.messages
    assert recipients == [OWNER["email"]] and "rows_created" in mail.get_body(("plain",)).get_content()

    rows = log.entries(DATASET)
    by_channel = dict(zip(rows["channel"], zip(rows["status"], rows["attempts"])))
    assert by_channel == {
        "owner_alert_webhook": ("failed", 3),
        "owner_alert_webhook_2": ("sent", 1),
        "owner_alert_slack": ("sent", 1),
        "owner_alert_email": ("sent", 1),
    }
    # The checkpoint ran to the end: its result is stored, the verdicts written.
    assert list((project.gx_dir / "uncommitted" / "validations").rglob("*.json"))
    assert set(read_verdicts(ArchiveStore(project.archive_url), DATASET)["update_id"]) == {PARTIAL_ID}
    notes = log.notes(DATASET)
    assert "owner_alert_webhook_2: alert sent (rows_created), 1 attempt" in notes
    assert any(n.startswith("owner_alert_webhook: alert failed (rows_created): http://127.0.0.1:") for n in notes)
    # The checkpoint file keeps the ${VARS}, and loads elsewhere once the plugin is imported.
    stored = json.loads(next((project.gx_dir / "checkpoints").glob("*.json")).read_text())
    alerts = [a for a in stored["actions"] if a["name"].startswith("owner_alert")]
    assert [a["type"] for a in alerts] == [
        "dataset_health_webhook", "dataset_health_webhook", "dataset_health_slack", "dataset_health_email",
    ]
    assert (alerts[0]["url"], alerts[0]["secret"]) == ("${DH_CP_DEAD_URL}", "${DH_CP_SECRET}")
    fresh = load_checkpoint_in_fresh_process(project, tmp_path / "copy")

    # 2. The same update checked again: no repeat anywhere.
    run_health_check(project, DATASET)
    assert len(posted(receiver, "/hook")) == 1 and len(posted(receiver, "/slack")) == 1 and len(smtp.messages) == 1
    second = log.entries(DATASET).iloc[len(rows):]
    assert set(second.loc[second["channel"] != "owner_alert_webhook", "status"]) == {"suppressed"}

    # 3. The dead endpoint comes back: failed deliveries are retried, same event id.
    monkeypatch.setenv("DH_CP_DEAD_URL", receiver.url("/hook"))
    reports = retry_failed_deliveries(project, DATASET)
    assert [(r.channel, r.status) for r in reports] == [("owner_alert_webhook", "sent")] * 2
    retried = posted(receiver, "/hook")[1:]
    assert {r.headers["webhook-id"] for r in retried} == {r.delivery_id for r in reports}
    for request in retried:
        assert verify_standard_webhook(SECRET, request)["data"]["update_id"] == PARTIAL_ID
    assert retry_failed_deliveries(project, DATASET) == []

    # 4. A healthy update: each channel that alerted says it recovered.
    store = ArchiveStore(project.archive_url)
    store.append(DATASET, archive_rows(41, 42))
    third = run_health_check(project, DATASET)
    assert third.success and third.update_id == "u041"
    recovery = verify_standard_webhook(SECRET, posted(receiver, "/hook")[-1])
    assert recovery["type"] == "dataset_health.check.recovered"
    assert recovery["data"]["update_id"] == "u041" and [r["label"] for r in recovery["data"]["recoveries"]] == ["rows_created"]
    assert "recovered, rows_created passes again" in posted(receiver, "/slack")[-1].json()["text"]
    assert "recovered" in smtp.messages[-1][2]["Subject"]
    assert len(posted(receiver, "/slack")) == 2 and len(smtp.messages) == 2

    out, err = fresh.communicate(timeout=300)
    assert fresh.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])[-4:] == [a["type"] for a in alerts]


def test_dataset_without_opted_in_owner_is_not_alerted(tmp_path, receiver) -> None:
    project = make_project(tmp_path / "project", {"name": "Ada", "opted_in": False})
    result = run_health_check(project, DATASET)

    assert not result.success
    assert AlertLog(ArchiveStore(project.archive_url)).notes(DATASET) == ["not alerted: no opted-in owner"]
    assert receiver.requests == []


def test_an_acknowledged_anomaly_is_not_alerted_again(tmp_path, receiver, monkeypatch) -> None:
    monkeypatch.setenv("DH_ACK_URL", receiver.url("/ack"))
    monkeypatch.setenv("DH_ACK_SECRET", SECRET)
    owner = {**OWNER, "channels": [{"type": "webhook", "url": "${DH_ACK_URL}", "secret": "${DH_ACK_SECRET}",
                                    "renotify_after_hours": 0, **FAST}]}
    project = make_project(tmp_path / "project", owner)
    run_health_check(project, DATASET)
    assert len(posted(receiver, "/ack")) == 1

    set_label(ArchiveStore(project.archive_url), DATASET, PARTIAL_ID, "expected", note="court closed early")
    again = run_health_check(project, DATASET)  # re-notify is due (0 h), but the owner has answered
    assert not again.success
    assert len(posted(receiver, "/ack")) == 1
    assert "acknowledged by the owner as expected" in " ".join(AlertLog(ArchiveStore(project.archive_url)).notes(DATASET))


def test_a_non_http_webhook_url_is_reported_and_the_check_goes_on(tmp_path, receiver, monkeypatch) -> None:
    monkeypatch.setenv("DH_BAD_URL", f"ftp://127.0.0.1:{receiver.port}/hook")
    monkeypatch.setenv("DH_GOOD_URL", receiver.url("/good"))
    monkeypatch.setenv("DH_BAD_SECRET", SECRET)
    owner = {**OWNER, "channels": [{"type": "webhook", "url": "${DH_BAD_URL}", "secret": "${DH_BAD_SECRET}", **FAST},
                                   {"type": "webhook", "url": "${DH_GOOD_URL}", "secret": "${DH_BAD_SECRET}", **FAST}]}
    project = make_project(tmp_path / "project", owner)
    result = run_health_check(project, DATASET)

    assert not result.success and len(posted(receiver, "/good")) == 1 and len(receiver.requests) == 1
    [bad, good] = result.alert_notes
    assert bad.startswith("owner_alert_webhook: alert failed (rows_created): configuration error: channel "
                          "owner_alert_webhook of owner 'Ada Byron' (dataset 'court_filings'): setting 'url' must be "
                          "an http:// or https:// URL, not ftp://")
    assert "retry" not in bad and good == "owner_alert_webhook_2: alert sent (rows_created), 1 attempt"
    rows = AlertLog(ArchiveStore(project.archive_url)).entries(DATASET)
    assert rows[["channel", "status", "attempts"]].values.tolist() == [["owner_alert_webhook", "failed", 0],
                                                                       ["owner_alert_webhook_2", "sent", 1]]
