"""Microsoft Teams Workflows webhook: a message with one Adaptive Card.

The Workflows template "Send webhook alerts to a channel" (which replaces
the retired Office 365 connectors) posts the cards found in ``attachments``
of a body shaped like a Bot Framework message::

    {"type": "message",
     "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                      "contentUrl": null,
                      "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                                  "type": "AdaptiveCard", "version": "1.4", "body": [...]}}]}

Card version 1.4 renders in every current Teams client. Dataset strings
go into TextBlocks and FactSets as text; the docs link becomes an
``Action.OpenUrl`` only when it is a web URL.
"""

from __future__ import annotations

from typing import Any, Literal

from dataset_health.actions.chat import ChatWebhookAction
from dataset_health.actions.message import AlertItem, AlertMessage, format_value

ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD_VERSION = "1.4"
MAX_ITEMS = 25  # Teams rejects messages over about 28 KB


def teams_payload(message: AlertMessage) -> dict[str, Any]:
    """The JSON body for a Teams Workflows webhook."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": message.headline,
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
            "color": "Attention" if message.kind == "alert" else "Good",
        },
        _facts([("Dataset", message.dataset), ("Owner", message.owner), ("Update", message.update_line)]),
    ]
    items = [(item, "Failed") for item in message.failures] + [(item, "Passing again") for item in message.recoveries]
    body += [_item_container(item, verdict) for item, verdict in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        body.append(_text(f"…and {len(items) - MAX_ITEMS} more checks; see Data Docs."))
    if message.label_command:
        body.append(_text(message.label_hint, subtle=True))
        # A TextRun shows a name as it is; a TextBlock would render its markdown.
        body.append({"type": "RichTextBlock", "inlines": [
            {"type": "TextRun", "text": message.label_command, "fontType": "Monospace"}]})
    if message.still_failing:
        body.append(_text(f"Still failing, alerted earlier: {', '.join(message.still_failing)}", subtle=True))
    card: dict[str, Any] = {
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if message.docs_is_url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the Data Docs page", "url": message.docs_link}]
    elif message.docs_link:
        body.append(_text(f"Data Docs: {message.docs_link}", subtle=True))
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


class TeamsAlertAction(ChatWebhookAction):
    """Post the owner alert to a Teams channel through a Workflows webhook.

    Parameters
    ----------
    webhook_url : str
        ``${VAR}`` naming the workflow's HTTP trigger URL (its ``sig`` query
        parameter is the secret).
    """

    type: Literal["dataset_health_teams"] = "dataset_health_teams"

    def _payload(self, message: AlertMessage) -> dict[str, Any]:
        return teams_payload(message)


def _item_container(item: AlertItem, verdict: str) -> dict[str, Any]:
    facts = [("Observed", format_value(item.observed)), ("Expected", format_value(item.expected))]
    if item.expected_range:
        facts.append(("Range", item.expected_range))
    if item.score is not None:
        facts.append(("Score", format_value(item.score)))
    items = [
        {"type": "TextBlock", "text": f"{verdict}: {item.label}", "weight": "Bolder", "wrap": True},
        _facts(facts),
    ]
    if item.reason:
        items.append(_text(item.reason, subtle=True))
    return {"type": "Container", "separator": True, "items": items}


def _facts(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": title, "value": str(value)} for title, value in pairs]}


def _text(text: str, *, subtle: bool = False) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, "isSubtle": subtle}
