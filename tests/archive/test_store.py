"""Behaviour of ArchiveStore on SQLite and PostgreSQL (``store`` runs each test on both)."""

from __future__ import annotations

import math
import multiprocessing
import re
import sqlite3
import threading
import traceback
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from dataset_health.archive import AppendResult, ArchiveStore, UpdateRecord
from dataset_health.errors import ArchiveError, BadInputError, ConfigError, SchemaError

DS = "court filings"


def rec(update_id, timestamp, **values):
    return {"update_id": update_id, "timestamp": timestamp, **values}


def table_names(store: ArchiveStore) -> set[str]:
    return set(sa.inspect(store.engine).get_table_names())


def column_names(store: ArchiveStore, dataset: str) -> list[str]:
    return [c["name"] for c in sa.inspect(store.engine).get_columns(store.table_name(dataset))]


def rows(store: ArchiveStore, dataset: str, *fields: str) -> dict[str, tuple]:
    """update_id -> values of ``fields``, with every kind of missing as None."""
    frame = store.history(dataset)
    return {
        row["update_id"]: tuple(None if _missing(row[f]) else row[f] for f in fields)
        for row in frame.to_dict(orient="records")
    }


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT


def without_captured_at(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["captured_at"])


# ------------------------------------------------------------ reads, order
def test_history_is_ordered_by_timestamp_then_update_id(store):
    result = store.append(
        DS,
        [
            rec("r3", "2024-01-03T06:00", rows_created=30),
            rec("b", "2024-01-02T06:00", rows_created=21),
            rec("r1", "2024-01-01T06:00", rows_created=10),
            rec("a", "2024-01-02T06:00", rows_created=20),
        ],
    )
    assert result == AppendResult(DS, inserted=4, replaced=0, added_columns=("rows_created",))

    history = store.history(DS)
    assert history["update_id"].tolist() == ["r1", "a", "b", "r3"]
    assert history["rows_created"].tolist() == [10.0, 20.0, 21.0, 30.0]
    assert history["timestamp"].tolist() == [
        pd.Timestamp("2024-01-01 06:00"),
        pd.Timestamp("2024-01-02 06:00"),
        pd.Timestamp("2024-01-02 06:00"),
        pd.Timestamp("2024-01-03 06:00"),
    ]
    assert set(history.columns) == {"update_id", "timestamp", "captured_at", "rows_created"}

    # an update appended later but published earlier takes its place in time
    store.append(DS, [rec("r0", "2023-12-31T23:59", rows_created=5)])
    assert store.history(DS)["update_id"].tolist() == ["r0", "r1", "a", "b", "r3"]


def test_history_last_and_columns(store):
    store.append(DS, [rec(f"u{i}", f"2024-01-0{i}", rows_created=i, rows_deleted=0) for i in range(1, 6)])
    last = store.history(DS, last=2)
    assert last["update_id"].tolist() == ["u4", "u5"]  # newest two, still oldest first
    narrow = store.history(DS, columns=["update_id", "rows_created"])
    assert list(narrow.columns) == ["update_id", "rows_created"]
    assert narrow["rows_created"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_datasets_and_exists(store):
    assert store.datasets() == []
    assert not store.exists(DS)
    store.append("zeta", [rec("1", "2024-01-01", row_count=1)])
    store.append("alpha", [rec("1", "2024-01-01", row_count=1)])
    assert store.datasets() == ["alpha", "zeta"]
    assert store.exists("alpha") and store.exists("zeta")
    assert not store.exists("beta")


@pytest.mark.parametrize("populated", [False, True])
def test_unknown_dataset_is_a_config_error_naming_it(store, populated):
    if populated:
        store.append("known one", [rec("1", "2024-01-01", row_count=1)])
    with pytest.raises(ConfigError) as err:
        store.table_name("no such dataset")
    message = str(err.value)
    assert "'no such dataset'" in message
    if populated:
        assert "known one" in message  # lists what exists
    with pytest.raises(ConfigError, match="no such dataset"):
        store.history("no such dataset")


# ------------------------------------------------------------- idempotence
def test_same_update_twice_keeps_one_row(store):
    first = store.append(DS, [rec("r1", "2024-01-01", rows_created=10)])
    again = store.append(DS, [rec("r1", "2024-01-01", rows_created=10)])
    assert (first.inserted, first.replaced) == (1, 0)
    assert (again.inserted, again.replaced) == (0, 1)
    assert again.added_columns == ()
    history = store.history(DS)
    assert history["update_id"].tolist() == ["r1"]
    assert history["rows_created"].tolist() == [10.0]


def test_append_counts_inserted_and_replaced(store):
    store.append(DS, [rec("r1", "2024-01-01", rows_created=1), rec("r2", "2024-01-02", rows_created=2)])
    result = store.append(
        DS,
        [
            rec("r1", "2024-01-01", rows_created=100),
            rec("r2", "2024-01-02", rows_created=200),
            rec("r3", "2024-01-03", rows_created=300),
        ],
    )
    assert (result.inserted, result.replaced) == (1, 2)
    assert rows(store, DS, "rows_created") == {"r1": (100.0,), "r2": (200.0,), "r3": (300.0,)}


def test_reappend_with_a_subset_replaces_only_those_fields(store):
    store.append(
        DS,
        [
            rec("r1", "2024-01-01T06:00", rows_created=10, rows_deleted=2, schema_fingerprint="abc"),
            rec("r2", "2024-01-02T06:00", rows_created=20, rows_deleted=3, schema_fingerprint="def"),
        ],
    )
    result = store.append(DS, [rec("r1", "2024-01-01T07:00", rows_deleted=5)])
    assert (result.inserted, result.replaced) == (0, 1)
    assert rows(store, DS, "rows_created", "rows_deleted", "schema_fingerprint") == {
        "r1": (10.0, 5.0, "abc"),
        "r2": (20.0, 3.0, "def"),
    }
    assert store.history(DS)["timestamp"].tolist() == [
        pd.Timestamp("2024-01-01 07:00"),
        pd.Timestamp("2024-01-02 06:00"),
    ]
    # a provided-but-missing value is provided: it clears the field
    store.append(DS, [rec("r2", "2024-01-02T06:00", rows_deleted=None)])
    assert rows(store, DS, "rows_created", "rows_deleted") == {"r1": (10.0, 5.0), "r2": (20.0, None)}


def test_update_record_objects_are_accepted(store):
    record = UpdateRecord("r1", datetime(2024, 1, 1, 6), {"rows_created": 7.0, "source": "socrata"})
    assert store.append(DS, [record]).inserted == 1
    assert rows(store, DS, "rows_created", "source") == {"r1": (7.0, "socrata")}


def test_dataframe_input(store):
    frame = pd.DataFrame(
        {
            "update_id": ["a", "b"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "rows_created": [1.0, np.nan],
            "row_count": pd.array([5, None], dtype="Int64"),
        }
    )
    assert store.append(DS, frame).inserted == 2
    assert rows(store, DS, "rows_created", "row_count") == {"a": (1.0, 5.0), "b": (None, None)}


def test_empty_append_is_an_error(store):
    with pytest.raises(BadInputError, match="nothing to archive"):
        store.append(DS, [])
    assert not store.exists(DS)


# ----------------------------------------------------------- schema growth
def test_a_new_metric_adds_a_column_and_old_rows_read_it_as_missing(store):
    store.append(DS, [rec("r1", "2024-01-01", rows_created=10), rec("r2", "2024-01-02", rows_created=11)])
    before = column_names(store, DS)
    result = store.append(
        DS,
        [rec("r3", "2024-01-03", rows_created=12, **{"null_fraction__judge": 0.25, "source": "socrata"})],
    )
    assert set(result.added_columns) == {"null_fraction__judge", "source"}
    after = column_names(store, DS)
    assert after[: len(before)] == before
    assert set(after) - set(before) == {"null_fraction__judge", "source"}

    assert rows(store, DS, "rows_created", "null_fraction__judge", "source") == {
        "r1": (10.0, None, None),
        "r2": (11.0, None, None),
        "r3": (12.0, 0.25, "socrata"),
    }
    assert store.history(DS)["update_id"].tolist() == ["r1", "r2", "r3"]
    # and an old update can now be given the new metric
    store.append(DS, [rec("r1", "2024-01-01", **{"null_fraction__judge": 0.5})])
    assert rows(store, DS, "rows_created", "null_fraction__judge") == {
        "r1": (10.0, 0.5),
        "r2": (11.0, None),
        "r3": (12.0, 0.25),
    }


# ---------------------------------------------------------- all or nothing
BAD_RECORDS = [
    pytest.param(rec("bad-1", "2024-02-01", rows_created="abc"), ["bad-1", "rows_created", "abc"], id="text-in-count"),
    pytest.param(rec("bad-1", "2024-02-01", rows_deleted=-3), ["bad-1", "rows_deleted", "negative"], id="negative-count"),
    pytest.param(rec("bad-1", "2024-02-01", rows_updated=float("inf")), ["bad-1", "rows_updated", "finite"], id="inf"),
    pytest.param(rec("bad-1", "2024-02-01", rows_updated="-inf"), ["bad-1", "rows_updated", "finite"], id="inf-text"),
    pytest.param(rec("bad-1", "2024-02-01", rows_updated=True), ["bad-1", "rows_updated", "bool"], id="bool"),
    pytest.param(rec("bad-1", "2024-02-01", **{"mean__amount": "12 USD"}), ["bad-1", "mean__amount"], id="text-in-mean"),
    pytest.param({"update_id": "bad-1", "rows_created": 5}, ["bad-1", "timestamp", "missing"], id="no-timestamp"),
    pytest.param(rec("bad-1", None, rows_created=5), ["bad-1", "timestamp", "missing"], id="null-timestamp"),
    pytest.param(rec("bad-1", "yesterday-ish", rows_created=5), ["bad-1", "timestamp", "yesterday-ish"], id="bad-timestamp"),
    pytest.param({"timestamp": "2024-02-01", "rows_created": 5}, ["update_id"], id="no-update-id"),
    pytest.param(rec("  ", "2024-02-01", rows_created=5), ["update_id"], id="blank-update-id"),
]


@pytest.mark.parametrize(("bad", "named"), BAD_RECORDS)
def test_a_bad_record_fails_the_whole_batch(store, bad, named):
    store.append(DS, [rec("r1", "2024-01-01", rows_created=10), rec("r2", "2024-01-02", rows_created=11)])
    history_before = store.history(DS)
    columns_before = column_names(store, DS)

    batch = [
        rec("r1", "2024-01-01", rows_created=999),  # a valid replacement
        rec("new-1", "2024-01-03", rows_created=12, **{"distinct_count__judge": 4}),  # a valid new column
        bad,
        rec("new-2", "2024-01-04", rows_created=13),
    ]
    with pytest.raises(BadInputError) as err:
        store.append(DS, batch)
    message = str(err.value)
    assert repr(DS) in message
    for part in named:
        assert part in message, (part, message)

    assert column_names(store, DS) == columns_before
    pd.testing.assert_frame_equal(store.history(DS), history_before)


def test_a_bad_record_on_a_new_dataset_creates_nothing(store):
    store.append("other", [rec("r1", "2024-01-01", rows_created=1)])
    tables_before = table_names(store)
    for case in BAD_RECORDS:
        bad = case.values[0]
        with pytest.raises(BadInputError):
            store.append(DS, [rec("ok", "2024-01-01", rows_created=1, source="x"), bad])
        assert table_names(store) == tables_before, case.id
    assert store.datasets() == ["other"]
    assert not store.exists(DS)


def test_bad_field_names_are_schema_errors(store):
    for name in ("Rows Created", "rows-created", "1st", "x" * 64, "drop table;"):
        with pytest.raises(SchemaError, match=re.escape(repr(name))):
            store.append(DS, [rec("r1", "2024-01-01", **{name: 1})])
    assert not store.exists(DS)


def test_a_database_failure_rolls_back_columns_rows_and_snapshot(store):
    store.append(DS, [rec("r1", "2024-01-01", rows_created=1)], snapshot={"k1": "h1"})
    history_before = store.history(DS)
    columns_before = column_names(store, DS)
    # Coercion passes; the snapshot insert then violates NOT NULL after the
    # new column was added and the rows upserted, inside the transaction.
    with pytest.raises(ArchiveError, match=re.escape(repr(DS))):
        store.append(
            DS,
            [rec("r1", "2024-01-01", rows_created=50), rec("r2", "2024-01-02", rows_created=2, error_count=1)],
            snapshot={"k2": None},
        )
    assert column_names(store, DS) == columns_before
    pd.testing.assert_frame_equal(store.history(DS), history_before)
    assert store.snapshot(DS) == {"k1": "h1"}


# ------------------------------------------------- duplicates in one batch
def test_identical_duplicates_in_a_batch_make_one_row(store):
    result = store.append(
        DS,
        [
            rec("r1", "2024-01-01T06:00", rows_created="24,847"),
            rec("r1", "2024-01-01T08:00+02:00", rows_created=24847),  # same after coercion
            rec("r2", "2024-01-02", rows_created=1),
        ],
    )
    assert (result.inserted, result.replaced) == (2, 0)
    assert rows(store, DS, "rows_created") == {"r1": (24847.0,), "r2": (1.0,)}


def test_different_duplicates_in_a_batch_are_an_error(store):
    store.append(DS, [rec("r0", "2024-01-01", rows_created=1)])
    before = store.history(DS)
    with pytest.raises(BadInputError) as err:
        store.append(
            DS,
            [
                rec("r1", "2024-01-02", rows_created=10),
                rec("r2", "2024-01-03", rows_created=11),
                rec("r1", "2024-01-02", rows_created=12),
            ],
        )
    assert "'r1'" in str(err.value) and repr(DS) in str(err.value)
    pd.testing.assert_frame_equal(store.history(DS), before)


# --------------------------------------------------------------- coercions
COUNT_CASES = [
    ("24,847", 24847.0),
    ("1,234,567", 1234567.0),
    ("1,234.0", 1234.0),  # a count is whole; a fractional one is refused (test_hostile_input)
    (" 12 ", 12.0),
    ("3.0", 3.0),
    ("0", 0.0),
    (7, 7.0),
    (np.int64(7), 7.0),
    (np.float32(2.0), 2.0),
    ("", None),
    ("   ", None),
    ("null", None),
    ("NULL", None),
    ("None", None),
    ("NaN", None),
    ("n/a", None),
    (None, None),
    (float("nan"), None),
    (np.nan, None),
    (np.float32("nan"), None),
    (pd.NA, None),
]


def test_count_coercions(store):
    # one update per case, all in one append
    cases = {f"c{n:02d}": case for n, case in enumerate(COUNT_CASES)}
    store.append(DS, [rec(uid, "2024-01-01", rows_created=raw) for uid, (raw, _) in cases.items()])
    got = rows(store, DS, "rows_created")
    assert {f"{uid} {raw!r}": got[uid][0] for uid, (raw, _) in cases.items()} == {
        f"{uid} {raw!r}": expected for uid, (raw, expected) in cases.items()
    }


@pytest.mark.parametrize("raw", ["1,23", "12,3456", "24.847,5", "1 000", "0x10", "ten"])
def test_malformed_numbers_are_errors(store, raw):
    with pytest.raises(BadInputError, match="rows_created"):
        store.append(DS, [rec("r1", "2024-01-01", rows_created=raw)])
    assert not store.exists(DS)


def test_negative_values_are_fine_outside_counts(store):
    store.append(DS, [rec("r1", "2024-01-01", **{"mean__amount": -3.5, "min__amount": "-1,000", "freshness_lag_hours": -0.5})])
    assert rows(store, DS, "mean__amount", "min__amount", "freshness_lag_hours") == {"r1": (-3.5, -1000.0, -0.5)}


PLUS_TWO = timezone(timedelta(hours=2))


TIMESTAMP_CASES = [
    ("2024-01-02T06:00:00+02:00", "2024-01-02 04:00:00"),
    ("2024-01-02T01:30:00+02:00", "2024-01-01 23:30:00"),
    ("2024-01-02T23:30:00-05:00", "2024-01-03 04:30:00"),
    ("2024-01-02T06:00:00Z", "2024-01-02 06:00:00"),
    ("2024-01-02T06:00:00", "2024-01-02 06:00:00"),
    ("2024-01-02 06:00:00", "2024-01-02 06:00:00"),
    ("2024-01-02T06:00:00.250000", "2024-01-02 06:00:00.250000"),
    ("2024-01-02", "2024-01-02 00:00:00"),
    (datetime(2024, 1, 2, 6, 0), "2024-01-02 06:00:00"),
    (datetime(2024, 1, 2, 6, 0, tzinfo=PLUS_TWO), "2024-01-02 04:00:00"),
    (pd.Timestamp("2024-07-02 06:00", tz="Europe/Paris"), "2024-07-02 04:00:00"),
    (np.datetime64("2024-01-02T06:00"), "2024-01-02 06:00:00"),
]


def test_timestamps_are_stored_as_utc(store):
    store.append(DS, [rec(f"t{n:02d}", raw, rows_created=1) for n, (raw, _) in enumerate(TIMESTAMP_CASES)])
    stamps = store.history(DS).set_index("update_id")["timestamp"]
    got = {(raw if isinstance(raw, str) else repr(raw)): stamps[f"t{n:02d}"] for n, (raw, _) in enumerate(TIMESTAMP_CASES)}
    want = {(raw if isinstance(raw, str) else repr(raw)): pd.Timestamp(exp) for raw, exp in TIMESTAMP_CASES}
    assert got == want
    assert all(stamp.tzinfo is None for stamp in stamps)


def test_order_follows_utc_not_local_time(store):
    store.append(
        DS,
        [
            rec("local-late", "2024-01-02T06:00:00+02:00", rows_created=1),  # 04:00 UTC
            rec("utc-early", "2024-01-02T05:00:00", rows_created=2),
        ],
    )
    assert store.history(DS)["update_id"].tolist() == ["local-late", "utc-early"]


@pytest.mark.parametrize("raw", [20240102, 1704182400.0, "2024-13-45", "not a date"])
def test_bad_timestamps_are_errors(store, raw):
    with pytest.raises(BadInputError, match="timestamp"):
        store.append(DS, [rec("r1", raw, rows_created=1)])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-02T06:00:00+0200", "2024-01-02 04:00:00"),
        ("2024-01-02T06:00+02", "2024-01-02 04:00:00"),
        ("2024-01-02T06:00:00.123456789Z", "2024-01-02 06:00:00.123456"),
        ("2024-01-02 06:00:00,5", "2024-01-02 06:00:00.500000"),
        ("2024-01-02 06:00:00 +01:00", "2024-01-02 05:00:00"),  # as log lines write it
        (" 2024-01-02T06:00 ", "2024-01-02 06:00:00"),
        (date(2024, 1, 2), "2024-01-02 00:00:00"),
    ],
)
def test_iso_8601_spellings_are_timestamps(store, raw, expected):
    store.append(DS, [rec("r1", raw, rows_created=1)])
    assert store.history(DS)["timestamp"].tolist() == [pd.Timestamp(expected)]


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("2024-01-05 06:00 EST", "offset from UTC"),
        ("2024-01-05T06:00:00 Europe/Berlin", "offset from UTC"),
        ("now", "ISO 8601"),
        ("today", "ISO 8601"),
        ("1/2/3", "ISO 8601"),
        ("01/02/2024", "ISO 8601"),
        ("Jan 5 2024", "ISO 8601"),
        ("2024-01-05x06:00", "ISO 8601"),
        ("2024-01-05T06:00:00+25:00", "offset"),
        ("2024-02-30", "day is out of range"),
    ],
)
def test_timestamps_that_are_not_iso_8601_are_errors_saying_what_is_expected(store, raw, hint):
    with pytest.raises(BadInputError) as err:
        store.append(DS, [rec("r1", raw, rows_created=1)])
    message = str(err.value)
    assert "'timestamp'" in message and repr(raw) in message and hint in message
    assert not store.exists(DS)


def test_update_ids_are_trimmed_text(store):
    store.append(DS, [rec(" r1 ", "2024-01-01", rows_created=1), rec(42, "2024-01-02", rows_created=2)])
    assert store.history(DS)["update_id"].tolist() == ["r1", "42"]
    assert store.append(DS, [rec("r1", "2024-01-01", rows_created=1)]).replaced == 1


# ------------------------------------------------------------- text fields
def test_known_text_fields_stay_text(store):
    store.append(
        DS,
        [
            rec(
                "r1",
                "2024-01-01",
                schema_fingerprint="0012",
                schema="1e5",
                source="socrata",
                action_type="update",
                update_status="200",
                rows_created="5",
            )
        ],
    )
    history = store.history(DS)
    assert history.loc[0, "schema_fingerprint"] == "0012"
    assert history.loc[0, "schema"] == "1e5"
    assert history.loc[0, "update_status"] == "200"
    assert history.loc[0, "source"] == "socrata"
    assert history.loc[0, "rows_created"] == 5.0


def test_text_fields_stay_text_when_the_first_value_is_missing(store):
    store.append(DS, [rec("r1", "2024-01-01", schema_fingerprint=None, verdict=None)], text_fields=["verdict"])
    store.append(DS, [rec("r2", "2024-01-02", schema_fingerprint="a1b2c3", verdict="pass")], text_fields=["verdict"])
    assert rows(store, DS, "schema_fingerprint", "verdict") == {"r1": (None, None), "r2": ("a1b2c3", "pass")}


def test_extra_text_fields(store):
    store.append(DS, [rec("r1", "2024-01-01", judge="Smith", rows_created=1)], text_fields=["judge"])
    assert rows(store, DS, "judge") == {"r1": ("Smith",)}
    # without saying so, a non-number in an unknown field is a bad value
    with pytest.raises(BadInputError, match="judge"):
        store.append(DS, [rec("r2", "2024-01-02", judge="Jones")])


def test_a_field_archived_only_empty_so_far_becomes_text_when_text_first_arrives(store):
    store.append(DS, [rec("r1", "2024-01-01", max_key_date=None, rows_created=1)])
    assert store.column_kinds(DS)["max_key_date"] == "number"
    store.append(DS, [rec("r2", "2024-01-02", max_key_date="2024-01-01")], text_fields=["max_key_date"])
    assert rows(store, DS, "max_key_date", "rows_created") == {"r1": (None, 1.0), "r2": ("2024-01-01", None)}
    assert store.column_kinds(DS)["max_key_date"] == "text"


def test_a_number_for_a_field_archived_as_text_reads_the_same_on_every_backend(store):
    store.append(DS, [rec("r1", "2024-01-01", judge="Smith")], text_fields=["judge"])
    store.append(DS, [rec("r2", "2024-01-02", judge=5), rec("r3", "2024-01-03", judge="0.25")])
    assert rows(store, DS, "judge") == {"r1": ("Smith",), "r2": ("5",), "r3": ("0.25",)}


def test_text_for_a_field_archived_as_numbers_is_refused_naming_it_and_keeps_the_archive(store):
    store.append(DS, [rec("r1", "2024-01-01", judge_count=1)])
    with pytest.raises(BadInputError, match=r"update 'r2': field 'judge_count' is archived as a number, got text 'lots'"):
        store.append(DS, [rec("r2", "2024-01-02", judge_count="lots", rows_created=3)], text_fields=["judge_count"])
    assert rows(store, DS, "judge_count") == {"r1": (1.0,)}
    assert "rows_created" not in column_names(store, DS)  # the refused batch added nothing


# ----------------------------------------------------------------- snapshot
def test_snapshot_is_replaced_with_the_append(store):
    assert store.snapshot(DS) == {}
    store.append(DS, [rec("r1", "2024-01-01", row_count=2)], snapshot={"k1": "h1", "k2": "h2"})
    assert store.snapshot(DS) == {"k1": "h1", "k2": "h2"}

    store.append(DS, [rec("r2", "2024-01-02", row_count=2)], snapshot={"k2": "h2b", "k3": "h3"})
    assert store.snapshot(DS) == {"k2": "h2b", "k3": "h3"}

    store.append(DS, [rec("r3", "2024-01-03", row_count=2)])  # no snapshot given: kept
    assert store.snapshot(DS) == {"k2": "h2b", "k3": "h3"}

    store.append(DS, [rec("r4", "2024-01-04", row_count=0)], snapshot={})  # an empty one clears
    assert store.snapshot(DS) == {}
    assert store.history(DS)["update_id"].tolist() == ["r1", "r2", "r3", "r4"]


def test_snapshots_belong_to_their_dataset(store):
    store.append("a", [rec("r1", "2024-01-01", row_count=1)], snapshot={"k": "from a"})
    store.append("b", [rec("r1", "2024-01-01", row_count=1)], snapshot={"k": "from b"})
    assert store.snapshot("a") == {"k": "from a"}
    assert store.snapshot("b") == {"k": "from b"}


def test_a_rejected_append_keeps_the_old_snapshot(store):
    store.append(DS, [rec("r1", "2024-01-01", row_count=1)], snapshot={"k1": "h1"})
    with pytest.raises(BadInputError):
        store.append(DS, [rec("r2", "2024-01-02", row_count="lots")], snapshot={"k2": "h2"})
    assert store.snapshot(DS) == {"k1": "h1"}


# --------------------------------------------------------------- set_values
def test_set_values_writes_fields_onto_an_update(store):
    store.append(
        DS,
        [
            rec("r1", "2024-01-01T06:00+01:00", rows_created=10, schema_fingerprint="fp1"),
            rec("r2", "2024-01-02T06:00", rows_created=11),
        ],
    )
    captured_before = store.history(DS).set_index("update_id")["captured_at"]
    store.set_values(DS, "r1", {"verdict": "fail", "anomaly_score": 4.5, "label": "1", "reason": "x0.2 partial load"})

    history = store.history(DS).set_index("update_id")
    assert history.loc["r1", "verdict"] == "fail"
    assert history.loc["r1", "anomaly_score"] == 4.5
    assert history.loc["r1", "label"] == "1"  # given as text, stays text
    assert history.loc["r1", "reason"] == "x0.2 partial load"
    assert history.loc["r1", "rows_created"] == 10.0
    assert history.loc["r1", "schema_fingerprint"] == "fp1"
    assert history.loc["r1", "timestamp"] == pd.Timestamp("2024-01-01 05:00")
    assert _missing(history.loc["r2", "verdict"]) and _missing(history.loc["r2", "anomaly_score"])
    assert history.index.tolist() == ["r1", "r2"]
    assert history.loc["r2", "captured_at"] == captured_before["r2"]

    store.set_values(DS, "r1", {"verdict": "pass", "anomaly_score": 0.1})
    history = store.history(DS).set_index("update_id")
    assert (history.loc["r1", "verdict"], history.loc["r1", "anomaly_score"]) == ("pass", 0.1)
    assert history.loc["r1", "reason"] == "x0.2 partial load"


def test_set_values_on_an_unknown_update_is_a_clear_error(store):
    store.append(DS, [rec("r1", "2024-01-01", rows_created=10)])
    before = store.history(DS)
    with pytest.raises(BadInputError) as err:
        store.set_values(DS, "r404", {"verdict": "fail"})
    assert "'r404'" in str(err.value) and repr(DS) in str(err.value)
    pd.testing.assert_frame_equal(store.history(DS), before)
    assert "verdict" not in column_names(store, DS)


def test_set_values_on_an_unknown_dataset_is_a_config_error(store):
    with pytest.raises(ConfigError, match="'nowhere'"):
        store.set_values("nowhere", "r1", {"verdict": "fail"})


def test_set_values_checks_values_like_append(store):
    store.append(DS, [rec("r1", "2024-01-01", rows_created=10)])
    with pytest.raises(BadInputError, match="rows_created"):
        store.set_values(DS, "r1", {"rows_created": -1})
    assert rows(store, DS, "rows_created") == {"r1": (10.0,)}


# ------------------------------------------------------------ dataset names
HOSTILE_NAMES = [
    "it's",
    'say "hi"',
    "<script>alert(1)</script>",
    "données publiques",
    "日本の統計",
    "with space",
    "x'; DROP TABLE y; --",
    'Robert"); DROP TABLE dh_datasets;--',
    "a.b",
    "a-b",
    "a_b",
    "UPPER",
    "upper",
    "judge name",
    "judge_name",
    "%s %(x)s ?",
    "back\\slash",
    "🙂",
    "n" * 200,
]


def test_hostile_dataset_names_round_trip_to_distinct_tables(store):
    store.append("y", [rec("r0", "2024-01-01", row_count=0)])  # the table the injection names
    for n, name in enumerate(HOSTILE_NAMES):
        store.append(name, [rec("r1", "2024-01-01", row_count=n), rec("r2", "2024-01-02", row_count=n + 1)])

    assert set(store.datasets()) == set(HOSTILE_NAMES) | {"y"}
    tables = {store.table_name(name) for name in HOSTILE_NAMES}
    assert len(tables) == len(HOSTILE_NAMES)
    for table in tables:
        assert re.fullmatch(r"[a-z0-9_]+", table) and len(table) <= 63, table
    assert tables <= table_names(store)
    for n, name in enumerate(HOSTILE_NAMES):
        history = store.history(name)
        assert history["update_id"].tolist() == ["r1", "r2"]
        assert history["row_count"].tolist() == [float(n), float(n + 1)]
    assert store.history("y")["row_count"].tolist() == [0.0]


@pytest.mark.parametrize("name", ["line\nbreak", "carriage\rreturn", "tab\there", "nul\x00", "", "   ", "n" * 201])
def test_unusable_dataset_names_are_config_errors(store, name):
    with pytest.raises(ConfigError):
        store.append(name, [rec("r1", "2024-01-01", row_count=1)])
    assert store.datasets() == []


# ------------------------------------------------------------------ secrets
PASSWORD = "s3cret-planted"
CLOSED_PORT_URL = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:1/test"


def _chain(exc: BaseException) -> str:
    """The traceback a user would see, causes included."""
    return "".join(traceback.format_exception(exc))


def test_archive_errors_hide_the_password():
    store = ArchiveStore(CLOSED_PORT_URL)
    assert PASSWORD not in store.safe_url
    for action in (
        store.datasets,
        lambda: store.history(DS),
        lambda: store.snapshot(DS),
        lambda: store.append(DS, [rec("r1", "2024-01-01", rows_created=1)]),
        lambda: store.set_values(DS, "r1", {"verdict": "fail"}),
    ):
        with pytest.raises(ArchiveError) as err:
            action()
        assert PASSWORD not in str(err.value)
        assert PASSWORD not in _chain(err.value)
        assert "127.0.0.1" in str(err.value)  # still says where


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:54x2/test",  # port typo
        f"postgresql+nosuchdriver://postgres:{PASSWORD}@127.0.0.1/test",
        f"nosuchdb://postgres:{PASSWORD}@127.0.0.1/test",
    ],
)
def test_bad_urls_are_config_errors_that_hide_the_password(url):
    with pytest.raises(ConfigError) as err:
        ArchiveStore(url)
    assert PASSWORD not in str(err.value)


# -------------------------------------------------------------- concurrency
def test_sqlite_waits_for_another_process_creating_the_archive(sqlite_url, tmp_path):
    # Another connection holds the write lock of a new file (as a second
    # process creating the same archive does). Opening the archive must wait
    # for it, not fail at once with "database is locked".
    other = sqlite3.connect(tmp_path / "archive.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE unrelated (x)")
    release = threading.Timer(0.5, other.execute, ["COMMIT"])
    release.start()
    try:
        store = ArchiveStore(sqlite_url)
        assert store.append(DS, [rec("r1", "2024-01-01", rows_created=1)]).inserted == 1
        assert store.history(DS)["update_id"].tolist() == ["r1"]
        assert store.engine.connect().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        release.join()
        other.close()


WORKERS = 4
PER_WORKER = 50
BASE_TIME = datetime(2024, 1, 1)


def _concurrent_writer(url, dataset, worker, ids, barrier):
    """Run in a spawned process: its own ArchiveStore, one append per update."""
    try:
        store = ArchiveStore(url)
        barrier.wait(timeout=120)
        inserted = replaced = 0
        for n, update_id in enumerate(ids):
            record = {
                "update_id": update_id,
                "timestamp": BASE_TIME + timedelta(minutes=n, seconds=worker),
                "rows_created": n,
                "writer": worker,
                # every writer adds these columns at about the same moment
                f"shared_metric_{n // 10}": n,
            }
            if n >= PER_WORKER // 2:
                record[f"own_metric_w{worker}"] = worker  # and one of its own
            result = store.append(dataset, [record])
            inserted += result.inserted
            replaced += result.replaced
        store.engine.dispose()
        return ("ok", worker, inserted, replaced)
    except BaseException:  # noqa: BLE001 - reported to the parent
        return ("error", worker, traceback.format_exc(), None)


def _warm_up(barrier):
    # Every pool process imports the package (slow: Great Expectations) once.
    import dataset_health.archive  # noqa: F401

    barrier.wait(timeout=300)
    return multiprocessing.current_process().pid


@pytest.fixture(scope="module", autouse=True)
def pool(request):
    """Spawned writer processes, shared by the concurrency tests of this module.

    Starting them is slow (each imports Great Expectations), so it starts
    with the module's first test and warms up while the other tests run.
    """
    wanted = any(
        item.module is request.module and item.name.startswith("test_concurrent")
        for item in request.session.items
    )
    if not wanted:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(WORKERS) as workers:
        barrier = manager.Barrier(WORKERS)
        warm = workers.starmap_async(_warm_up, [(barrier,)] * WORKERS)
        yield workers, manager, warm


def run_writers(pool, url, dataset, id_lists):
    workers, manager, warm = pool
    assert len(set(warm.get(timeout=300))) == WORKERS  # one writer per process
    barrier = manager.Barrier(len(id_lists))
    jobs = [
        workers.apply_async(_concurrent_writer, (url, dataset, worker, ids, barrier))
        for worker, ids in enumerate(id_lists)
    ]
    results = [job.get(timeout=300) for job in jobs]
    errors = [r for r in results if r[0] != "ok"]
    assert not errors, "\n".join(f"worker {r[1]}:\n{r[2]}" for r in errors)
    return results


@pytest.mark.parametrize("writers", [2, WORKERS])
def test_concurrent_writers_with_disjoint_ids_lose_nothing(pool, archive_url, writers):
    id_lists = [[f"w{w}-{n:02d}" for n in range(PER_WORKER)] for w in range(writers)]
    results = run_writers(pool, archive_url, DS, id_lists)
    assert sum(r[2] for r in results) == writers * PER_WORKER
    assert sum(r[3] for r in results) == 0

    store = ArchiveStore(archive_url)
    history = store.history(DS)
    expected = sorted(i for ids in id_lists for i in ids)
    assert sorted(history["update_id"]) == expected  # each exactly once
    columns = set(history.columns)
    assert {f"shared_metric_{k}" for k in range(PER_WORKER // 10)} <= columns
    assert {f"own_metric_w{w}" for w in range(writers)} <= columns
    by_id = history.set_index("update_id")
    for w, ids in enumerate(id_lists):
        for n, update_id in enumerate(ids):
            assert by_id.loc[update_id, "rows_created"] == n
            assert by_id.loc[update_id, "writer"] == w
            assert by_id.loc[update_id, f"shared_metric_{n // 10}"] == n
    assert store.datasets() == [DS]
    store.engine.dispose()


def test_concurrent_writers_with_the_same_ids_keep_each_once(pool, archive_url):
    ids = [f"u{n:02d}" for n in range(PER_WORKER)]
    results = run_writers(pool, archive_url, DS, [ids, ids])
    # each update was new for exactly one writer
    assert sum(r[2] for r in results) == PER_WORKER
    assert sum(r[3] for r in results) == PER_WORKER

    store = ArchiveStore(archive_url)
    history = store.history(DS)
    assert sorted(history["update_id"]) == ids
    assert set(history["writer"]) <= {0.0, 1.0}
    assert history["rows_created"].tolist() == list(map(float, range(PER_WORKER)))
    store.engine.dispose()


def test_annotations_keep_the_capture_time(store) -> None:
    store.append("feed", [{"update_id": "u1", "timestamp": "2024-01-01T06:00", "rows_created": 5}])
    captured = store.history("feed")["captured_at"].iloc[0]
    store.set_values("feed", "u1", {"health_status": "healthy"})
    row = store.history("feed").iloc[0]
    assert row["health_status"] == "healthy" and row["rows_created"] == 5
    assert row["captured_at"] == captured
