"""Secrets come only from ${VARS} or the environment, and never come out.

A unique secret is planted in every place one can be configured: the
archive URL's password (through ``${VAR}`` in dataset_health.yml, and
through ``DATASET_HEALTH_ARCHIVE_URL``), the Socrata app token and API key,
a webhook URL (token in path and query) and its signing secret. Then a
check runs through the real CLI, alerts are sent (one fails), a Socrata
backfill fails and succeeds, connections fail; every file of the projects,
every table of the archive, the log records, the CLI's streams and every
error message are searched for each secret.

A secret written literally into dataset_health.yml is refused.
"""

from __future__ import annotations

import base64
import logging
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from dataset_health.archive.store import ArchiveStore
from dataset_health.cli import main
from dataset_health.errors import ArchiveError, ConfigError
from dataset_health.health_check import run_health_check
from dataset_health.init_project import init_project
from dataset_health.project import Project
from sources.fake_socrata import FakeSocrata, Reply

from .conftest import DATASET, archive_state, make_project, run_cli

PG_PASSWORD = "PLANTED-pgpw-5f1e0a"
APP_TOKEN = "PLANTED-apptoken-91c2"
KEY_ID = "PLANTED-keyid-a4e0"
KEY_SECRET = "PLANTED-keysecret-3b7d"
HOOK_TOKEN = "PLANTED-hook-c0de77"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"PLANTED-whsec-0123456789ab").decode()
SOCRATA_USER = "ada@example.org"
SOCRATA_PASSWORD = "PLANTED-socratapw-e81f"
PLANTED = (PG_PASSWORD, APP_TOKEN, KEY_ID, KEY_SECRET, SOCRATA_PASSWORD, HOOK_TOKEN, WEBHOOK_SECRET,
           WEBHOOK_SECRET.removeprefix("whsec_"),
           # and the forms they take on the wire: HTTP basic auth
           base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode(),
           base64.b64encode(f"{SOCRATA_USER}:{SOCRATA_PASSWORD}".encode()).decode())
FOURFOUR = "abcd-1234"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_password(url: str, password: str) -> str:
    return sa.make_url(url).set(password=password).render_as_string(hide_password=False)


@pytest.mark.slow
def test_planted_secrets_appear_in_no_output(tmp_path: Path, postgres_url: str, receiver, caplog, capfd,
                                              monkeypatch) -> None:
    caplog.set_level(logging.DEBUG)
    archive_url = _with_password(postgres_url, PG_PASSWORD)  # the test server trusts, so any password works
    env = {
        "DH_SECRET_ARCHIVE_URL": archive_url,
        "DH_SECRET_HOOK": receiver.url(f"/hook/{HOOK_TOKEN}?token={HOOK_TOKEN}"),
        "DH_SECRET_DEAD_HOOK": f"http://127.0.0.1:{_closed_port()}/hook/{HOOK_TOKEN}",
        "DH_SECRET_WHSEC": WEBHOOK_SECRET,
        "DATASET_HEALTH_SOCRATA_APP_TOKEN": APP_TOKEN,
        "DATASET_HEALTH_SOCRATA_KEY_ID": KEY_ID,
        "DATASET_HEALTH_SOCRATA_KEY_SECRET": KEY_SECRET,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    fast = {"max_retries": 0, "timeout_seconds": 2.0}
    owner = {"name": "Ada", "opted_in": True, "channels": [
        {"type": "webhook", "url": "${DH_SECRET_HOOK}", "secret": "${DH_SECRET_WHSEC}", **fast},
        {"type": "webhook", "url": "${DH_SECRET_DEAD_HOOK}", "secret": "${DH_SECRET_WHSEC}", **fast},
    ]}
    project = make_project(tmp_path / "project", "${DH_SECRET_ARCHIVE_URL}", owner=owner, key_column=None)
    store = ArchiveStore(project.archive_url)
    store.append(DATASET, [{"update_id": "partial", "timestamp": "2024-02-15 06:00", "rows_created": 3,
                            "row_count": 1300}])
    outputs: dict[str, str] = {}

    # A check through the real CLI: GX datasource, checkpoint, alerts (one fails), Data Docs.
    check = run_cli(project, "check", DATASET, env=env)
    assert check.returncode == 1, check.stdout + check.stderr
    outputs["check command"] = check.stdout + check.stderr
    assert len(receiver.bodies) == 1

    # The archive chosen by DATASET_HEALTH_ARCHIVE_URL, in a project that names another.
    other = init_project(tmp_path / "other")
    monkeypatch.setenv("DATASET_HEALTH_ARCHIVE_URL", archive_url)
    outputs["check via DATASET_HEALTH_ARCHIVE_URL"] = repr(run_health_check(Project.load(other.root), DATASET))
    monkeypatch.delenv("DATASET_HEALTH_ARCHIVE_URL")

    # Socrata: the server fails quoting the request's credentials back, then works.
    with FakeSocrata() as fake:
        revisions = f"/api/publishing/v1/revision/{FOURFOUR}"
        fake.handle(revisions, lambda seen: Reply({"message": f"denied {seen.headers.get('authorization')} "
                                                              f"token {seen.headers.get('x-app-token')}"}, status=403))
        args = ["--project", str(project.root), "backfill", "socrata_copy", "--from", "socrata", "--domain", fake.url,
                "--fourfour", FOURFOUR, "--no-progress"]
        failed = CliRunner().invoke(main, args)
        assert failed.exit_code == 2 and "403" in failed.output, failed.output
        outputs["failed backfill (API key)"] = failed.output
        with monkeypatch.context() as login:  # a user's login instead of an API key
            login.delenv("DATASET_HEALTH_SOCRATA_KEY_ID")
            login.delenv("DATASET_HEALTH_SOCRATA_KEY_SECRET")
            login.setenv("DATASET_HEALTH_SOCRATA_USERNAME", SOCRATA_USER)
            login.setenv("DATASET_HEALTH_SOCRATA_PASSWORD", SOCRATA_PASSWORD)
            failed = CliRunner().invoke(main, args)
            assert failed.exit_code == 2 and "403" in failed.output, failed.output
            outputs["failed backfill (login)"] = failed.output
        fake.route(revisions, [{"revision_seq": 1, "action": {"type": "update"}, "task_sets": [
            {"status": "successful", "finished_at": "2024-01-02T06:00:00Z",
             "log": [{"stage": "upsert_complete", "details": {"Rows Created": 5}}]}]}])
        done = CliRunner().invoke(main, args)
        assert done.exit_code == 0, done.output
        outputs["backfill"] = done.output
        assert any(s.headers.get("x-app-token") == APP_TOKEN for s in fake.requests())  # it was sent

    # Connections that fail name the archive without its password.
    dead = _with_password(f"postgresql+psycopg://dh@127.0.0.1:{_closed_port()}/archive", PG_PASSWORD)
    with pytest.raises(ArchiveError) as refused:
        ArchiveStore(dead).datasets()
    outputs["archive error"] = str(refused.value)
    listed = run_cli(project, "archive", "list", env={**env, "DATASET_HEALTH_ARCHIVE_URL": dead})
    assert listed.returncode == 2
    outputs["archive list on a dead archive"] = listed.stdout + listed.stderr

    outputs["archive tables (dh_verdicts, dh_alert_log, archives)"] = repr(archive_state(postgres_url))
    captured = capfd.readouterr()
    outputs["stdout/stderr"] = captured.out + captured.err
    outputs["log records"] = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    outputs["webhook bodies"] = repr(receiver.bodies)
    files = {path: path.read_bytes() for root in (project.root, other.root) for path in root.rglob("*") if path.is_file()}
    assert any(p.suffix == ".json" and "validations" in p.parts for p in files)
    assert any(p.name == "great_expectations.yml" for p in files)
    for secret in PLANTED:
        for where, text in outputs.items():
            assert secret not in text, f"{secret!r} leaked into the {where}"
        for path, content in files.items():
            assert secret.encode() not in content, f"{secret!r} leaked into {path}"
    store.engine.dispose()


def test_a_literal_password_in_the_project_file_is_refused(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://dh:{PG_PASSWORD}@127.0.0.1/archive"
    with pytest.raises(ConfigError) as refused:
        init_project(tmp_path / "project", archive_url=url)
    assert PG_PASSWORD not in str(refused.value) and "${" in str(refused.value)
    assert not (tmp_path / "project" / "dataset_health.yml").exists()

    (tmp_path / "hand").mkdir()
    (tmp_path / "hand" / "dataset_health.yml").write_text(f"archive_url: {url}\n")
    with pytest.raises(ConfigError) as refused:
        Project.load(tmp_path / "hand").archive_url
    assert PG_PASSWORD not in str(refused.value)
    # Through a variable it is fine.
    (tmp_path / "hand" / "dataset_health.yml").write_text(
        "archive_url: postgresql+psycopg://dh:${DH_PW}@127.0.0.1/archive\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DH_PW", PG_PASSWORD)
        assert PG_PASSWORD in Project.load(tmp_path / "hand").archive_url
