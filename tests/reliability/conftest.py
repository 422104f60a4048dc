"""Helpers of the reliability tests: projects, the real CLI, forked workers.

``make_project``   a project on a given archive URL with ``DATASET`` archived:
                   daily history rows, optionally a keyed seed capture.
``run_cli``        ``dataset-health`` in a subprocess (the real entry point).
``fork_call``      run a function in a forked child (GX already imported, so a
                   child starts in milliseconds); the parent can SIGKILL it.
``archive_state``  everything the archive holds, to compare before and after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from dataset_health.archive.store import ArchiveStore
from dataset_health.init_project import init_project
from dataset_health.project import DatasetConfig, Project

DATASET = "feed"
KEY = "id"
CLI_TIMEOUT_S = 300


def history_rows(count: int, *, start: str = "2024-01-01 06:00") -> list[dict[str, Any]]:
    """Healthy daily updates with the metrics a keyed capture also records."""
    days = pd.date_range(start, periods=count, freq="D")
    rows = []
    for i, day in enumerate(days):
        created = 100 + (i % 7) * 3
        rows.append({
            "update_id": f"h{i:03d}",
            "timestamp": day.isoformat(),
            "rows_created": created,
            "rows_updated": 10 + i % 3,
            "rows_deleted": 0,
            "row_count": 1000 + 10 * i,
            "column_count": 2,
            "duplicate_key_count": 0,
            "null_fraction__value": 0.0,
        })
    return rows


def keyed_frame(size: int) -> pd.DataFrame:
    """The monitored dataset with keys 0..size-1 (so snapshots differ by size only)."""
    return pd.DataFrame({KEY: range(size), "value": [k * 2 for k in range(size)]})


def make_project(
    root: Path,
    archive_url: str,
    *,
    history: int = 30,
    key_column: str | None = KEY,
    owner: dict[str, Any] | None = None,
) -> Project:
    project = init_project(
        root, archive_url=archive_url, datasets=[DatasetConfig(name=DATASET, key_column=key_column, owner=owner)]
    )
    store = ArchiveStore(project.archive_url)
    try:
        if history:
            store.append(DATASET, history_rows(history))
    finally:
        store.engine.dispose()
    return project


def cli_command(project: Project | Path, *args: str) -> list[str]:
    root = project.root if isinstance(project, Project) else project
    return [sys.executable, "-m", "dataset_health.cli", "--project", str(root), *args]


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATASET_HEALTH_") or k.startswith("DATASET_HEALTH_TEST")}
    env.update(extra or {})
    return env


def run_cli(project: Project | Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        cli_command(project, *args), capture_output=True, text=True, timeout=CLI_TIMEOUT_S, env=cli_env(env)
    )


def fork_call(function: Callable[[], Any]) -> int:
    """Run ``function`` in a forked child; return its pid. Exit status 0 = returned."""
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        status = 1
        try:
            function()
            status = 0
        except BaseException:  # noqa: BLE001 - report anything, then leave
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    return pid


def wait_child(pid: int) -> int:
    """The exit status of a forked child (negative: killed by that signal)."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def archive_state(url: str) -> dict[str, list[tuple]]:
    """Every row of every table in the archive database, sorted: equal states compare equal."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            state = {}
            for name in sorted(names):
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                state[name] = sorted(
                    (tuple(repr(v) for v in row) for row in conn.execute(sa.select(table))),
                )
                state[name + " columns"] = [tuple(c.name for c in table.c)]
            return state
    finally:
        engine.dispose()


class Receiver:
    """A real HTTP server on 127.0.0.1 that answers 200 to every POST and keeps the bodies."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()
