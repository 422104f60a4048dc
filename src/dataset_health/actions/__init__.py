"""GX checkpoint actions: verdict write-back, health-history page, owner alerts.

Importing this package registers the actions with GX, so checkpoints that
name them load (``import dataset_health`` does it). Where each part lives::

    write_verdict.py  WriteVerdictAction: verdicts into the archive
    history_page.py   HealthHistoryPageAction: the Data Docs history page
    data_docs.py      DataDocsPagesAction: GX's Data Docs update, index deferrable
    _context.py       what those two share

    Owner alerts:
    owners.py     owner config in dataset_health.yml -> checkpoint actions
    base.py       OwnerAlertAction.run(): decide, build the message, deliver;
                  NotAlertedAction ("not alerted: no opted-in owner")
    noise.py      which checks to alert, suppress as repeats, or recover
    message.py    AlertMessage: the words, written once for every channel
    webhook.py    generic webhook, signed (Standard Webhooks)      \\
    slack.py      Slack incoming webhook (Block Kit)                 | type
    teams.py      Teams Workflows webhook (Adaptive Card)            | dataset_health_*
    mail.py       email over SMTP (text + HTML)                    /
    chat.py       what Slack and Teams share: JSON to a ${VAR} webhook URL
    _http.py      HTTP transport: urllib3 Retry, Retry-After cap, timeouts
    _smtp.py      SMTP transport with retries
    _secrets.py   ${VAR} resolution and scrubbing secrets from all text
    delivery.py   RetryPolicy, DeliveryError (DeliveryConfigError,
                  PartialDelivery), DeliveryReport
    alert_log.py  dh_alert_log in the archive database: every attempt
    retry.py      retry_failed_deliveries()

Errors of requests, urllib3 and smtplib become :class:`DeliveryError` in
the transports; an alert's ``run()`` records and returns them and never
raises. Settings that can never work (a webhook URL that is not http(s))
are a :class:`DeliveryConfigError`: no attempt, no retry. An email that
some recipients got and others refused is a :class:`PartialDelivery`,
recorded as ``partial``.
"""

from dataset_health.actions.alert_log import ALERT_LOG_TABLE, AlertLog
from dataset_health.actions.base import NotAlertedAction, OwnerAlertAction
from dataset_health.actions.data_docs import DataDocsPagesAction
from dataset_health.actions.delivery import (
    DeliveryConfigError,
    DeliveryError,
    DeliveryReport,
    PartialDelivery,
    RetryPolicy,
)
from dataset_health.actions.history_page import HealthHistoryPageAction
from dataset_health.actions.mail import EmailAlertAction
from dataset_health.actions.message import AlertItem, AlertMessage
from dataset_health.actions.owners import owner_alert_actions
from dataset_health.actions.retry import retry_failed_deliveries
from dataset_health.actions.slack import SlackAlertAction
from dataset_health.actions.teams import TeamsAlertAction
from dataset_health.actions.webhook import WebhookAlertAction
from dataset_health.actions.write_verdict import WriteVerdictAction

__all__ = [
    "ALERT_LOG_TABLE",
    "AlertItem",
    "AlertLog",
    "AlertMessage",
    "DataDocsPagesAction",
    "DeliveryConfigError",
    "DeliveryError",
    "DeliveryReport",
    "EmailAlertAction",
    "HealthHistoryPageAction",
    "NotAlertedAction",
    "OwnerAlertAction",
    "PartialDelivery",
    "RetryPolicy",
    "SlackAlertAction",
    "TeamsAlertAction",
    "WebhookAlertAction",
    "WriteVerdictAction",
    "owner_alert_actions",
    "retry_failed_deliveries",
]
