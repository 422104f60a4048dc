"""Generic webhook: the alert as JSON, signed the Standard Webhooks way.

Spec: https://www.standardwebhooks.com (v1, symmetric). The body is
minified JSON ``{"type", "timestamp", "data"}``; the headers are

- ``webhook-id``: the notice's id, the same on every retry (receivers use it
  to drop duplicates);
- ``webhook-timestamp``: integer Unix seconds of this send;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256>`` of
  ``<id>.<timestamp>.<body>`` keyed with the base64-decoded part of the
  secret ``whsec_<base64>``.

Transport retries resend the same signed request, so the signature stays
valid as long as the policy's worst case stays inside the receiver's
tolerance (5 minutes in the reference libraries; the defaults do). A later
:func:`~dataset_health.actions.retry.retry_failed_deliveries` signs anew.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, ClassVar, Literal

from great_expectations.datasource.fluent.config_str import ConfigStr

from dataset_health.actions import _http
from dataset_health.actions._secrets import Secrets, webhook_signing_key
from dataset_health.actions.base import OwnerAlertAction
from dataset_health.actions.message import AlertMessage

EVENT_TYPES = {
    "alert": "dataset_health.update.unhealthy",
    "recovery": "dataset_health.check.recovered",
    "healthy": "dataset_health.update.healthy",
}


def webhook_payload(message: AlertMessage) -> dict[str, Any]:
    """The event body: type, timestamp and the message as ``data``."""
    return {
        "type": EVENT_TYPES[message.kind],
        "timestamp": message.checked_at,
        "data": {**message.to_dict(), "headline": message.headline, "summary": message.text()},
    }


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one request.

    Examples
    --------
    The reference libraries' test vector:

    >>> key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    >>> sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
    """
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


class WebhookAlertAction(OwnerAlertAction):
    """Post the owner alert to any HTTPS endpoint, signed (Standard Webhooks).

    Parameters
    ----------
    url : str
        ``${VAR}`` naming the endpoint URL.
    secret : str
        ``${VAR}`` naming the signing secret ``whsec_<base64>``.
    """

    secret_fields: ClassVar[tuple[str, ...]] = ("url", "secret")
    url_fields: ClassVar[tuple[str, ...]] = ("url",)

    type: Literal["dataset_health_webhook"] = "dataset_health_webhook"
    url: ConfigStr
    secret: ConfigStr

    def _send(
        self, message: AlertMessage, delivery_id: str, secrets: Secrets, recipients: tuple[str, ...] | None = None
    ) -> int:
        url = _http.checked_url(secrets.resolve(self.url, "url") or "", "url")
        key = webhook_signing_key(secrets.resolve(self.secret, "secret") or "")
        body = _http.json_body(webhook_payload(message))
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "webhook-id": delivery_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(key, delivery_id, timestamp, body),
        }
        return _http.post(url, body, headers, policy=self._retry_policy, secrets=secrets)
