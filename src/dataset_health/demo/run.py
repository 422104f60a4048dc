"""The demo: a complete health check on bundled sample history.

Two years of daily updates of a court-filings-like dataset (see
:mod:`dataset_health.demo.sample_history`) are archived to SQLite, and a real
GX checkpoint judges the newest update, a partial load. With a webhook URL
the owner's alert is delivered there (signed, Standard Webhooks); without
one the demo shows the alert it would send.
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from dataset_health.actions.message import AlertItem, AlertMessage
from dataset_health.archive.csvio import import_csv
from dataset_health.archive.store import ArchiveStore
from dataset_health.errors import ConfigError
from dataset_health.health_check import HealthCheckResult, run_health_check
from dataset_health.init_project import init_project
from dataset_health.project import CONFIG_FILE, DatasetConfig, Project
from dataset_health.replay import replay_verdicts

DEMO_DATASET = "court_filings"
DEMO_OWNER = {"name": "Demo Owner", "email": "owner@example.org", "opted_in": True}
HISTORY_FILE = "court_filings_history.csv"
REPLAYED_UPDATES = 120
WEBHOOK_URL_VAR = "DATASET_HEALTH_DEMO_ALERT_URL"
WEBHOOK_SECRET_VAR = "DATASET_HEALTH_DEMO_WEBHOOK_SECRET"


def run_demo(directory: str | Path | None = None, *, webhook_url: str | None = None) -> tuple[Project, HealthCheckResult]:
    """Create a demo project in ``directory`` (default: a new temporary one) and check it.

    With ``webhook_url`` the owner opts in to a webhook channel there; its
    URL and signing secret are read from environment variables, as every
    alert secret is (the secret is generated when not set).
    """
    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="dataset-health-demo-"))
    _refuse_someone_elses_project(root)
    owner = dict(DEMO_OWNER)
    with _alert_environment(webhook_url):
        return _run(root, owner, webhook_url)


def _refuse_someone_elses_project(root: Path) -> None:
    """A ConfigError when ``root`` is a project with datasets besides the demo's: the demo
    imports its history into the project it runs in and sets its dataset's owner."""
    if not (root / CONFIG_FILE).exists():
        return
    others = sorted(set(Project.load(root).datasets) - {DEMO_DATASET})
    if others:
        raise ConfigError(f"{root} is a project with other datasets ({', '.join(others)}); the demo would add "
                          f"{DEMO_DATASET!r} and its history to it: give a new directory to --dir")


@contextmanager
def _alert_environment(webhook_url: str | None) -> Iterator[None]:
    """The demo's alert secrets, in the environment only while the demo runs."""
    if not webhook_url:
        yield
        return
    saved = {name: os.environ.get(name) for name in (WEBHOOK_URL_VAR, WEBHOOK_SECRET_VAR)}
    os.environ[WEBHOOK_URL_VAR] = webhook_url
    os.environ.setdefault(WEBHOOK_SECRET_VAR, "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode())
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run(root: Path, owner: dict, webhook_url: str | None) -> tuple[Project, HealthCheckResult]:
    if webhook_url:
        owner["channels"] = [{"type": "webhook", "url": f"${{{WEBHOOK_URL_VAR}}}", "secret": f"${{{WEBHOOK_SECRET_VAR}}}"}]
    project = init_project(
        root,
        # US courts close on federal holidays: the suite compares those with weekends.
        datasets=[DatasetConfig(name=DEMO_DATASET, owner=owner, key_column="case_id", freshness_column="filed_at",
                                holidays="us_federal")],
    )
    # A demo directory used before keeps its settings, but the alert channel is this run's choice.
    project.datasets[DEMO_DATASET].owner = owner
    project.save()
    store = ArchiveStore(project.archive_url)
    with resources.as_file(resources.files("dataset_health.demo") / HISTORY_FILE) as history:
        import_csv(store, DEMO_DATASET, history)
    # Judge the past few months as the suite would have, so the history page
    # shows a timeline and bands, then check the newest update for real.
    replay_verdicts(project, DEMO_DATASET, last=REPLAYED_UPDATES)
    return project, run_health_check(project, DEMO_DATASET)


def alert_preview(result: HealthCheckResult, owner: str = DEMO_OWNER["name"]) -> str:
    """The text of the alert the owner would get for ``result``."""
    message = AlertMessage(
        kind="alert",
        dataset=result.dataset,
        owner=owner,
        update_id=result.update_id,
        update_time=next((o.update_timestamp for o in result.outcomes if o.update_timestamp), None),
        checked_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        failures=tuple(AlertItem.from_outcome(o) for o in result.failed),
        docs_link=str(result.docs_index) if result.docs_index else None,
    )
    return message.text()
