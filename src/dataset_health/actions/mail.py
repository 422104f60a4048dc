"""Email over SMTP: one message with a plain-text and an HTML part.

The HTML part is self-contained (inline styles, no images or scripts) and
every string that comes from a dataset, its owner or a detector is escaped
with :func:`html.escape`, so a dataset named ``<script>`` stays text. The
subject is the headline on one line, so no value can inject a header.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, ClassVar, List, Literal, Optional, Union

from great_expectations.compatibility.pydantic import Field
from great_expectations.datasource.fluent.config_str import ConfigStr

from dataset_health.actions import _smtp
from dataset_health.actions._secrets import Secrets
from dataset_health.actions.base import OwnerAlertAction
from dataset_health.actions.message import AlertItem, AlertMessage, format_value

_CELL = "padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top"


def email_message(message: AlertMessage, *, sender: str, recipients: list[str]) -> EmailMessage:
    """The MIME message: ``multipart/alternative`` of text/plain and text/html."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Message-ID"] = make_msgid(domain="dataset-health")
    mail.set_content(message.text())
    mail.add_alternative(render_html(message), subtype="html")
    return mail


def render_html(message: AlertMessage) -> str:
    """The HTML part; every dynamic string is escaped."""
    e = _escape
    parts = [
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif;font-size:14px;color:#222\">",
        f"<h2 style=\"margin:0 0 8px\">{e(message.headline)}</h2>",
        "<p>",
        f"<b>Dataset:</b> {e(message.dataset)}<br>",
        f"<b>Owner:</b> {e(message.owner)}<br>",
        f"<b>Update:</b> {e(message.update_line)}",
        "</p>",
    ]
    if message.failures:
        parts += ["<h3>Failed checks</h3>", _table(message.failures, with_score=True)]
    if message.label_command:
        parts.append(f"<p><small>{e(message.label_hint)}</small><br>"
                     f"<code style=\"white-space:pre-wrap\">{e(message.label_command)}</code></p>")
    if message.still_failing:
        parts.append(f"<p>Still failing, alerted earlier: {e(', '.join(message.still_failing))}</p>")
    if message.recoveries:
        parts += ["<h3>Passing again after an alert</h3>", _table(message.recoveries, with_score=False)]
    if message.docs_link:
        href = message.docs_link if message.docs_is_url else _file_uri(message.docs_link)
        parts.append(f"<p><a href=\"{e(href)}\">Open the Data Docs page</a><br><small>{e(message.docs_link)}</small></p>")
    parts.append("</body></html>")
    return "\n".join(parts)


class EmailAlertAction(OwnerAlertAction):
    """Email the owner alert over SMTP (STARTTLS, SSL or plain; optional login).

    Parameters
    ----------
    smtp_host : str
        SMTP server name (a ``${VAR}`` is allowed).
    smtp_port : int
        587 for STARTTLS, 465 for SSL.
    security : {"starttls", "ssl", "none"}
        How the connection is encrypted.
    username, password : str, optional
        ``${VAR}`` references for SMTP login; no login without them.
    sender : str
        The From address.
    recipients : list of str
        Who gets the email (by default the owner's email).
    ca_file : str, optional
        PEM file of certificate authorities to trust instead of the system's.
    """

    secret_fields: ClassVar[tuple[str, ...]] = ("username", "password")

    type: Literal["dataset_health_email"] = "dataset_health_email"
    smtp_host: Union[ConfigStr, str]
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    security: _smtp.Security = "starttls"
    username: Optional[ConfigStr] = None
    password: Optional[ConfigStr] = None
    sender: str
    recipients: List[str] = Field(min_items=1)
    ca_file: Optional[str] = None

    def _send(
        self, message: AlertMessage, delivery_id: str, secrets: Secrets, recipients: tuple[str, ...] | None = None
    ) -> int:
        server = _smtp.SmtpServer(
            host=secrets.resolve(self.smtp_host, "smtp_host", secret=False) or "",
            port=self.smtp_port,
            security=self.security,
            username=secrets.resolve(self.username, "username"),
            password=secrets.resolve(self.password, "password"),
            ca_file=self.ca_file,
        )
        mail = email_message(message, sender=self.sender, recipients=self.recipients)
        # A retry after a partial delivery goes only to the recipients that did not get it.
        to = list(recipients) if recipients is not None else self.recipients
        return _smtp.send(mail, server, policy=self._retry_policy, secrets=secrets, recipients=to)


def _table(items: tuple[AlertItem, ...], *, with_score: bool) -> str:
    head = ["Check", "Observed", "Expected", "Range"] + (["Score"] if with_score else []) + ["Reason"]
    rows = ["<table style=\"border-collapse:collapse\"><tr>" + "".join(f"<th style=\"{_CELL}\">{h}</th>" for h in head) + "</tr>"]
    for item in items:
        cells: list[Any] = [item.label, format_value(item.observed), format_value(item.expected), item.expected_range or "n/a"]
        if with_score:
            cells.append(format_value(item.score))
        cells.append(item.reason)
        rows.append("<tr>" + "".join(f"<td style=\"{_CELL}\">{_escape(c)}</td>" for c in cells) + "</tr>")
    return "".join(rows) + "</table>"


def _escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _file_uri(path: str) -> str:
    return Path(path).as_uri() if Path(path).is_absolute() else path
