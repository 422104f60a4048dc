"""Secrets never leave the environment: plant them, make deliveries fail in
every way (servers even echo the secret path back), grep every output."""

from __future__ import annotations

import base64
import logging

import sqlalchemy as sa
from click.testing import CliRunner

from dataset_health.actions import AlertLog
from dataset_health.actions.alert_log import ALERT_LOG_TABLE
from dataset_health.archive.store import ArchiveStore
from dataset_health.cli import main
from dataset_health.health_check import run_health_check

from ._servers import Reply, closed_port
from .conftest import DATASET, FAST, OWNER, make_project

TOKEN = "PLANTED-tok-6c1f93be"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"PLANTED-key-0123456789abcdef").decode()
SMTP_PASSWORD = "PLANTED-pw-77e0c2"
PLANTED = (TOKEN, WEBHOOK_SECRET, WEBHOOK_SECRET.removeprefix("whsec_"), SMTP_PASSWORD)


def test_planted_secrets_appear_in_no_output(tmp_path, receiver, smtp_server, cert, monkeypatch, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs request paths at DEBUG
    smtp = smtp_server(login=("dh", SMTP_PASSWORD))
    monkeypatch.setenv("DH_S_HOOK", receiver.url(f"/hook/{TOKEN}?token={TOKEN}"))
    monkeypatch.setenv("DH_S_SLACK", receiver.url(f"/services/{TOKEN}"))
    monkeypatch.setenv("DH_S_DEAD", f"http://dh:{TOKEN}@127.0.0.1:{closed_port()}/{TOKEN}")
    monkeypatch.setenv("DH_S_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("DH_S_SMTP_USER", "dh")
    monkeypatch.setenv("DH_S_SMTP_PASSWORD", SMTP_PASSWORD)
    # The webhook answers 500 quoting its secret path; Slack does not answer in time.
    echo = f"no route for /hook/{TOKEN}?token={TOKEN}".encode()
    receiver.script(*[Reply(500, body=echo)] * 3, *[Reply(200, delay=1.0)] * 2)
    owner = {
        **OWNER,
        "channels": [
            {"type": "webhook", "url": "${DH_S_HOOK}", "secret": "${DH_S_SECRET}", **FAST},
            {"type": "slack", "webhook_url": "${DH_S_SLACK}", **FAST, "timeout_seconds": 0.3, "max_retries": 1},
            {"type": "webhook", "url": "${DH_S_DEAD}", "secret": "${DH_S_SECRET}", **FAST},
            {"type": "email", "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "sender": "dh@example.org",
             "username": "${DH_S_SMTP_USER}", "password": "${DH_S_SMTP_PASSWORD}", "ca_file": str(cert.cert_file), **FAST},
        ],
    }
    project = make_project(tmp_path / "project", owner)

    result = run_health_check(project, DATASET)
    cli = CliRunner().invoke(main, ["--project", str(project.root), "check", DATASET])

    store = ArchiveStore(project.archive_url)
    entries = AlertLog(store).entries(DATASET)
    first_run, second_run = (run for _, run in entries.groupby("run_id"))
    assert dict(zip(first_run["channel"], first_run["status"])) == {
        "owner_alert_webhook": "failed", "owner_alert_slack": "failed", "owner_alert_webhook_2": "failed",
        "owner_alert_email": "sent",
    }
    # The check command's run: the two that failed on a server answer get through, the dead one fails again.
    assert dict(zip(second_run["channel"], second_run["status"])) == {
        "owner_alert_webhook": "sent", "owner_alert_slack": "sent", "owner_alert_webhook_2": "failed",
        "owner_alert_email": "suppressed",
    }
    assert len(smtp.messages) == 1 and smtp.logins == ["dh"]
    errors = " | ".join(entries["error"].dropna())
    assert "HTTP 500" in errors and "no answer within 0.3 s" in errors and "no route for ***" in errors
    assert f"http://127.0.0.1:{receiver.port}/…" in errors  # the URL is named, without its path

    with store.engine.connect() as conn:
        log_rows = repr(conn.execute(sa.text(f"SELECT * FROM {ALERT_LOG_TABLE}")).all())
    store.engine.dispose()
    captured = capfd.readouterr()
    outputs = {
        "log records": caplog.text + "\n".join(r.getMessage() for r in caplog.records),
        "stdout/stderr": captured.out + captured.err,
        "check command": cli.output,
        "health check result": repr(result),
        "alert log rows": log_rows,
    }
    files = {path: path.read_bytes() for path in project.root.rglob("*") if path.is_file()}
    assert any(p.name == "archive.db" for p in files) and any(p.suffix == ".json" for p in files)
    for secret in PLANTED:
        for where, text in outputs.items():
            assert secret not in text, f"{secret!r} leaked into the {where}"
        for path, content in files.items():
            assert secret.encode() not in content, f"{secret!r} leaked into {path}"
