"""Slack incoming webhook: Block Kit blocks plus a plain ``text`` fallback.

Slack shows ``text`` in notifications and where blocks cannot render. Every
string from a dataset is escaped for mrkdwn (``&``, ``<``, ``>``) so that a
name like ``<!channel>`` cannot ping a channel or forge a link, and Slack's
limits are kept: a header's text at most 150 characters, a section's at
most 3000, at most 50 blocks.
"""

from __future__ import annotations

from typing import Any, Literal

from dataset_health.actions.chat import ChatWebhookAction
from dataset_health.actions.message import AlertItem, AlertMessage, format_value

HEADER_MAX = 150
SECTION_MAX = 3000
MAX_ITEM_BLOCKS = 40  # of Slack's 50, leaving room for the header, summary and context


def escape_mrkdwn(text: Any) -> str:
    """Text safe inside Slack mrkdwn.

    Examples
    --------
    >>> escape_mrkdwn("a <!channel> & b")
    'a &lt;!channel&gt; &amp; b'
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: AlertMessage) -> dict[str, Any]:
    """The JSON body for a Slack incoming webhook."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(message.headline, HEADER_MAX), "emoji": False}},
        _section(
            f"*Dataset:* {escape_mrkdwn(message.dataset)}\n"
            f"*Owner:* {escape_mrkdwn(message.owner)}\n"
            f"*Update:* {escape_mrkdwn(message.update_line)}"
        ),
    ]
    items = [(item, ":red_circle:") for item in message.failures] + [(item, ":large_green_circle:") for item in message.recoveries]
    for item, icon in items[:MAX_ITEM_BLOCKS]:
        blocks.append(_section(_item_text(item, icon)))
    if len(items) > MAX_ITEM_BLOCKS:
        blocks.append(_section(f"…and {len(items) - MAX_ITEM_BLOCKS} more checks; see Data Docs."))
    context: list[dict[str, Any]] = []
    if message.label_command:
        # The command as plain text: mrkdwn would format a name's *, _ or :emoji:.
        context += [_mrkdwn(message.label_hint), {"type": "plain_text", "text": _cut(message.label_command, SECTION_MAX),
                                                  "emoji": False}]
    if message.still_failing:
        context.append(_mrkdwn(f"Still failing, alerted earlier: {escape_mrkdwn(', '.join(message.still_failing))}"))
    if message.docs_link:
        link = escape_mrkdwn(message.docs_link)
        context.append(_mrkdwn(f"<{link}|Open the Data Docs page>" if message.docs_is_url else f"Data Docs: `{link}`"))
    if context:
        blocks.append({"type": "context", "elements": context})
    return {"text": _cut(escape_mrkdwn(message.text()), SECTION_MAX), "blocks": blocks}


class SlackAlertAction(ChatWebhookAction):
    """Post the owner alert to a Slack channel through an incoming webhook.

    Parameters
    ----------
    webhook_url : str
        ``${VAR}`` naming the incoming webhook URL (its path is the secret).
    """

    type: Literal["dataset_health_slack"] = "dataset_health_slack"

    def _payload(self, message: AlertMessage) -> dict[str, Any]:
        return slack_payload(message)


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _cut(text, SECTION_MAX)}


def _item_text(item: AlertItem, icon: str) -> str:
    score = f", score {format_value(item.score)}" if item.score is not None and item.status != "pass" else ""
    text = f"{icon} *{escape_mrkdwn(item.label)}*: {escape_mrkdwn(item.comparison)}{score}"
    if item.reason:
        text += f"\n{escape_mrkdwn(item.reason)}"
    return text


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SECTION_MAX)}}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

