"""A real HTTP server on 127.0.0.1 that plays a Socrata domain from scripts.

Each route answers with a script: a list of replies used in order, the last
one repeating, or a function of the request. Every request is recorded
(method, path, query, headers, body, arrival time) for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    """One scripted answer; ``body`` is JSON-encoded unless it is bytes."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


Script = list[Reply] | Callable[[Seen], Reply]


class FakeSocrata:
    """Start with :meth:`start` (or as a context manager); routes by method and path."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Script] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ---------------------------------------------------------------- scripts
    def route(self, path: str, *replies: Reply | Any, method: str = "GET") -> None:
        """Answer ``path`` with ``replies`` in order (bare values are 200 JSON bodies)."""
        self.routes[(method, path)] = [r if isinstance(r, Reply) else Reply(r) for r in replies]

    def handle(self, path: str, function: Callable[[Seen], Reply | Any], method: str = "GET") -> None:
        """Answer ``path`` with ``function(request)``."""
        self.routes[(method, path)] = lambda seen: _as_reply(function(seen))

    def requests(self, path: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if path is None or s.path == path]

    # ----------------------------------------------------------------- server
    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeSocrata":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                fake._answer(self)

            def do_POST(self) -> None:
                fake._answer(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> "FakeSocrata":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        seen = Seen(
            method=handler.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=handler.rfile.read(length) if length else b"",
            at=time.monotonic(),
        )
        with self._lock:
            self.seen.append(seen)
            script = self.routes.get((handler.command, parts.path))
            if script is None:
                reply = Reply({"code": "not_found", "error": True, "message": "not found"}, status=404)
            elif callable(script):
                reply = None
            else:
                reply = script.pop(0) if len(script) > 1 else script[0]
        if reply is None:
            reply = script(seen)  # outside the lock: a handler may be slow
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer


def _as_reply(value: Reply | Any) -> Reply:
    return value if isinstance(value, Reply) else Reply(value)


def paged(items: list[Any], *, wrap: Callable[[list[Any]], Any] = lambda page: page) -> Callable[[Seen], Any]:
    """A handler serving ``items`` by the request's ``limit``/``offset``."""

    def handler(seen: Seen) -> Any:
        offset, limit = int(seen.query.get("offset", 0)), int(seen.query.get("limit", len(items) or 1))
        return wrap(items[offset : offset + limit])

    return handler
