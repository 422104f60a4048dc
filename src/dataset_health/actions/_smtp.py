"""Send one email over SMTP, retried by the transport.

smtplib has no retry setting, so this module is the one place that loops:
connection errors, timeouts, dropped connections and transient SMTP replies
(4xx, e.g. ``421 try again later``) are retried with the policy's
exponential backoff; permanent replies (5xx: bad login, refused recipient)
and TLS failures are not, since repeating them cannot help. Recipients are
judged one by one at ``RCPT``: when the server accepts some and refuses
others, the message goes to the accepted ones, and only the recipients
refused temporarily (4xx) are tried again; the result is a
:class:`PartialDelivery` unless they all got it in the end. smtplib's
errors are translated here into :class:`DeliveryError`.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Literal

from dataset_health.actions._deadline import socket_deadline
from dataset_health.actions._secrets import Secrets
from dataset_health.actions.delivery import DeliveryError, PartialDelivery, RetryPolicy, attempts_text

Security = Literal["starttls", "ssl", "none"]


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to submit mail."""

    host: str
    port: int
    security: Security = "starttls"
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None  # PEM bundle to trust instead of the system's


def send(
    mail: EmailMessage,
    server: SmtpServer,
    *,
    policy: RetryPolicy,
    secrets: Secrets,
    recipients: Sequence[str] | None = None,
) -> int:
    """Submit ``mail`` to ``recipients``; return the number of attempts it took.

    ``recipients`` default to the message's To, Cc and Bcc. A server may
    accept some recipients and refuse others at ``RCPT``: the message then
    goes to those it accepted, a recipient refused permanently (5xx) is
    given up, and one refused temporarily (4xx) is retried alone, never the
    ones that already got it.

    Raises
    ------
    PartialDelivery
        When some recipients got it and others did not, after every retry.
    DeliveryError
        When nobody got it; ``retry_to`` says which recipients a later retry
        can still reach when the server refused some of them.
    """
    where = f"SMTP server {server.host}:{server.port}"
    pending = list(recipients) if recipients is not None else _header_recipients(mail)
    delivered: list[str] = []
    refused: dict[str, str] = {}  # permanently (5xx), with the server's reply
    for attempt in range(1, policy.max_retries + 2):
        refused_for_now: dict[str, str] = {}  # temporarily (4xx), on this attempt
        general: str | None = None  # why this attempt failed for every pending recipient
        try:
            rejected = _send_once(mail, server, policy.timeout_seconds, pending)
        except (ssl.SSLError, ssl.CertificateError) as exc:  # before OSError: SSLError is one
            general, transient = f"TLS failed ({exc.__class__.__name__}: {exc})", False
        except smtplib.SMTPResponseException as exc:
            general, transient = _reply(exc.smtp_code, exc.smtp_error), _is_transient(exc.smtp_code)
        except smtplib.SMTPRecipientsRefused as exc:
            # Nobody got it. A recipient missing from exc.recipients was not
            # refused: the server ended the session (421) before its turn.
            _sort_refusals(exc.recipients, refused, refused_for_now)
            pending = [r for r in pending if r not in refused]
            transient = bool(pending)
        except smtplib.SMTPServerDisconnected:
            general, transient = "connection dropped", True
        except smtplib.SMTPException as exc:  # before OSError, its base class
            general, transient = exc.__class__.__name__, False
        except OSError as exc:  # refused, reset, timed out
            general = "timed out" if isinstance(exc, TimeoutError) else f"connection failed ({exc.__class__.__name__})"
            transient = True
        else:  # accepted for every recipient the server did not refuse
            delivered += [r for r in pending if r not in rejected]
            _sort_refusals(rejected, refused, refused_for_now)
            pending = [r for r in pending if r in refused_for_now]
            if not pending and not refused:
                return attempt
            transient = bool(pending)
        if not transient or attempt > policy.max_retries:
            break
        time.sleep(policy.backoff(attempt))
    outcome = _outcome(delivered, refused, refused_for_now, pending, general)
    message = secrets.scrub(f"{where}: {outcome} ({attempts_text(attempt)})")
    if delivered:
        raise PartialDelivery(message, attempt, delivered=tuple(delivered), retry_to=tuple(pending))
    # Once some recipient was refused for good, a later retry goes to the others only.
    raise DeliveryError(message, attempt, retry_to=tuple(pending) if refused else None)


def _send_once(mail: EmailMessage, server: SmtpServer, timeout: float, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
    """One session; returns the recipients the server refused (it accepted the rest)."""
    context = ssl.create_default_context(cafile=server.ca_file)
    # Created unconnected, so that the whole attempt, greeting included, runs
    # under the deadline: smtplib's timeout bounds each read, and a server
    # that trickles its replies would never trip it.
    if server.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(timeout=timeout)
    client._host = server.host  # the TLS server name, which smtplib sets in its constructor only
    with socket_deadline(timeout, lambda: getattr(client, "sock", None)) as deadline:
        try:
            client.connect(server.host, server.port)
            if server.security == "starttls":
                client.starttls(context=context)
            if server.username:
                client.login(server.username, server.password or "")
            return client.send_message(mail, to_addrs=recipients)
        except (smtplib.SMTPServerDisconnected, ssl.SSLError) as exc:
            if deadline.expired:  # we cut it off: say so, and let it be retried
                raise TimeoutError(f"no answer within {timeout:g} s") from exc
            raise
        finally:
            _close(client)


def _close(client: smtplib.SMTP) -> None:
    # The message is accepted once send_message returns; a failing QUIT must
    # not turn that into a failure that would be retried and send it twice.
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _header_recipients(mail: EmailMessage) -> list[str]:
    """The addresses smtplib's send_message would take from the headers."""
    fields = [str(value) for name in ("To", "Bcc", "Cc") for value in mail.get_all(name, [])]
    return [address for _, address in getaddresses(fields)]


def _is_transient(code: int) -> bool:
    return 400 <= code < 500


def _sort_refusals(rejected: dict[str, tuple[int, bytes]], refused: dict[str, str], refused_for_now: dict[str, str]) -> None:
    for recipient, (code, text) in rejected.items():
        (refused_for_now if _is_transient(code) else refused)[recipient] = _reply(code, text)


def _outcome(
    delivered: list[str], refused: dict[str, str], refused_for_now: dict[str, str], pending: list[str], general: str | None
) -> str:
    """What became of each recipient, e.g. ``refused b@x (SMTP 550 ...); sent to a@x``."""
    if general is not None and not (delivered or refused):
        return general  # nobody got it, for one reason
    parts = []
    if refused:
        parts.append("refused " + ", ".join(f"{r} ({reply})" for r, reply in refused.items()))
    if refused_for_now:
        parts.append("refused for now " + ", ".join(f"{r} ({reply})" for r, reply in refused_for_now.items()))
    rest = [r for r in pending if r not in refused_for_now]
    if rest:
        why = general or "the server ended the session before their turn"
        parts.append(f"not delivered to {', '.join(rest)}: {why}")
    if delivered:
        parts.append("sent to " + ", ".join(delivered))
    return "; ".join(parts) or "no recipients"


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"SMTP {code} {' '.join(str(text).split())[:200]}".rstrip()
