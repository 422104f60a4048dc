"""The alert log on every archive database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

from dataset_health.actions import AlertLog
from dataset_health.actions.alert_log import LogEntry
from dataset_health.actions.message import AlertItem, AlertMessage

KEY = "expect_column_latest_value_to_not_be_anomalous:rows_created"
MESSAGE = AlertMessage(
    kind="alert", dataset="feed", owner="Ada", update_id="u2", update_time="2024-01-02T06:00:00",
    checked_at="2024-01-02T07:00:00+00:00", failures=(AlertItem(key=KEY, label="rows_created", status="fail", score=9.0),),
)


def entry(**fields) -> LogEntry:
    return LogEntry(**{"dataset": "feed", "update_id": "u2", "expectation": KEY, "channel": "owner_alert_slack",
                       "kind": "alert", "status": "sent", "score": 9.0, "attempts": 1, **fields})


def test_noise_state_and_retry_queue(store) -> None:
    log = AlertLog(store)
    assert log.last_notices("feed", "owner_alert_slack") == {} and log.undelivered() == [] and log.notes("feed") == []
    t0 = datetime(2024, 1, 2, 7)
    log.record([entry(score=5.0)], at=t0)
    log.record([entry(status="suppressed", note="repeat", attempts=0)], at=t0 + timedelta(hours=1))
    log.record([entry(kind="recovery", score=0.5)], at=t0 + timedelta(hours=2))
    log.record([entry(channel="owner_alert_email", status="failed", attempts=3, error="SMTP 451",
                      delivery_id="msg_a", run_id="r1", message=MESSAGE)], at=t0 + timedelta(hours=3))
    log.record([entry(channel="owner_alert_email", status="failed", attempts=2, error="SMTP 451",
                      delivery_id="msg_a", run_id="retry", message=MESSAGE)], at=t0 + timedelta(hours=4))

    [(key, last)] = log.last_notices("feed", "owner_alert_slack").items()
    assert (key, last.kind, last.score, last.sent_at) == (KEY, "recovery", 0.5, t0 + timedelta(hours=2))
    [notice] = log.undelivered("feed")
    assert (notice.delivery_id, notice.channel, notice.attempts, notice.message) == ("msg_a", "owner_alert_email", 5, MESSAGE)
    assert notice.checks == ((KEY, "alert", 9.0),)

    log.record([entry(channel="owner_alert_email", delivery_id="msg_a", run_id="retry 2", message=MESSAGE)])
    assert log.undelivered() == []
    assert log.notes("feed") == ["owner_alert_email: alert sent (rows_created), 1 attempt"]
    assert len(log.entries("feed")) == 6 and log.entries("other").empty


def test_a_partial_delivery_counts_for_noise_control_and_retries_only_the_rest(store) -> None:
    from dataset_health.actions.alert_log import retry_note
    from dataset_health.actions.delivery import DeliveryReport

    log = AlertLog(store)
    partial = DeliveryReport("feed", "owner_alert_email", "partial", "alert", 3, "SMTP: refused for now b@x", "msg_p",
                             retry_to=("b@x",))
    log.record([entry(channel="owner_alert_email", status="partial", attempts=3, error=partial.error,
                      note=retry_note(partial), delivery_id="msg_p", run_id="r1", message=MESSAGE)])
    assert KEY in log.last_notices("feed", "owner_alert_email")  # a recipient got it: no repeat next run
    [notice] = log.undelivered("feed")
    assert (notice.delivery_id, notice.recipients, notice.attempts) == ("msg_p", ("b@x",), 3)
    assert log.notes("feed") == [
        "owner_alert_email: alert partly failed (rows_created): SMTP: refused for now b@x; resend it with: dataset-health alerts retry feed"
    ]

    # Refused for good on the retry round: nothing is left to retry, and nothing suggests it.
    hopeless = DeliveryReport("feed", "owner_alert_email", "failed", "alert", 1, "SMTP: refused b@x", "msg_p", retry_to=())
    log.record([entry(channel="owner_alert_email", status="failed", attempts=1, error=hopeless.error,
                      note=retry_note(hopeless), delivery_id="msg_p", run_id="r2", message=MESSAGE)])
    assert log.undelivered("feed") == []
    assert log.notes("feed", run_id="r2") == ["owner_alert_email: alert failed (rows_created): SMTP: refused b@x"]


def test_a_run_s_notes_can_leave_out_the_notices_held_back(store) -> None:
    log = AlertLog(store)
    log.record([entry(run_id="r1"),
                entry(channel="owner_alert_email", status="suppressed", attempts=0, note="alerted 1.0 h ago", run_id="r1"),
                entry(channel="owner_alert_teams", status="failed", attempts=3, error="HTTP 500", delivery_id="m",
                      run_id="r1", message=MESSAGE)])
    every = log.notes("feed", run_id="r1")
    assert len(every) == 3 and any("suppressed" in note for note in every)
    assert log.notes("feed", run_id="r1", deliveries_only=True) == [
        "owner_alert_slack: alert sent (rows_created), 1 attempt",
        "owner_alert_teams: alert failed (rows_created): HTTP 500; resend it with: dataset-health alerts retry feed",
    ]
