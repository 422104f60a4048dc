"""Fixtures for the owner-alert tests.

``checked``        one real project, archive (40 healthy daily updates, then
                   a partial load) and GX checkpoint run, shared by the
                   session: its CheckpointResult and the ActionContext with
                   the Data Docs pages, to run alert actions on directly.
``run_action``     run an alert action on that result, as a checkpoint would;
                   the alert log is emptied after each test.
``receiver``       a real HTTP server on 127.0.0.1 (see ``_servers``).
``smtp_server``    a factory of real SMTP servers with STARTTLS or TLS.
``FAST``           retry settings that keep failure tests quick.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from great_expectations.checkpoint import UpdateDataDocsAction
from great_expectations.checkpoint.actions import ActionContext

from dataset_health.actions import AlertLog
from dataset_health.actions.alert_log import ALERT_LOG_TABLE
from dataset_health.archive.store import ArchiveStore
from dataset_health.context import get_context
from dataset_health.health_check import ensure_health_checkpoint
from dataset_health.init_project import init_project
from dataset_health.project import DatasetConfig, Project

from ._servers import HttpReceiver, SelfSignedCert, SmtpReceiver, make_self_signed_cert

DATASET = "court_filings"
OWNER = {"name": "Ada Byron", "email": "ada@example.org", "opted_in": True}
PARTIAL_ID = "u040"
FAST = {
    "max_retries": 2,
    "backoff_seconds": 0.01,
    "backoff_max_seconds": 0.05,
    "retry_after_max_seconds": 1.0,
    "timeout_seconds": 2.0,
}


def archive_rows(start: int, stop: int, *, partial_at: int | None = None) -> list[dict[str, Any]]:
    """Daily updates with a weekly volume pattern; ``partial_at`` loads 4% of it."""
    days = pd.date_range("2024-01-01 06:00", periods=stop, freq="D")
    return [
        {
            "update_id": f"u{i:03d}",
            "timestamp": days[i].isoformat(),
            "rows_created": 40 if i == partial_at else 1000 + (i % 7) * 10,
            "column_count": 5,
        }
        for i in range(start, stop)
    ]


def make_project(root: Path, owner: dict[str, Any] | None, *, partial: bool = True) -> Project:
    """A project with ``DATASET`` archived: 40 healthy updates, then a partial load."""
    project = init_project(root, datasets=[DatasetConfig(name=DATASET, owner=owner)])
    store = ArchiveStore(project.archive_url)
    try:
        store.append(DATASET, archive_rows(0, 41, partial_at=40 if partial else None))
    finally:
        store.engine.dispose()
    return project


@dataclass
class Checked:
    project: Project
    context: Any
    result: Any
    action_context: ActionContext

    @property
    def archive_url(self) -> str:
        return self.project.archive_url

    def base_fields(self, name: str) -> dict[str, Any]:
        return {"name": name, "dataset": DATASET, "owner": OWNER["name"], "archive_url": self.archive_url, **FAST}


@pytest.fixture(scope="session")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    project = make_project(tmp_path_factory.mktemp("alerts") / "project", {**OWNER, "channels": []})
    context = get_context(project.root)
    store = ArchiveStore(project.archive_url)
    try:
        result = ensure_health_checkpoint(context, project, store, DATASET).run()
    finally:
        store.engine.dispose()
    assert not result.success, "the partial load must fail the check"
    # The pages an UpdateDataDocsAction reports, as a checkpoint hands them to later actions.
    docs = UpdateDataDocsAction(name="update_data_docs")
    docs._data_context = context
    action_context = ActionContext()
    action_context.update(docs, docs.run(result))
    return Checked(project, context, result, action_context)


@pytest.fixture
def alert_log(checked: Checked) -> Iterator[AlertLog]:
    """The session archive's alert log, empty at the start of each test."""
    store = ArchiveStore(checked.archive_url)
    _empty_alert_log(store)
    yield AlertLog(store)
    _empty_alert_log(store)
    store.engine.dispose()


def _empty_alert_log(store: ArchiveStore) -> None:
    with store.engine.begin() as conn:
        if sa.inspect(conn).has_table(ALERT_LOG_TABLE):
            conn.execute(sa.text(f"DELETE FROM {ALERT_LOG_TABLE}"))


@pytest.fixture
def run_action(checked: Checked, alert_log: AlertLog) -> Callable[..., dict]:
    """Run an action on the session's checkpoint result, as Checkpoint.run does."""

    def run(action: Any, result: Any = None) -> dict:
        action._data_context = checked.context
        return action.run(result or checked.result, checked.action_context)

    return run


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver()
    yield server
    server.close()


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCert:
    return make_self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp_server(cert: SelfSignedCert) -> Iterator[Callable[..., SmtpReceiver]]:
    servers: list[SmtpReceiver] = []

    def start(**options: Any) -> SmtpReceiver:
        servers.append(SmtpReceiver(cert, **options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture(autouse=True)
def _quiet_smtp_server_log() -> None:
    # aiosmtpd logs every SMTP line at DEBUG, AUTH included; that is the test
    # server's output, not ours, so keep it out of the captured logs.
    import logging

    logging.getLogger("mail.log").setLevel(logging.WARNING)
