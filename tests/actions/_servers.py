"""Real local servers for the alert tests: HTTP receiver, SMTP server, TLS cert.

``HttpReceiver`` is a threaded ``http.server`` on 127.0.0.1 that records
every request and answers from a script (status, headers, body, delay), so
tests can inject 500s, 429s with Retry-After, slow answers and redirects.
``SmtpReceiver`` is an aiosmtpd server with STARTTLS (or implicit TLS) on a
certificate made here with ``cryptography``, optional login, and scripted
replies to DATA (e.g. a transient ``421`` first) and to RCPT per recipient
(``refuse("bad@x", "550 ...")``: one recipient refused, the others not).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


# --------------------------------------------------------------------- ports
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on: connecting to it is refused."""
    return free_port()


# ---------------------------------------------------------------------- HTTP
@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0  # seconds to sleep before answering (timeouts)


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float

    def json(self) -> Any:
        import json

        return json.loads(self.body)


class HttpReceiver:
    """A threaded HTTP server that records POSTs and answers from a script."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._script: deque[Reply] = deque()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                )
                reply = receiver._script.popleft() if receiver._script else Reply()
                time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: Any) -> None:
                pass  # request lines name the secret path; keep stderr clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with ``replies``, then 200."""
        self._script.extend(replies)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def verify_standard_webhook(secret: str, request: Received, *, tolerance_s: int = 300) -> Any:
    """Check a request the way the Standard Webhooks spec tells receivers to."""
    msg_id = request.headers["webhook-id"]
    timestamp = request.headers["webhook-timestamp"]
    assert timestamp.isdigit(), "webhook-timestamp must be integer Unix seconds"
    assert abs(time.time() - int(timestamp)) <= tolerance_s, "timestamp outside the tolerance"
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + request.body, hashlib.sha256).digest()
    signatures = [s.split(",", 1) for s in request.headers["webhook-signature"].split(" ")]
    assert any(
        version == "v1" and hmac.compare_digest(base64.b64decode(sig), expected) for version, sig in signatures
    ), "no v1 signature matches"
    return request.json()


# ----------------------------------------------------------------------- TLS
@dataclass(frozen=True)
class SelfSignedCert:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_self_signed_cert(directory: Path) -> SelfSignedCert:
    """A self-signed certificate for 127.0.0.1/localhost, trusted as its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dataset-health test SMTP")])
    now = dt.datetime.now(dt.timezone.utc)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return SelfSignedCert(cert_file, key_file)


# ---------------------------------------------------------------------- SMTP
class _Handler:
    def __init__(self, receiver: "SmtpReceiver") -> None:
        self.receiver = receiver

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's naming
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        self.receiver.rcpts.append(address)
        script = self.receiver.rcpt_replies.get(address)
        if script:
            reply, times = script[0]
            if times is not None:  # None: refused every time
                script[0] = (reply, times - 1)
                if times - 1 <= 0:
                    script.popleft()
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's naming
        if self.receiver.replies:
            return self.receiver.replies.popleft()
        self.receiver.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1: STARTTLS required (or implicit TLS), login optional."""

    def __init__(self, cert: SelfSignedCert, *, implicit_tls: bool = False, login: tuple[str, str] | None = None) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.replies: deque[str] = deque()
        self.rcpt_replies: dict[str, deque[tuple[str, int | None]]] = {}
        self.rcpts: list[str] = []  # every RCPT TO address, in order, accepted or not
        self.logins: list[str] = []
        self.port = free_port()
        tls = cert.server_context()
        options: dict[str, Any] = {"ssl_context": tls} if implicit_tls else {"tls_context": tls, "require_starttls": True}
        if login is not None:
            options.update(authenticator=self._authenticator(login), auth_required=True)
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()

    def refuse(self, address: str, reply: str, *, times: int | None = None) -> None:
        """Answer RCPT TO ``address`` with ``reply`` (e.g. ``550 5.1.1 no such user``),
        the next ``times`` times or, when None, always; other recipients are accepted."""
        self.rcpt_replies.setdefault(address, deque()).append((reply, times))

    def _authenticator(self, login: tuple[str, str]) -> Any:
        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
            ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == login
            if ok:
                self.logins.append(auth_data.login.decode())
            return AuthResult(success=ok, handled=False)

        return authenticate

    def close(self) -> None:
        """Stop the server (again: a test may stop it early, the fixture does at the end)."""
        if self._controller._thread is not None:
            self._controller.stop()
