"""Fixtures shared by every test package.

Databases
    ``sqlite_url``    a SQLite file in the test's tmp_path.
    ``postgres_url``  a fresh PostgreSQL schema, created for the test and
                      dropped after it; the URL's ``search_path`` points at it.
                      The server comes from ``DATASET_HEALTH_TEST_POSTGRES_URL``
                      (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
                      Unreachable server: skip, or fail when
                      ``DATASET_HEALTH_REQUIRE_POSTGRES=1`` (CI sets it).
                      Tests that use it are marked ``postgres`` automatically.
    ``archive_url``   parametrized over both ("sqlite", "postgresql").
    ``store``         an ``ArchiveStore`` on ``archive_url``.

Browser
    ``chromium``      the path of Debian's chromium (skip, or fail in CI).

Shared data (``../shared`` beside the repository; ``DATASET_HEALTH_SHARED``
overrides): ``SHARED_DIR``, ``BENCHMARK_DIR``, ``FIXTURES_DIR`` as constants,
and the fixtures ``benchmark_dir`` and ``fixtures_dir``, which fail clearly
when the folder is absent. The shared folder may be read-only: never write
into it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("DATASET_HEALTH_SHARED") or REPO_ROOT.parent / "shared")
BENCHMARK_DIR = SHARED_DIR / "benchmark"
FIXTURES_DIR = SHARED_DIR / "fixtures"

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_PG_CONNECT_TIMEOUT_S = 5


def _require(folder: Path) -> Path:
    if not folder.is_dir():
        pytest.fail(
            f"shared folder {folder} not found: clone the repository next to 'shared' "
            "or set DATASET_HEALTH_SHARED",
            pytrace=False,
        )
    return folder


@pytest.fixture(scope="session")
def benchmark_dir() -> Path:
    return _require(BENCHMARK_DIR)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return _require(FIXTURES_DIR)


# ------------------------------------------------------------------ browser
@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's headless Chromium: skipped locally when absent, required in CI
    (``DATASET_HEALTH_REQUIRE_CHROMIUM=1``)."""
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("DATASET_HEALTH_REQUIRE_CHROMIUM") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


# ---------------------------------------------------------------- databases
@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.db'}"


def _postgres_base_url() -> sa.URL:
    return sa.make_url(os.environ.get("DATASET_HEALTH_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)


def _admin_engine(url: sa.URL) -> sa.Engine:
    return sa.create_engine(
        url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": _PG_CONNECT_TIMEOUT_S}
    )


@pytest.fixture(scope="session")
def _postgres_server() -> sa.URL:
    """The base URL of a reachable PostgreSQL server, checked once per session."""
    url = _postgres_base_url()
    engine = _admin_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        reason = (
            f"PostgreSQL at {url.render_as_string(hide_password=True)} is unreachable "
            f"({type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}); "
            "set DATASET_HEALTH_TEST_POSTGRES_URL to a reachable server"
        )
        if os.environ.get("DATASET_HEALTH_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (DATASET_HEALTH_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(reason)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def postgres_url(_postgres_server: sa.URL) -> str:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    schema = f"dh_test_{uuid.uuid4().hex[:16]}"
    admin = _admin_engine(_postgres_server)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = _postgres_server.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            # Connections a test left in its pools are idle; do not wait forever
            # on one that is not.
            conn.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def archive_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def store(archive_url: str):
    from dataset_health.archive import ArchiveStore

    archive = ArchiveStore(archive_url)
    yield archive
    archive.engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests that ask for postgres_url directly get the marker too, so
    # ``-m "not postgres"`` deselects every test that needs the server.
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
