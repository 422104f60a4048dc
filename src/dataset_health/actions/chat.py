"""What the chat channels share: one JSON payload posted to a webhook URL."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.datasource.fluent.config_str import ConfigStr

from dataset_health.actions import _http
from dataset_health.actions._secrets import Secrets
from dataset_health.actions.base import OwnerAlertAction
from dataset_health.actions.message import AlertMessage


class ChatWebhookAction(OwnerAlertAction):
    """Base of the Slack and Teams channels; not registered itself (no type default).

    Parameters
    ----------
    webhook_url : str
        ``${VAR}`` naming the incoming webhook URL; its path or query holds
        the service's token, so the whole URL is a secret.
    """

    secret_fields: ClassVar[tuple[str, ...]] = ("webhook_url",)
    url_fields: ClassVar[tuple[str, ...]] = ("webhook_url",)

    webhook_url: ConfigStr

    def _payload(self, message: AlertMessage) -> dict[str, Any]:
        """The service's JSON body for ``message``."""
        raise NotImplementedError

    def _send(
        self, message: AlertMessage, delivery_id: str, secrets: Secrets, recipients: tuple[str, ...] | None = None
    ) -> int:
        url = _http.checked_url(secrets.resolve(self.webhook_url, "webhook_url") or "", "webhook_url")
        body = _http.json_body(self._payload(message))
        return _http.post(url, body, {"Content-Type": "application/json"}, policy=self._retry_policy, secrets=secrets)
