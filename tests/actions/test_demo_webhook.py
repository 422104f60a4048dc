"""`dataset-health demo --webhook URL` delivers the demo's alert to a real server."""

from __future__ import annotations

from click.testing import CliRunner

from dataset_health.cli import main
from dataset_health.demo.run import WEBHOOK_SECRET_VAR

from ._servers import verify_standard_webhook
from .test_webhook import SECRET


def test_demo_delivers_a_signed_alert(tmp_path, receiver, monkeypatch) -> None:
    monkeypatch.setenv(WEBHOOK_SECRET_VAR, SECRET)
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo"), "--webhook", receiver.url("/demo")])
    assert result.exit_code == 0, result.output
    assert "owner_alert_webhook: alert sent (rows_created), 1 attempt" in result.output
    [request] = [r for r in receiver.requests if r.path == "/demo"]
    event = verify_standard_webhook(SECRET, request)
    assert event["data"]["dataset"] == "court_filings" and event["data"]["update_id"] == "rev-00729"
    assert [f["label"] for f in event["data"]["failures"]] == ["rows_created"]
    assert SECRET not in result.output


def test_demo_without_webhook_prints_the_alert_it_would_send(tmp_path) -> None:
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "The alert the owner would get" in result.output
    assert "court_filings: update rev-00729 looks unhealthy, 1 check failed" in result.output
    assert "rows_created: observed 1,073 against expected 20,657" in result.output
