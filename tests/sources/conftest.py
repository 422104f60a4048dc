"""Fixtures of the source tests: a fake Socrata server and a fast, impatient client."""

from __future__ import annotations

import pytest

from dataset_health.archive import ArchiveStore
from dataset_health.sources import SocrataClient, SocrataCredentials, TransportSettings

from .fake_socrata import FakeSocrata

#: Short waits so that retry tests stay fast; the behaviour is the same.
FAST = TransportSettings(connect_timeout=2.0, read_timeout=2.0, retries=2, backoff_factor=0.01,
                         backoff_max=0.05, retry_after_cap=0.3)
CREDENTIALS = SocrataCredentials(app_token="tok-APPTOKEN-123", username="key-ID-456", password="sec-SECRET-789",
                                 api_key=True)


@pytest.fixture(autouse=True)
def _no_socrata_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Credentials of the developer's shell must not leak into the tests.
    for suffix in ("APP_TOKEN", "USERNAME", "PASSWORD", "KEY_ID", "KEY_SECRET"):
        monkeypatch.delenv(f"DATASET_HEALTH_SOCRATA_{suffix}", raising=False)


@pytest.fixture
def fake() -> FakeSocrata:
    with FakeSocrata() as server:
        yield server


@pytest.fixture
def client(fake: FakeSocrata) -> SocrataClient:
    with SocrataClient(fake.url, credentials=CREDENTIALS, transport=FAST, page_size=100) as socrata:
        yield socrata


@pytest.fixture
def sqlite_store(sqlite_url: str) -> ArchiveStore:
    store = ArchiveStore(sqlite_url)
    yield store
    store.engine.dispose()
