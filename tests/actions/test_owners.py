"""Owner config in dataset_health.yml -> the checkpoint's alert actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataset_health.actions import (
    EmailAlertAction,
    NotAlertedAction,
    SlackAlertAction,
    TeamsAlertAction,
    WebhookAlertAction,
    owner_alert_actions,
)
from dataset_health.errors import ConfigError
from dataset_health.project import DatasetConfig, Project

ARCHIVE = "sqlite:////tmp/archive.db"


def project_with(owner) -> Project:
    return Project(root=Path("/tmp/p"), datasets={"feed": DatasetConfig(name="feed", owner=owner)})


def actions_for(owner):
    return owner_alert_actions(project_with(owner), "feed", archive_url=ARCHIVE)


@pytest.mark.parametrize(
    "owner",
    [None, {"name": "Ada"}, {"name": "Ada", "opted_in": False}, {"name": "Ada", "opted_in": "yes"}],
    ids=["no owner", "opted_in missing", "opted out", "not a boolean"],
)
def test_no_opted_in_owner_is_recorded_not_alerted(owner) -> None:
    [action] = actions_for(owner)
    assert isinstance(action, NotAlertedAction) and action.reason == "no opted-in owner"


def test_opted_in_owner_without_channels() -> None:
    [action] = actions_for({"name": "Ada", "opted_in": True})
    assert isinstance(action, NotAlertedAction) and action.reason == "owner Ada has no alert channels"


def test_every_channel_type_with_owner_defaults() -> None:
    owner = {
        "name": "Ada",
        "email": "ada@example.org",
        "opted_in": True,
        "docs_base_url": "https://docs.example.org",
        "renotify_after_hours": 6,
        "channels": [
            {"type": "webhook", "url": "${HOOK_URL}", "secret": "${HOOK_SECRET}"},
            {"type": "slack", "webhook_url": "${SLACK_URL}", "notify_on": "all"},
            {"type": "slack", "webhook_url": "${SLACK_URL_2}"},
            {"type": "teams", "webhook_url": "${TEAMS_URL}"},
            {"type": "email", "smtp_host": "smtp.example.org", "sender": "dh@example.org", "password": "${PW}"},
        ],
    }
    actions = actions_for(owner)
    assert [type(a) for a in actions] == [WebhookAlertAction, SlackAlertAction, SlackAlertAction, TeamsAlertAction, EmailAlertAction]
    assert [a.name for a in actions] == [
        "owner_alert_webhook", "owner_alert_slack", "owner_alert_slack_2", "owner_alert_teams", "owner_alert_email",
    ]
    assert all(a.dataset == "feed" and a.owner == "Ada" and a.archive_url == ARCHIVE for a in actions)
    assert all(a.docs_base_url == "https://docs.example.org" and a.renotify_after_hours == 6 for a in actions)
    assert [a.notify_on for a in actions] == ["failure", "all", "failure", "failure", "failure"]
    assert actions[-1].recipients == ["ada@example.org"]
    # Secrets stay ${VARS} in what GX writes to the checkpoint file.
    assert '"url": "${HOOK_URL}"' in actions[0].json() and '"password": "${PW}"' in actions[-1].json()


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ({"type": "pager"}, "unknown type 'pager'"),
        ("slack", "must be a mapping"),
        ({"type": "slack", "webhook_url": "https://hooks.slack.com/services/T/B/SECRETVALUE"}, "field 'webhook_url' must name an environment variable"),
        ({"type": "webhook", "url": "${U}", "secret": "whsec_SECRETVALUE"}, "field 'secret' must name"),
        ({"type": "email", "smtp_host": "h", "sender": "s", "password": "SECRETVALUE"}, "field 'password' must name"),
        ({"type": "slack", "webhook_url": "${U}", "colour": "red"}, "field 'colour': extra fields not permitted"),
        ({"type": "slack", "webhook_url": "${U}", "notify_on": "sometimes"}, "field 'notify_on'"),
        ({"type": "slack", "webhook_url": "${U}", "name": "x"}, "'name' is set by dataset-health"),
        ({"type": "webhook", "url": "ftp://SECRETVALUE/${P}", "secret": "${S}"}, "field 'url' must be an http:// or https:// URL"),
        ({"type": "teams", "webhook_url": "SECRETVALUE.example.org/${P}"}, "field 'webhook_url' must be an http://"),
    ],
)
def test_bad_channels_are_config_errors_that_never_echo_secrets(channel, message) -> None:
    with pytest.raises(ConfigError, match="dataset 'feed': owner channel 1") as info:
        actions_for({"name": "Ada", "opted_in": True, "channels": [channel]})
    assert message in str(info.value)
    assert "SECRETVALUE" not in str(info.value)


def test_email_needs_recipients_or_owner_email() -> None:
    with pytest.raises(ConfigError, match="give 'recipients' or an 'email'"):
        actions_for({"name": "Ada", "opted_in": True, "channels": [{"type": "email", "smtp_host": "h", "sender": "s"}]})


@pytest.mark.parametrize("url", ["${URL}", "https://${HOST}/hook", "http://hooks.example.org/${PATH}", "HTTPS://${H}"])
def test_urls_made_of_variables_are_checked_when_sent(url) -> None:
    [action] = actions_for({"name": "Ada", "opted_in": True, "channels": [{"type": "slack", "webhook_url": url}]})
    assert action.webhook_url.template_str == url
