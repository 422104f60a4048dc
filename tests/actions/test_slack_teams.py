"""Slack (Block Kit) and Teams (Adaptive Card) channels against a real HTTP
server: the documented payload shapes, and dataset strings kept as text."""

from __future__ import annotations

import pytest

from dataset_health.actions import SlackAlertAction, TeamsAlertAction
from dataset_health.actions.message import AlertItem, AlertMessage
from dataset_health.actions.slack import slack_payload
from dataset_health.actions.teams import ADAPTIVE_CARD_CONTENT_TYPE, teams_payload

from ._servers import Reply
from .conftest import DATASET, PARTIAL_ID

HOSTILE_OWNER = "Ada <!channel> & <https://evil.example|click>"


@pytest.fixture
def hook_env(receiver, monkeypatch) -> str:
    monkeypatch.setenv("DH_TEST_CHAT_WEBHOOK", receiver.url("/services/T0/B0/XXXX"))
    return "${DH_TEST_CHAT_WEBHOOK}"


def test_slack_message_has_blocks_and_a_text_fallback(checked, receiver, hook_env, run_action) -> None:
    fields = {**checked.base_fields("owner_alert_slack"), "owner": HOSTILE_OWNER}
    report = run_action(SlackAlertAction(**fields, webhook_url=hook_env))["dataset_health_alert"]

    assert report["status"] == "sent"
    [request] = receiver.requests
    assert request.path == "/services/T0/B0/XXXX"
    payload = request.json()
    assert set(payload) == {"text", "blocks"}
    header, summary, *items, context = payload["blocks"]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert header["text"]["text"] == f"{DATASET}: update {PARTIAL_ID} looks unhealthy, 1 check failed"
    assert len(header["text"]["text"]) <= 150
    assert summary["type"] == "section" and summary["text"]["type"] == "mrkdwn"
    # Slack control sequences from a dataset string stay text.
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in summary["text"]["text"]
    assert "<!channel>" not in request.body.decode()
    [failure] = items
    assert failure["type"] == "section"
    assert "*rows_created*: observed 40 against expected" in failure["text"]["text"]
    assert "(range " in failure["text"]["text"] and "score " in failure["text"]["text"]
    assert context["type"] == "context"
    assert [e["type"] for e in context["elements"]] == ["mrkdwn", "plain_text", "mrkdwn"]
    hint, command, docs = context["elements"]
    assert hint["text"].startswith("Was it an incident?")
    assert command == {"type": "plain_text", "emoji": False,
                       "text": f"dataset-health label --as incident -- {DATASET} {PARTIAL_ID}"}
    assert "Data Docs: `" in docs["text"]
    assert payload["text"].startswith(f"{DATASET}: update {PARTIAL_ID} looks unhealthy")
    assert "observed 40 against expected" in payload["text"]


def test_slack_limits_are_kept() -> None:
    items = tuple(AlertItem(key=f"k{i}", label=f"m{i}", status="fail", reason="x" * 5000) for i in range(60))
    message = AlertMessage(
        kind="alert", dataset="d" * 300, owner="o", update_id="u", update_time=None,
        checked_at="2024-01-01T00:00:00+00:00", failures=items, docs_link="https://docs.example.org/p.html",
    )
    payload = slack_payload(message)
    assert len(payload["blocks"]) <= 50
    assert len(payload["blocks"][0]["text"]["text"]) <= 150
    assert all(len(b["text"]["text"]) <= 3000 for b in payload["blocks"] if b["type"] == "section")
    assert "<https://docs.example.org/p.html|Open the Data Docs page>" in payload["blocks"][-1]["elements"][-1]["text"]


def test_teams_message_carries_one_adaptive_card(checked, receiver, hook_env, run_action) -> None:
    fields = {**checked.base_fields("owner_alert_teams"), "docs_base_url": "https://docs.example.org/dh"}
    report = run_action(TeamsAlertAction(**fields, webhook_url=hook_env))["dataset_health_alert"]

    assert report["status"] == "sent"
    payload = receiver.requests[0].json()
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == ADAPTIVE_CARD_CONTENT_TYPE == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    title, facts, failure, hint, command = card["body"]
    assert hint["isSubtle"] and hint["text"].startswith("Was it an incident? Label it")
    assert command == {"type": "RichTextBlock", "inlines": [
        {"type": "TextRun", "text": f"dataset-health label --as incident -- {DATASET} {PARTIAL_ID}",
         "fontType": "Monospace"}]}
    assert title["type"] == "TextBlock" and "looks unhealthy" in title["text"]
    assert facts["type"] == "FactSet"
    assert {f["title"]: f["value"] for f in facts["facts"]}["Dataset"] == DATASET
    assert failure["type"] == "Container"
    failure_facts = {f["title"]: f["value"] for f in failure["items"][1]["facts"]}
    assert failure_facts["Observed"] == "40" and set(failure_facts) == {"Observed", "Expected", "Range", "Score"}
    assert "rows_created 40" in failure["items"][2]["text"]
    [open_docs] = card["actions"]
    assert open_docs["type"] == "Action.OpenUrl"
    assert open_docs["url"].startswith("https://docs.example.org/dh/validations/")


def test_teams_workflow_errors_are_retried(checked, receiver, hook_env, run_action) -> None:
    receiver.script(Reply(502), Reply(504))
    report = run_action(TeamsAlertAction(**checked.base_fields("owner_alert_teams"), webhook_url=hook_env))
    assert (report["dataset_health_alert"]["status"], report["dataset_health_alert"]["attempts"]) == ("sent", 3)


def test_teams_local_docs_path_is_text_not_a_link() -> None:
    message = AlertMessage(
        kind="healthy", dataset="d", owner="o", update_id="u", update_time=None,
        checked_at="2024-01-01T00:00:00+00:00", docs_link="/tmp/site/validations/x.html",
    )
    card = teams_payload(message)["attachments"][0]["content"]
    assert "actions" not in card
    assert card["body"][-1]["text"] == "Data Docs: /tmp/site/validations/x.html"


def test_non_http_webhook_url_is_a_configuration_error(checked, receiver, run_action, monkeypatch) -> None:
    monkeypatch.setenv("DH_TEST_CHAT_WEBHOOK", f"ftp://127.0.0.1:{receiver.port}/services/T0/B0/XXXX")
    action = TeamsAlertAction(**checked.base_fields("owner_alert_teams"), webhook_url="${DH_TEST_CHAT_WEBHOOK}")
    report = run_action(action)["dataset_health_alert"]
    assert (report["status"], report["attempts"]) == ("failed", 0)
    assert report["error"].startswith("configuration error: channel owner_alert_teams of owner 'Ada Byron'")
    assert "setting 'webhook_url' must be an http:// or https:// URL, not ftp://" in report["error"]
    assert "XXXX" not in report["error"] and receiver.requests == []
