"""The email channel against a real SMTP server (aiosmtpd) with STARTTLS or
TLS on a certificate made in the test, login, and injected failures."""

from __future__ import annotations

import pytest

from dataset_health.actions import EmailAlertAction
from dataset_health.actions.mail import render_html
from dataset_health.actions.message import AlertItem, AlertMessage

from ._servers import closed_port
from .conftest import DATASET, PARTIAL_ID

LOGIN = ("alerts@example.org", "smtp-pass-1")


@pytest.fixture
def email_action(checked, cert, monkeypatch):
    monkeypatch.setenv("DH_TEST_SMTP_USER", LOGIN[0])
    monkeypatch.setenv("DH_TEST_SMTP_PASSWORD", LOGIN[1])

    def make(port: int, **fields) -> EmailAlertAction:
        settings = {
            **checked.base_fields("owner_alert_email"),
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "security": "starttls",
            "username": "${DH_TEST_SMTP_USER}",
            "password": "${DH_TEST_SMTP_PASSWORD}",
            "sender": "dataset-health@example.org",
            "recipients": ["ada@example.org"],
            "ca_file": str(cert.cert_file),
            **fields,
        }
        return EmailAlertAction(**settings)

    return make


def test_starttls_login_and_both_parts(email_action, smtp_server, run_action, alert_log) -> None:
    server = smtp_server(login=LOGIN)
    report = run_action(email_action(server.port))["dataset_health_alert"]

    assert (report["status"], report["attempts"]) == ("sent", 1)
    assert server.logins == [LOGIN[0]]
    [(sender, recipients, mail)] = server.messages
    assert (sender, recipients) == ("dataset-health@example.org", ["ada@example.org"])
    # stdlib folds a long Subject onto a continuation line; unfolded it keeps the leading space
    assert mail["Subject"].strip() == f"[dataset-health] {DATASET}: update {PARTIAL_ID} looks unhealthy, 1 check failed"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for part in (text, html):
        assert DATASET in part and "Ada Byron" in part and PARTIAL_ID in part and "2024-02-10 06:00:00 UTC" in part
        assert "rows_created" in part
    assert "observed 40 against expected" in text and "(range " in text
    assert f"\n  dataset-health label --as incident -- {DATASET} {PARTIAL_ID}\n" in text.replace("\r\n", "\n")
    assert f'<code style="white-space:pre-wrap">dataset-health label --as incident -- {DATASET} {PARTIAL_ID}</code>' in html
    assert "<td style=" in html and "Open the Data Docs page" in html and 'href="file:///' in html
    assert alert_log.entries(DATASET)["status"].tolist() == ["sent"]


def test_implicit_tls(email_action, smtp_server, run_action) -> None:
    server = smtp_server(implicit_tls=True)
    action = email_action(server.port, security="ssl", username=None, password=None)
    assert run_action(action)["dataset_health_alert"]["status"] == "sent"
    assert len(server.messages) == 1


def test_an_address_with_a_display_name_reaches_the_address(email_action, smtp_server, run_action) -> None:
    server = smtp_server()
    action = email_action(server.port, username=None, password=None, recipients=["Ada Byron <ada@example.org>"])
    assert run_action(action)["dataset_health_alert"]["status"] == "sent"
    [(_, recipients, mail)] = server.messages
    assert recipients == ["ada@example.org"] and mail["To"] == "Ada Byron <ada@example.org>"


def test_transient_reply_is_retried(email_action, smtp_server, run_action) -> None:
    server = smtp_server()
    server.replies.append("421 4.3.2 try again later")
    report = run_action(email_action(server.port, username=None, password=None))["dataset_health_alert"]
    assert (report["status"], report["attempts"]) == ("sent", 2)
    assert len(server.messages) == 1


def test_wrong_password_is_permanent_and_not_retried(email_action, smtp_server, run_action, monkeypatch) -> None:
    server = smtp_server(login=LOGIN)
    monkeypatch.setenv("DH_TEST_SMTP_PASSWORD", "wrong-password")
    report = run_action(email_action(server.port))["dataset_health_alert"]
    assert (report["status"], report["attempts"]) == ("failed", 1)
    assert "SMTP 535" in report["error"] and "wrong-password" not in report["error"]


def test_untrusted_certificate_fails_clearly(email_action, smtp_server, run_action) -> None:
    server = smtp_server()
    report = run_action(email_action(server.port, ca_file=None, username=None, password=None))["dataset_health_alert"]
    assert (report["status"], report["attempts"]) == ("failed", 1)
    assert "TLS failed" in report["error"] and "certificate verify failed" in report["error"]


def test_closed_port_is_retried_then_recorded(email_action, run_action, alert_log) -> None:
    port = closed_port()
    report = run_action(email_action(port))["dataset_health_alert"]
    assert (report["status"], report["attempts"]) == ("failed", 3)
    assert report["error"] == f"SMTP server 127.0.0.1:{port}: connection failed (ConnectionRefusedError) (3 attempts)"
    assert alert_log.entries(DATASET)[["status", "attempts"]].values.tolist() == [["failed", 3]]


def test_html_escapes_every_dataset_string() -> None:
    evil = '<script>alert("x")</script>&'
    message = AlertMessage(
        kind="alert", dataset=evil, owner=evil, update_id=evil, update_time=evil,
        checked_at="2024-01-01T00:00:00+00:00",
        failures=(AlertItem(key="k", label=evil, status="fail", observed=evil, expected=evil, reason=evil),),
        recoveries=(AlertItem(key="r", label=evil, status="pass"),),
        still_failing=(evil,), docs_link=f"https://docs.example.org/{evil}",
    )
    html = render_html(message)
    assert "<script>" not in html and '"x"' not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;") >= 8


def test_the_label_command_can_be_pasted_whatever_the_names_and_only_alerts_have_it(tmp_path) -> None:
    import shlex

    from click.testing import CliRunner

    from dataset_health.archive import ArchiveStore
    from dataset_health.cli import main
    from dataset_health.project import Project

    def alert(dataset: str, update_id: str | None, kind: str = "alert") -> AlertMessage:
        return AlertMessage(kind=kind, dataset=dataset, owner="o", update_id=update_id, update_time=None,
                            checked_at="2024-01-01T00:00:00+00:00")

    dataset, update = "NYC 311; rm -rf ~", "-r1"  # a shell metacharacter, and an id that looks like an option
    command = alert(dataset, update).label_command
    argv = shlex.split(command)
    assert argv[:2] == ["dataset-health", "label"] and argv[-2:] == [dataset, update]
    # It runs: the update is labelled.
    CliRunner().invoke(main, ["init", str(tmp_path)])
    project = Project.load(tmp_path)
    ArchiveStore(project.archive_url).append(dataset, [{"update_id": update, "timestamp": "2024-01-01T06:00:00",
                                                        "rows_created": 5}])
    result = CliRunner().invoke(main, ["--project", str(tmp_path), *argv[1:]])
    assert result.exit_code == 0 and "labelled update -r1" in result.output, result.output

    assert alert("d", "u", kind="recovery").label_command is None
    assert alert("d", None).label_command is None
    assert alert("d", "rev\x1b[31m7").label_command is None  # a terminal would show another id
    assert alert("d", "u").label_hint.startswith("Was it an incident?")


# ------------------------------------------------- recipients refused at RCPT
GOOD, BAD, LATER = "good@example.org", "bad@example.org", "later@example.org"


def test_one_recipient_refused_for_good_is_a_partial_failure(email_action, smtp_server, run_action, alert_log) -> None:
    server = smtp_server()
    server.refuse(BAD, "550 5.1.1 no such user")
    action = email_action(server.port, username=None, password=None, recipients=[GOOD, BAD])
    report = run_action(action)["dataset_health_alert"]

    assert (report["status"], report["attempts"]) == ("partial", 1)
    assert report["error"] == (f"SMTP server 127.0.0.1:{server.port}: refused {BAD} (SMTP 550 5.1.1 no such user); "
                               f"sent to {GOOD} (1 attempt)")
    assert [recipients for _, recipients, _ in server.messages] == [[GOOD]]
    assert server.rcpts == [GOOD, BAD]  # a permanent refusal is not retried
    assert alert_log.entries(DATASET)[["status", "attempts"]].values.tolist() == [["partial", 1]]
    [note] = alert_log.notes(DATASET)
    assert note.startswith("owner_alert_email: alert partly failed (rows_created): ") and BAD in note
    assert "alerts retry" not in note
    assert alert_log.undelivered(DATASET) == []  # nobody is left to send it to

    # The owner got it: the next check of the same update does not send it again.
    again = run_action(action)["dataset_health_alert"]
    assert again["status"] == "suppressed" and len(server.messages) == 1


def test_temporary_refusal_at_rcpt_is_retried(email_action, smtp_server, run_action) -> None:
    server = smtp_server()
    server.refuse("ada@example.org", "451 4.3.0 mailbox busy, try again later", times=1)
    report = run_action(email_action(server.port, username=None, password=None))["dataset_health_alert"]
    assert (report["status"], report["attempts"]) == ("sent", 2)
    assert [recipients for _, recipients, _ in server.messages] == [["ada@example.org"]]


def test_persistent_temporary_refusal_is_retried_then_recorded(email_action, smtp_server, run_action, alert_log) -> None:
    server = smtp_server()
    server.refuse("ada@example.org", "451 4.3.0 mailbox busy, try again later")
    report = run_action(email_action(server.port, username=None, password=None))["dataset_health_alert"]

    assert (report["status"], report["attempts"]) == ("failed", 3)  # 1 + max_retries
    assert report["error"] == (f"SMTP server 127.0.0.1:{server.port}: refused for now ada@example.org "
                               "(SMTP 451 4.3.0 mailbox busy, try again later) (3 attempts)")
    assert server.messages == []
    assert alert_log.notes(DATASET)[0].endswith("; resend it with: dataset-health alerts retry court_filings")
    [notice] = alert_log.undelivered(DATASET)
    assert notice.recipients is None  # nobody got it: a retry goes to every recipient


def test_temporarily_refused_recipient_is_retried_alone(email_action, smtp_server, run_action, alert_log) -> None:
    server = smtp_server()
    server.refuse(LATER, "452 4.2.2 mailbox full", times=1)
    report = run_action(email_action(server.port, username=None, password=None, recipients=[GOOD, LATER]))
    assert (report["dataset_health_alert"]["status"], report["dataset_health_alert"]["attempts"]) == ("sent", 2)
    assert [recipients for _, recipients, _ in server.messages] == [[GOOD], [LATER]]
    assert server.rcpts == [GOOD, LATER, LATER]


def test_refused_for_good_and_for_now_together(email_action, smtp_server, run_action) -> None:
    # Every recipient refused on the first attempt: smtplib sends nothing; the second goes to LATER only.
    server = smtp_server()
    server.refuse(BAD, "550 5.1.1 no such user")
    server.refuse(LATER, "451 4.3.0 try again later", times=1)
    report = run_action(email_action(server.port, username=None, password=None, recipients=[BAD, LATER]))
    report = report["dataset_health_alert"]
    assert (report["status"], report["attempts"]) == ("partial", 2)
    assert f"refused {BAD} (SMTP 550 5.1.1 no such user)" in report["error"] and f"sent to {LATER}" in report["error"]
    assert [recipients for _, recipients, _ in server.messages] == [[LATER]]
    assert server.rcpts == [BAD, LATER, LATER]


def test_every_recipient_refused_for_good_is_not_retried(email_action, smtp_server, run_action, alert_log) -> None:
    server = smtp_server()
    server.refuse("ada@example.org", "550 5.1.1 no such user")
    report = run_action(email_action(server.port, username=None, password=None))["dataset_health_alert"]
    assert (report["status"], report["attempts"]) == ("failed", 1)
    assert "refused ada@example.org (SMTP 550 5.1.1 no such user)" in report["error"]
    assert "alerts retry" not in alert_log.notes(DATASET)[0]
    assert alert_log.undelivered(DATASET) == []


def test_later_retry_of_a_partial_delivery_skips_who_got_it(email_action, smtp_server, run_action, alert_log) -> None:
    server = smtp_server()
    server.refuse(LATER, "451 4.3.0 try again later")
    server.refuse(BAD, "550 5.1.1 no such user")
    action = email_action(server.port, username=None, password=None, recipients=[GOOD, LATER, BAD])
    report = run_action(action)["dataset_health_alert"]
    assert (report["status"], report["attempts"]) == ("partial", 3)
    assert [recipients for _, recipients, _ in server.messages] == [[GOOD]]
    assert alert_log.notes(DATASET)[0].endswith("; resend it with: dataset-health alerts retry court_filings")
    [notice] = alert_log.undelivered(DATASET)
    assert notice.recipients == (LATER,) and notice.delivery_id == report["delivery_id"]

    # `dataset-health alerts retry`, once the server takes LATER again: LATER only.
    server.rcpt_replies.pop(LATER)
    retried = action.redeliver(notice, alert_log)
    assert (retried.status, retried.attempts) == ("sent", 1)
    assert [recipients for _, recipients, _ in server.messages] == [[GOOD], [LATER]]
    assert alert_log.undelivered(DATASET) == []


def test_a_failed_retry_round_stays_narrowed(email_action, smtp_server, run_action, alert_log) -> None:
    server = smtp_server()
    server.refuse(LATER, "451 4.3.0 try again later")
    action = email_action(server.port, username=None, password=None, recipients=[GOOD, LATER], max_retries=0)
    run_action(action)
    [notice] = alert_log.undelivered(DATASET)
    server.close()  # the server is down when the retry runs: the whole round fails
    assert action.redeliver(notice, alert_log).status == "failed"
    [notice] = alert_log.undelivered(DATASET)
    assert notice.recipients == (LATER,) and notice.attempts == 2
