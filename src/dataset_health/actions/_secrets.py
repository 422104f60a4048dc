"""Secrets of a delivery: resolved from ${VARS} late, scrubbed from all text.

Webhook URLs carry their token in the path (Slack, Teams Workflows), so a
URL is as secret as a password. Each delivery resolves its settings through
one :class:`Secrets`, which remembers every resolved secret and removes it
from any text before that text reaches a log, an error or the alert log.
Errors name a URL only as :func:`safe_url` (scheme, host and port).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from great_expectations.datasource.fluent.config_str import ConfigStr
from great_expectations.exceptions import MissingConfigVariableError
from requests.utils import requote_uri

from dataset_health.actions.delivery import DeliveryConfigError

REDACTED = "***"
WEBHOOK_SECRET_PREFIX = "whsec_"
# Libraries that log request lines, with the URL path, at DEBUG or WARNING.
_CHATTY_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "urllib3.response", "requests")
_MIN_SECRET_LENGTH = 4  # scrubbing "/" or "a" would mangle every message


def safe_url(url: str) -> str:
    """``url`` without path, query or credentials: safe to show.

    Examples
    --------
    >>> safe_url("https://hooks.slack.com/services/T000/B000/XXXX")
    'https://hooks.slack.com/…'
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unparsable URL)"
    hidden = "…" if (parts.path not in ("", "/") or parts.query) else ""
    return f"{parts.scheme}://{host}{port}/{hidden}"


class Secrets:
    """Resolve settings through GX's config provider and scrub them from text.

    Parameters
    ----------
    config_provider : Any
        The GX ``_ConfigurationProvider`` of the data context (environment
        variables and ``config_variables.yml``).
    """

    def __init__(self, config_provider: Any) -> None:
        self._provider = config_provider
        self._values: set[str] = set()

    def resolve(self, value: ConfigStr | str | None, field: str, *, secret: bool = True) -> str | None:
        """The value of setting ``field``; a ${VAR} that is not set is a DeliveryConfigError."""
        if value is None:
            return None
        if isinstance(value, ConfigStr):
            try:
                resolved = str(value.get_config_value(config_provider=self._provider))
            except MissingConfigVariableError as exc:
                raise DeliveryConfigError(
                    f"setting {field!r} names ${{{exc.missing_config_variable}}}, which is not set in the environment"
                ) from None
        else:
            resolved = str(value)
        if secret:
            self.add(resolved)
        return resolved

    def add(self, value: str) -> None:
        """Remember ``value`` (and the forms it takes in URLs and logs) as secret."""
        forms = {value, quote(value, safe=""), requote_uri(value)}
        try:
            parts = urlsplit(value) if "://" in value else None
        except ValueError:  # "http://[::1/x": checked_url refuses it next, as a configuration error
            parts = None
        if parts is not None:
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            forms |= {path, requote_uri(path), unquote(path), parts.query}
            if parts.password:
                forms.add(parts.password)
        if value.startswith(WEBHOOK_SECRET_PREFIX):
            forms.add(value.removeprefix(WEBHOOK_SECRET_PREFIX))
        self._values |= {form for form in forms if form and len(form) >= _MIN_SECRET_LENGTH and form != "/"}

    def scrub(self, text: str) -> str:
        """``text`` with every remembered secret replaced by ``***``."""
        for value in sorted(self._values, key=len, reverse=True):  # longest first: a URL before its path
            text = text.replace(value, REDACTED)
        return text

    @contextmanager
    def scrubbed_library_logs(self) -> Iterator[None]:
        """Scrub secrets from what urllib3 and requests log meanwhile.

        urllib3 logs the request path on every retry (at WARNING) and every
        request line (at DEBUG); for a Slack or Teams webhook that path is
        the secret. A filter on the emitting loggers rewrites those records.
        """
        scrub_filter = _ScrubFilter(self)
        loggers = [logging.getLogger(name) for name in _CHATTY_LOGGERS]
        for logger in loggers:
            logger.addFilter(scrub_filter)
        try:
            yield
        finally:
            for logger in loggers:
                logger.removeFilter(scrub_filter)


def webhook_signing_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret ``whsec_<base64>``."""
    if not secret.startswith(WEBHOOK_SECRET_PREFIX):
        raise DeliveryConfigError("setting 'secret' must be a Standard Webhooks secret: 'whsec_' followed by base64")
    try:
        key = base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX), validate=True)
    except ValueError:
        raise DeliveryConfigError("setting 'secret' is not valid base64 after 'whsec_'") from None
    if not 24 <= len(key) <= 64:
        raise DeliveryConfigError(f"setting 'secret' must decode to 24 to 64 bytes (Standard Webhooks); it has {len(key)}")
    return key


class _ScrubFilter(logging.Filter):
    def __init__(self, secrets: Secrets) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = self._secrets.scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True
