"""A hard time limit on each delivery attempt, whatever the server does.

requests' and smtplib's ``timeout`` bound each socket operation, not the
answer: a server that trickles a byte every second never trips it, and
keeps the attempt, and with it the checkpoint, running for as long as it
likes. Here every
request arms a timer; if the connection is still in use when it fires, its
socket is shut down, the blocked read returns, and the attempt fails (and
is retried) as a read timeout. :func:`socket_deadline` does the same for
a client that owns its socket (SMTP).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class AttemptDeadline:
    """Shut down any attempt of one delivery that outlives ``seconds``.

    ``expired`` says whether the most recent attempt was cut off, so that
    the error can say "no answer within" rather than "connection dropped".
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False

    def mount(self, adapter: HTTPAdapter) -> None:
        """Make ``adapter``'s connections enforce this deadline."""
        adapter.poolmanager.pool_classes_by_scheme = {
            "http": _pool_class(HTTPConnectionPool, HTTPConnection, self),
            "https": _pool_class(HTTPSConnectionPool, HTTPSConnection, self),
        }


@contextmanager
def socket_deadline(seconds: float, current_socket: Callable[[], Any]) -> Iterator[AttemptDeadline]:
    """Within the block, shut down ``current_socket()`` once ``seconds`` have passed.

    For clients that own their socket (smtplib): the socket is looked up
    when the time is up, since TLS may have replaced it meanwhile.
    """
    deadline = AttemptDeadline(seconds)

    def expire() -> None:
        sock = current_socket()
        if sock is not None:
            deadline.expired = True
            _shutdown(sock)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield deadline
    finally:
        timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    try:
        # The plain socket's shutdown, also under TLS: SSLSocket's own would
        # unwrap the TLS object under a reader running in another thread.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _pool_class(pool: type, connection: type, deadline: AttemptDeadline) -> type:
    class Connection(_Armed, connection):
        _deadline = deadline

    return type(pool.__name__, (pool,), {"ConnectionCls": Connection})


class _Armed:
    """Connection mix-in: a timer per request, disarmed by the next request or close."""

    _deadline: AttemptDeadline
    _timer: threading.Timer | None = None

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self._disarm()
        self._deadline.expired = False
        self._timer = threading.Timer(self._deadline.seconds, self._expire)
        self._timer.daemon = True  # never keeps a finished process alive
        self._timer.start()
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        response = super().getresponse(*args, **kwargs)  # type: ignore[misc]
        if self._deadline.expired:
            # Cut off mid-headers, http.client can take what came as a whole
            # answer. A timeout here makes urllib3 count and retry the attempt.
            raise TimeoutError(f"no answer within {self._deadline.seconds:g} s")
        return response

    def close(self) -> None:
        self._disarm()
        super().close()  # type: ignore[misc]

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        sock = getattr(self, "sock", None)
        if sock is None:
            return
        self._deadline.expired = True
        _shutdown(sock)
