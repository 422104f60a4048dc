"""Noise control: no repeat within the interval unless worse; recoveries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dataset_health.actions import WebhookAlertAction
from dataset_health.actions.alert_log import LogEntry
from dataset_health.actions.noise import LastNotice, plan_notice
from dataset_health.outcomes import ExpectationOutcome

from .conftest import DATASET
from .test_webhook import SECRET

NOW = datetime(2024, 3, 1, 12, 0)
DAY = timedelta(hours=24)
KEY = "expect_column_latest_value_to_not_be_anomalous:rows_created"


def outcome(success: bool, score: float | None = 8.0, metric: str = "rows_created") -> ExpectationOutcome:
    return ExpectationOutcome(
        expectation="expect_column_latest_value_to_not_be_anomalous",
        metric=metric,
        success=success,
        status="pass" if success else "fail",
        observed=40,
        expected=1000,
        lower=900,
        upper=1100,
        score=score,
        reason="rows_created 40 is 96% below the usual",
    )


def plan(outcomes, last=None, *, succeeded=False, notify_on="failure", renotify=DAY):
    return plan_notice(outcomes, last or {}, check_succeeded=succeeded, notify_on=notify_on, renotify_after=renotify, now=NOW)


def test_first_failure_is_alerted() -> None:
    assert plan([outcome(False)]).kind == "alert"


@pytest.mark.parametrize(
    ("last", "score", "kind"),
    [
        (LastNotice("alert", 8.0, NOW - timedelta(hours=2)), 8.0, None),  # same, recent: held back
        (LastNotice("alert", 8.0, NOW - timedelta(hours=2)), 7.0, None),  # better, recent: held back
        (LastNotice("alert", 8.0, NOW - timedelta(hours=2)), 9.5, "alert"),  # worse: alert again
        (LastNotice("alert", 8.0, NOW - timedelta(hours=25)), 8.0, "alert"),  # interval over: remind
        (LastNotice("recovery", 8.0, NOW - timedelta(hours=2)), 8.0, "alert"),  # recovered since: new incident
        (LastNotice("alert", 8.0, NOW - timedelta(hours=2)), None, None),  # no score to compare: held back
    ],
)
def test_repeats_within_the_interval_need_a_higher_score(last, score, kind) -> None:
    result = plan([outcome(False, score)], {KEY: last})
    assert result.kind == kind
    if kind is None:
        assert "not worse" in result.suppressed[0][1]


def schema_break(update_id: str) -> ExpectationOutcome:
    return ExpectationOutcome(
        expectation="expect_table_schema_to_match_previous_update", metric=None, success=False, status="fail",
        observed="removed: a", expected=None, lower=None, upper=None, score=None,
        reason=f"update {update_id} removed: a", update_id=update_id,
    )


def test_a_check_without_a_score_failing_on_another_update_is_alerted_as_a_new_change() -> None:
    last = {"expect_table_schema_to_match_previous_update": LastNotice("alert", None, NOW - timedelta(hours=1), "u1")}
    assert plan([schema_break("u2")], last).kind == "alert"
    # The same update judged again is the change the owner was told about.
    again = plan([schema_break("u1")], last)
    assert again.kind is None and "not worse" in again.suppressed[0][1]


def test_an_error_on_each_update_is_not_alerted_every_time() -> None:
    error = ExpectationOutcome("expect_x", "rows", False, "error", None, None, None, None, None, "boom", update_id="u2")
    last = {"expect_x:rows": LastNotice("alert", None, NOW - timedelta(hours=1), "u1")}
    assert plan([error], last).kind is None


def test_passing_again_after_an_alert_is_a_recovery() -> None:
    result = plan([outcome(True)], {KEY: LastNotice("alert", 8.0, NOW - DAY)}, succeeded=True)
    assert result.kind == "recovery" and [o.metric for o in result.recoveries] == ["rows_created"]
    assert plan([outcome(True)], {KEY: LastNotice("recovery", 8.0, NOW - DAY)}, succeeded=True).kind is None


def test_new_failure_and_recovery_travel_together() -> None:
    last = {KEY: LastNotice("alert", 8.0, NOW - timedelta(hours=1))}
    result = plan([outcome(True), outcome(False, metric="rows_deleted")], last)
    assert result.kind == "alert"
    assert [o.metric for o in result.alerts] == ["rows_deleted"]
    assert [o.metric for o in result.recoveries] == ["rows_created"]


@pytest.mark.parametrize(
    ("notify_on", "succeeded", "kind"),
    [("failure", True, None), ("success", True, "healthy"), ("all", True, "healthy"),
     ("success", False, None), ("all", False, "alert")],
)
def test_notify_on(notify_on, succeeded, kind) -> None:
    outcomes = [outcome(True)] if succeeded else [outcome(False)]
    assert plan(outcomes, succeeded=succeeded, notify_on=notify_on).kind == kind


# ------------------------------------------------------- with the real log
@pytest.fixture
def action(checked, receiver, monkeypatch) -> WebhookAlertAction:
    monkeypatch.setenv("DH_TEST_WEBHOOK_URL", receiver.url())
    monkeypatch.setenv("DH_TEST_WEBHOOK_SECRET", SECRET)
    return WebhookAlertAction(
        **checked.base_fields("owner_alert_webhook"), url="${DH_TEST_WEBHOOK_URL}", secret="${DH_TEST_WEBHOOK_SECRET}"
    )


def test_second_run_is_suppressed_and_logged(action, receiver, run_action, alert_log) -> None:
    assert run_action(action)["dataset_health_alert"]["status"] == "sent"
    second = run_action(action)["dataset_health_alert"]

    assert second["status"] == "suppressed"
    assert len(receiver.requests) == 1
    log = alert_log.entries(DATASET)
    assert log["status"].tolist() == ["sent", "suppressed"]
    assert "not worse" in log["note"].iloc[1]
    # Both runs here share one checkpoint result, hence one run id and both notes.
    sent, held_back = alert_log.notes(DATASET)
    assert sent == "owner_alert_webhook: alert sent (rows_created), 1 attempt"
    assert held_back.startswith("owner_alert_webhook: repeat alert suppressed (rows_created): alerted 0.0 h ago")


def test_worse_score_alerts_again(action, receiver, run_action, alert_log) -> None:
    alert_log.record(
        [LogEntry(dataset=DATASET, update_id="u039", expectation=KEY, channel="owner_alert_webhook",
                  kind="alert", status="sent", score=1.5, attempts=1)]
    )
    report = run_action(action)["dataset_health_alert"]
    assert report["status"] == "sent" and len(receiver.requests) == 1
    assert alert_log.last_notices(DATASET, "owner_alert_webhook")[KEY].score > 1.5


def test_failed_delivery_does_not_count_as_alerted(action, receiver, run_action, alert_log) -> None:
    from ._servers import Reply

    receiver.script(*[Reply(500)] * 3)
    assert run_action(action)["dataset_health_alert"]["status"] == "failed"
    assert run_action(action)["dataset_health_alert"]["status"] == "sent"  # not held back as a repeat


def test_the_log_remembers_which_update_an_alert_was_about(alert_log) -> None:
    alert_log.record(
        [LogEntry(dataset=DATASET, update_id="u039", expectation=KEY, channel="owner_alert_webhook",
                  kind="alert", status="sent", score=None, attempts=1)]
    )
    assert alert_log.last_notices(DATASET, "owner_alert_webhook")[KEY].update_id == "u039"
