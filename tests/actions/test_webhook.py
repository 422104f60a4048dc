"""The generic webhook channel against a real HTTP server: signature, payload,
and every failure the transport must survive (retried, recorded, never raised)."""

from __future__ import annotations

import base64
import time

import pytest

from dataset_health.actions import WebhookAlertAction
from dataset_health.actions.webhook import sign

from ._servers import Reply, closed_port, verify_standard_webhook
from .conftest import DATASET, OWNER, PARTIAL_ID

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


@pytest.fixture
def webhook(checked, monkeypatch):
    """A webhook action whose URL and secret come from ${VARS}."""
    monkeypatch.setenv("DH_TEST_WEBHOOK_SECRET", SECRET)

    def make(url: str, **fields) -> WebhookAlertAction:
        monkeypatch.setenv("DH_TEST_WEBHOOK_URL", url)
        return WebhookAlertAction(
            **{**checked.base_fields("owner_alert_webhook"), **fields},
            url="${DH_TEST_WEBHOOK_URL}",
            secret="${DH_TEST_WEBHOOK_SECRET}",
        )

    return make


def only_report(result: dict) -> dict:
    return result["dataset_health_alert"]


def test_signed_alert_follows_standard_webhooks(webhook, receiver, run_action, alert_log) -> None:
    report = only_report(run_action(webhook(receiver.url())))

    assert report["status"] == "sent" and report["attempts"] == 1
    [request] = receiver.requests
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == report["delivery_id"] and "." not in report["delivery_id"]
    event = verify_standard_webhook(SECRET, request)
    assert event["type"] == "dataset_health.update.unhealthy"
    assert event["timestamp"].startswith("20")
    data = event["data"]
    assert (data["dataset"], data["owner"], data["update_id"]) == (DATASET, OWNER["name"], PARTIAL_ID)
    assert data["update_time"] == "2024-02-10T06:00:00"
    [failure] = data["failures"]
    assert failure["label"] == "rows_created" and failure["observed"] == 40
    assert failure["lower"] < failure["expected"] < failure["upper"]
    assert "rows_created 40" in failure["reason"]
    assert "observed 40 against expected" in data["summary"]
    assert data["docs_link"].endswith(".html") and "/validations/" in data["docs_link"]
    logged = alert_log.entries(DATASET)
    assert logged[["channel", "kind", "status", "attempts"]].values.tolist() == [["owner_alert_webhook", "alert", "sent", 1]]


def test_signature_matches_the_spec_reference_vector() -> None:
    # The example secret and message of the Standard Webhooks reference libraries.
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    body = b'{"test": 2432232314}'
    assert sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_docs_link_uses_the_configured_base_url(webhook, receiver, run_action) -> None:
    run_action(webhook(receiver.url(), docs_base_url="https://docs.example.org/dh/"))
    link = receiver.requests[0].json()["data"]["docs_link"]
    assert link.startswith("https://docs.example.org/dh/validations/") and link.endswith(".html")


def test_500_then_200_is_retried_and_delivered(webhook, receiver, run_action, alert_log) -> None:
    receiver.script(Reply(500, body=b"boom"))
    report = only_report(run_action(webhook(receiver.url())))

    assert (report["status"], report["attempts"]) == ("sent", 2)
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.body == second.body and first.headers["webhook-id"] == second.headers["webhook-id"]
    verify_standard_webhook(SECRET, second)
    assert alert_log.entries(DATASET)["attempts"].tolist() == [2]


def test_429_waits_for_retry_after(webhook, receiver, run_action) -> None:
    receiver.script(Reply(429, headers={"Retry-After": "1"}))
    report = only_report(run_action(webhook(receiver.url(), retry_after_max_seconds=5)))

    assert (report["status"], report["attempts"]) == ("sent", 2)
    waited = receiver.requests[1].at - receiver.requests[0].at
    assert 0.9 <= waited < 3


def test_retry_after_is_capped(webhook, receiver, run_action) -> None:
    receiver.script(Reply(503, headers={"Retry-After": "3600"}))
    started = time.monotonic()
    report = only_report(run_action(webhook(receiver.url(), retry_after_max_seconds=0.3)))

    assert report["status"] == "sent"
    assert time.monotonic() - started < 5


def test_persistent_500_is_recorded_as_failed(webhook, receiver, run_action, alert_log) -> None:
    receiver.script(*[Reply(500, body=b"still broken")] * 3)
    report = only_report(run_action(webhook(receiver.url())))

    assert (report["status"], report["attempts"]) == ("failed", 3)  # 1 + max_retries
    assert "HTTP 500" in report["error"] and "3 attempts" in report["error"] and "saying 'still broken'" in report["error"]
    row = alert_log.entries(DATASET).iloc[0]
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert row["error"] == report["error"]


def test_timeout_is_retried_then_recorded(webhook, receiver, run_action, alert_log) -> None:
    receiver.script(*[Reply(200, delay=1.5)] * 2)
    started = time.monotonic()
    report = only_report(run_action(webhook(receiver.url(), timeout_seconds=0.3, max_retries=1)))

    assert (report["status"], report["attempts"]) == ("failed", 2)
    assert "no answer within 0.3 s" in report["error"]
    assert len(receiver.requests) == 2
    assert time.monotonic() - started < 3
    assert alert_log.entries(DATASET)["status"].tolist() == ["failed"]


def test_closed_port_is_retried_then_recorded(webhook, run_action, alert_log) -> None:
    port = closed_port()
    report = only_report(run_action(webhook(f"http://127.0.0.1:{port}/hook/x")))

    assert (report["status"], report["attempts"]) == ("failed", 3)
    assert report["error"] == f"http://127.0.0.1:{port}/…: connection refused or host unreachable (3 attempts)"
    assert alert_log.entries(DATASET)["attempts"].tolist() == [3]


def test_client_errors_and_redirects_are_not_retried(webhook, receiver, run_action) -> None:
    receiver.script(Reply(410, body=b"gone"), Reply(302, headers={"Location": receiver.url("/elsewhere")}))
    assert only_report(run_action(webhook(receiver.url())))["attempts"] == 1
    report = only_report(run_action(webhook(receiver.url(), renotify_after_hours=0)))
    assert (report["status"], report["attempts"]) == ("failed", 1)
    assert "HTTP 302" in report["error"]
    assert [r.path for r in receiver.requests] == ["/hook", "/hook"]


def test_unset_variable_fails_the_delivery_not_the_checkpoint(checked, run_action, alert_log, monkeypatch) -> None:
    monkeypatch.delenv("DH_TEST_UNSET_URL", raising=False)
    monkeypatch.setenv("DH_TEST_WEBHOOK_SECRET", SECRET)
    action = WebhookAlertAction(
        **checked.base_fields("owner_alert_webhook"), url="${DH_TEST_UNSET_URL}", secret="${DH_TEST_WEBHOOK_SECRET}"
    )
    report = only_report(run_action(action))

    assert (report["status"], report["attempts"]) == ("failed", 0)
    assert "${DH_TEST_UNSET_URL}" in report["error"] and "not set" in report["error"]
    assert alert_log.entries(DATASET)["status"].tolist() == ["failed"]


def test_malformed_secret_fails_without_sending(webhook, receiver, run_action, monkeypatch) -> None:
    action = webhook(receiver.url())
    monkeypatch.setenv("DH_TEST_WEBHOOK_SECRET", "whsec_c2hvcnQ=")
    report = only_report(run_action(action))

    assert report["status"] == "failed" and "24 to 64 bytes" in report["error"]
    assert receiver.requests == []


def test_literal_secret_is_refused_by_the_model(checked) -> None:
    with pytest.raises(ValueError, match="config template"):
        WebhookAlertAction(**checked.base_fields("w"), url="https://example.org/hook", secret="${X}")


def test_unreachable_alert_log_is_reported_not_raised(webhook, receiver, checked, monkeypatch) -> None:
    monkeypatch.delenv("DH_TEST_UNSET_ARCHIVE", raising=False)
    action = webhook(receiver.url(), archive_url="${DH_TEST_UNSET_ARCHIVE}")
    action._data_context = checked.context
    report = action.run(checked.result, checked.action_context)["dataset_health_alert"]
    assert report["status"] == "failed" and "${DH_TEST_UNSET_ARCHIVE}" in report["error"]


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:{port}/hook", "127.0.0.1:{port}/hook", "hooks.example.org/T0/B0/XXXX",
                                 "http://[::1:{port}/XXXX"],
                         ids=["ftp", "no scheme with port", "no scheme", "unparsable"])
def test_non_http_url_is_a_configuration_error_not_retried(url, webhook, receiver, run_action, alert_log) -> None:
    url = url.format(port=receiver.port)
    report = only_report(run_action(webhook(url)))

    assert (report["status"], report["attempts"]) == ("failed", 0)
    error = report["error"]
    assert error.startswith("configuration error: channel owner_alert_webhook of owner 'Ada Byron'")
    assert "setting 'url' must be an http:// or https:// URL" in error
    assert "InvalidSchema" not in error and "retry" not in error and url not in error and "XXXX" not in error
    assert receiver.requests == []
    [note] = alert_log.notes(DATASET)
    assert note.startswith("owner_alert_webhook: alert failed (rows_created): configuration error")
    assert "alerts retry" not in note


def test_url_without_host_is_a_configuration_error(webhook, run_action) -> None:
    report = only_report(run_action(webhook("https:///hook")))
    assert (report["status"], report["attempts"]) == ("failed", 0)
    assert "with a host name" in report["error"]


def test_url_with_a_port_out_of_range_is_a_configuration_error(webhook, run_action) -> None:
    report = only_report(run_action(webhook("http://127.0.0.1:99999/XXXX")))
    assert (report["status"], report["attempts"]) == ("failed", 0)
    assert "setting 'url' has a port that is not a number from 0 to 65535" in report["error"]
    assert "XXXX" not in report["error"]
