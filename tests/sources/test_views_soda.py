"""View metadata and SODA rows into archive fields and GX batches."""

from __future__ import annotations

from datetime import datetime

import pytest

from dataset_health.archive import metric_column
from dataset_health.capture import capture_update
from dataset_health.sources import current_fields, data_updated_at, rows_updated_at, soda_batch, soda_frame, view_fields

from . import payloads as p
from .fake_socrata import FakeSocrata

RESOURCE = f"/resource/{p.FOURFOUR}.json"
VIEW = f"/api/views/{p.FOURFOUR}.json"


def test_view_fields_from_cached_contents() -> None:
    fields = view_fields(p.view())
    assert fields["column_count"] == 4  # the :sid system column is not data
    assert fields["row_count"] == 6618943
    assert fields[metric_column("null_fraction", "judge_name")] == pytest.approx(661894 / 6618943)
    assert fields[metric_column("distinct_count", "judge_name")] == 412
    assert fields[metric_column("null_fraction", "filed_at")] == pytest.approx(12 / 6618943)
    assert (fields["min__rowkey"], fields["max__rowkey"], fields["mean__rowkey"]) == (4474, 9934471, 5012345.5)
    # Text and date columns have a smallest/largest, but they are no numbers.
    assert "min__judge_name" not in fields and "max__filed_at" not in fields
    assert not any(name.endswith("__amount") for name in fields)  # no cachedContents at all
    assert len(fields["schema_fingerprint"]) == 16


def test_view_fields_survive_odd_statistics() -> None:
    view = p.view()
    view["columns"][1]["cachedContents"].update({"smallest": "n/a", "largest": {"x": 1}, "null": "lots"})
    view["columns"].append("not a column")
    fields = view_fields(view)
    assert not {"min__rowkey", "max__rowkey", "null_fraction__rowkey"} & set(fields)
    assert fields["mean__rowkey"] == 5012345.5 and fields["distinct_count__rowkey"] == 6618943


def test_update_times() -> None:
    assert data_updated_at(p.metadata("2022-12-30T09:01:02.000Z")) == datetime(2022, 12, 30, 9, 1, 2)
    assert data_updated_at({}) is None
    assert rows_updated_at(p.view(1672390854)) == datetime(2022, 12, 30, 9, 0, 54)


def test_current_fields_count_rows_with_soda(fake: FakeSocrata, client) -> None:
    fake.route(VIEW, p.view())
    fake.route(RESOURCE, [{"count": "6620001"}])
    fields = current_fields(client, p.FOURFOUR)
    assert fields["row_count"] == 6620001  # exact count(*) wins over the cached counts


def test_soda_rows_become_a_typed_frame_and_a_gx_batch(fake: FakeSocrata, client, sqlite_store) -> None:
    rows = [{"rowkey": str(i), "judge_name": "Abbott" if i % 4 else None, "filed_at": "2022-12-30T00:00:00.000"}
            for i in range(230)]
    for row in rows:  # SODA leaves nulls out of its rows, and 'amount' is null everywhere
        if row["judge_name"] is None:
            del row["judge_name"]
    fake.route(VIEW, p.view())
    fake.handle(RESOURCE, lambda seen: rows[int(seen.query["$offset"]): int(seen.query["$offset"]) + int(seen.query["$limit"])])
    frame = soda_frame(client, p.FOURFOUR)
    assert len(frame) == 230 and frame["rowkey"].dtype.kind == "i" and frame["filed_at"].dtype.kind == "M"
    assert frame["amount"].isna().all()

    batch = soda_batch(client, p.FOURFOUR, dataset="filings")
    capture_update(sqlite_store, "filings", batch, update_id="rev-1", timestamp="2022-12-30T09:00:54")
    row = sqlite_store.history("filings").iloc[0]
    assert (row["row_count"], row["column_count"]) == (230, 4)
    assert row["null_fraction__judge_name"] == pytest.approx(58 / 230)
    assert row["null_fraction__amount"] == 1.0
    assert (row["min__rowkey"], row["max__rowkey"]) == (0, 229)
