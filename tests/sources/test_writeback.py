"""Publishing an archive back to Socrata with keyed SODA upserts."""

from __future__ import annotations

import pytest

from dataset_health.errors import SourceError
from dataset_health.sources import publish_archive

from .fake_socrata import FakeSocrata, Reply

TARGET = "arch-ive1"
RESOURCE = f"/resource/{TARGET}.json"


def archive(store) -> None:
    store.append("filings", [
        {"update_id": f"rev-{i}", "timestamp": f"2022-12-{i + 1:02d}T06:00:00", "rows_created": 10 * i,
         "rows_deleted": None if i == 2 else 0, "action_type": "update"}
        for i in range(5)
    ])


def test_archive_is_upserted_in_chunks_as_soda_json(fake: FakeSocrata, client, sqlite_store) -> None:
    archive(sqlite_store)
    fake.handle(RESOURCE, lambda seen: {"By RowIdentifier": len(seen.json()), "Rows Updated": 0, "Rows Deleted": 0,
                                        "Rows Created": len(seen.json()), "Errors": 0, "By SID": 0}, method="POST")
    result = publish_archive(sqlite_store, "filings", client, TARGET, chunk_size=2)
    assert (result.rows_created, result.rows_updated, result.chunks) == (5, 0, 3)
    sent = [row for seen in fake.requests(RESOURCE) for row in seen.json()]
    assert sent[2] == {"update_id": "rev-2", "timestamp": "2022-12-03T06:00:00.000", "rows_created": 20,
                       "rows_deleted": None, "action_type": "update"}
    assert all("captured_at" not in row for row in sent)


def test_rejected_rows_are_an_error(fake: FakeSocrata, client, sqlite_store) -> None:
    archive(sqlite_store)
    fake.route(RESOURCE, {"Rows Created": 0, "Rows Updated": 0, "Errors": "5"}, method="POST")
    with pytest.raises(SourceError, match="the server rejected 5 rows"):
        publish_archive(sqlite_store, "filings", client, TARGET, columns=["rows_created"])
    assert set(fake.requests(RESOURCE)[0].json()[0]) == {"update_id", "rows_created"}


def test_upsert_is_retried_because_it_is_idempotent(fake: FakeSocrata, client, sqlite_store) -> None:
    archive(sqlite_store)
    fake.route(RESOURCE, Reply(status=502), {"Rows Created": 0, "Rows Updated": 5, "Errors": 0}, method="POST")
    assert publish_archive(sqlite_store, "filings", client, TARGET).rows_updated == 5
    assert len(fake.requests(RESOURCE)) == 2
