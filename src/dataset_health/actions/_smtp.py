"""Send one email over SMTP, retried by the transport.

smtplib has no retry setting, so this module is the one place that loops:
connection errors, timeouts, dropped connections and transient SMTP replies
(4xx, e.g. ``421 try again later``) are retried with the policy's
exponential backoff; permanent replies (5xx: bad login, refused recipient)
and TLS failures are not, since repeating them cannot help. smtplib's
errors are translated here into :class:`DeliveryError`.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

from dataset_health.actions._deadline import socket_deadline
from dataset_health.actions._secrets import Secrets
from dataset_health.actions.delivery import DeliveryError, RetryPolicy, attempts_text

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


def send(mail: EmailMessage, server: SmtpServer, *, policy: RetryPolicy, secrets: Secrets) -> int:
    """Submit ``mail``; return the number of attempts it took."""
    where = f"SMTP server {server.host}:{server.port}"
    for attempt in range(1, policy.max_retries + 2):
        try:
            _send_once(mail, server, policy.timeout_seconds)
            return attempt
        except (ssl.SSLError, ssl.CertificateError) as exc:  # before OSError: SSLError is one
            raise DeliveryError(secrets.scrub(f"{where}: TLS failed ({exc.__class__.__name__}: {exc})"), attempt) from None
        except smtplib.SMTPResponseException as exc:
            reason = _reply(exc.smtp_code, exc.smtp_error)
            transient = 400 <= exc.smtp_code < 500
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            reason, transient = f"recipients refused (SMTP {', '.join(map(str, codes))})", False
        except smtplib.SMTPServerDisconnected:
            reason, transient = "connection dropped", True
        except smtplib.SMTPException as exc:  # before OSError, its base class
            reason, transient = exc.__class__.__name__, False
        except OSError as exc:  # refused, reset, timed out
            reason = "timed out" if isinstance(exc, TimeoutError) else f"connection failed ({exc.__class__.__name__})"
            transient = True
        if not transient or attempt > policy.max_retries:
            raise DeliveryError(secrets.scrub(f"{where}: {reason} ({attempts_text(attempt)})"), attempt)
        time.sleep(policy.backoff(attempt))
    raise AssertionError("unreachable: the loop returns or raises")


def _send_once(mail: EmailMessage, server: SmtpServer, timeout: float) -> None:
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
            client.send_message(mail)
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


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"SMTP {code} {' '.join(str(text).split())[:200]}".rstrip()
