"""Owner alerts when the receiving endpoint misbehaves, through a real check.

For each fault (an answer trickled a byte at a time, HTTP 500, HTTP 429
asking to come back in an hour, a connection reset, a connection that
never answers) the promises are:

- the check finishes in bounded time (each attempt is cut off after the
  channel's ``timeout_seconds``, ``Retry-After`` is capped);
- the failure is recorded in the alert log, after exactly ``1 + max_retries``
  attempts: retried, but no storm;
- ``retry_failed_deliveries`` delivers it once the endpoint heals, and a
  second check of the same update does not send it again.

The endpoint is a raw TCP server, so it can do what no HTTP server library
does on purpose. Checks run in forked children that the test kills if they
outlive the bound: a check stuck on a trickling endpoint fails the test
instead of hanging it.
"""

from __future__ import annotations

import base64
import os
from email.message import EmailMessage
import signal
import socket
import struct
import threading
import time
from pathlib import Path

import pytest

from dataset_health.actions import AlertLog, retry_failed_deliveries
from dataset_health.actions._secrets import Secrets
from dataset_health.actions._smtp import SmtpServer, send
from dataset_health.actions.delivery import DeliveryError, RetryPolicy
from dataset_health.archive.store import ArchiveStore
from dataset_health.health_check import run_health_check

from .conftest import DATASET, fork_call, history_rows, make_project

MAX_RETRIES = 2
TIMEOUT_S = 1.0
#: Whole check, alert included: the delivery itself needs at most
#: 3 attempts x 1 s + backoff + capped Retry-After (about 6 s); the rest is
#: the check, on a loaded 2-core machine.
CHECK_BOUND_S = 90.0
FAULTS = ["trickle", "500", "429", "reset", "silent"]


class FaultyEndpoint:
    """A TCP server on 127.0.0.1 that reads each HTTP request, then misbehaves as ``mode`` says."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests = 0
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.getsockname()[1]}/hook"

    def close(self) -> None:
        self._stop.set()
        self._server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:  # accept timed out, or the server was closed
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                if self.mode == "smtp-trickle":  # SMTP: the server speaks first, a byte at a time
                    self.requests += 1
                    conn.sendall(b"220")
                    while not self._stop.wait(0.2):
                        conn.sendall(b"-")
                    return
                while self._read_request(conn):
                    self.requests += 1
                    if not self._answer(conn):
                        return
            except OSError:
                return

    def _read_request(self, conn: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += conn.recv(65536)
        return True

    def _answer(self, conn: socket.socket) -> bool:
        """Answer one request; False when the connection must end."""
        mode = self.mode
        if mode in ("ok", "500", "429"):
            status = {"ok": "200 OK", "500": "500 Internal Server Error", "429": "429 Too Many Requests"}[mode]
            extra = "Retry-After: 3600\r\n" if mode == "429" else ""
            conn.sendall(f"HTTP/1.1 {status}\r\n{extra}Content-Length: 2\r\n\r\nno".encode())
            return True
        if mode == "reset":  # RST instead of an answer
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if mode == "trickle":  # a valid answer, one byte every 0.2 s, never ending
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not self._stop.wait(0.2):
                conn.sendall(b"X")
            return False
        self._stop.wait()  # silent: keep the connection open, never answer
        return False


@pytest.fixture
def faulty_project(tmp_path: Path, monkeypatch):
    """A project whose newest update is a partial load, alerted to a webhook on a faulty endpoint."""
    monkeypatch.setenv("DH_FAULT_HOOK", "http://127.0.0.1:9/unset")
    monkeypatch.setenv("DH_FAULT_SECRET", "whsec_" + base64.b64encode(b"s" * 32).decode())
    channel = {"type": "webhook", "url": "${DH_FAULT_HOOK}", "secret": "${DH_FAULT_SECRET}",
               "max_retries": MAX_RETRIES, "timeout_seconds": TIMEOUT_S, "backoff_seconds": 0.1,
               "backoff_max_seconds": 0.2, "retry_after_max_seconds": 1.0}
    project = make_project(tmp_path / "project", f"sqlite:///{tmp_path / 'archive.db'}", key_column=None,
                           owner={"name": "Ada", "opted_in": True, "channels": [channel]})
    store = ArchiveStore(project.archive_url)
    try:
        store.append(DATASET, [{**history_rows(31)[-1], "update_id": "partial", "rows_created": 1}])
    finally:
        store.engine.dispose()
    return project


def _bounded_check(project) -> float:
    """Run one check in a child; its wall time. Killed and failed past the bound."""
    started = time.monotonic()
    child = fork_call(lambda: run_health_check(project, DATASET))
    while time.monotonic() - started < CHECK_BOUND_S:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0, "the check raised"
            return time.monotonic() - started
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    pytest.fail(f"the check was still running after {CHECK_BOUND_S:g} s")


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS)
def test_a_faulty_endpoint_costs_bounded_time_and_the_alert_is_recorded_and_retried(
    faulty_project, fault: str, monkeypatch
) -> None:
    endpoint = FaultyEndpoint(fault)
    monkeypatch.setenv("DH_FAULT_HOOK", endpoint.url)
    store = ArchiveStore(faulty_project.archive_url)
    log = AlertLog(store)
    try:
        _bounded_check(faulty_project)
        assert endpoint.requests == 1 + MAX_RETRIES  # retried, and no more
        rows = log.entries(DATASET)  # one row per failed check, all of one delivery
        assert rows["delivery_id"].nunique() == 1
        assert set(zip(rows["kind"], rows["status"], rows["attempts"])) == {("alert", "failed", 1 + MAX_RETRIES)}
        if fault in ("trickle", "silent"):
            assert f"no answer within {TIMEOUT_S:g} s" in rows["error"].iloc[0], rows["error"].iloc[0]
        [notice] = log.undelivered(DATASET)

        endpoint.mode = "ok"  # the receiver is fixed: the queued alert goes out, once
        [report] = retry_failed_deliveries(faulty_project, DATASET)
        assert (report.status, report.delivery_id) == ("sent", notice.delivery_id), report
        assert endpoint.requests == 2 + MAX_RETRIES and log.undelivered(DATASET) == []

        store.engine.dispose()  # no SQLite connection of ours crosses the fork
        _bounded_check(faulty_project)  # the same update again: already told, nothing sent
        # The log says why a repeat went out: this failed once in CI, and the run left nothing else.
        assert endpoint.requests == 2 + MAX_RETRIES, log.entries(DATASET).to_string()
    finally:
        endpoint.close()
        store.engine.dispose()


def test_a_trickling_mail_server_costs_bounded_time() -> None:
    """smtplib's timeout bounds each read only: a greeting sent a byte at a time never trips it."""
    endpoint = FaultyEndpoint("smtp-trickle")
    port = endpoint._server.getsockname()[1]
    outcome: list[BaseException] = []
    policy = RetryPolicy(max_retries=1, timeout_seconds=0.5, backoff_seconds=0.05)

    def deliver() -> None:
        try:
            send(EmailMessage(), SmtpServer("127.0.0.1", port, security="none"), policy=policy, secrets=Secrets(None))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=deliver, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(timeout=20)
    try:
        assert not worker.is_alive(), "the delivery was still waiting for the greeting after 20 s"
        assert time.monotonic() - started < 5
        [error] = outcome
        assert isinstance(error, DeliveryError) and "timed out (2 attempts)" in str(error), repr(error)
        assert endpoint.requests == 2
    finally:
        endpoint.close()
