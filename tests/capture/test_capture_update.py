"""capture_update: one archive row per update, in a SQLite and a PostgreSQL archive (``store``)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from dataset_health.archive import ArchiveStore, metric_column
from dataset_health.capture import REPORTED_COUNTS, capture_update, dataframe_batch, file_batch, row_hashes
from dataset_health.errors import BadInputError, CaptureError

from .conftest import DATASET, SAMPLE_NOW, expected_profile, sample_frame

T1 = "2024-03-03T06:00:00"
T2 = "2024-03-04T06:00:00"


def batch_of(frame: pd.DataFrame):
    return dataframe_batch(frame, dataset=DATASET)


def missing(value) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def archived(store: ArchiveStore) -> dict[str, dict]:
    """update_id -> archived row, with every kind of missing as None."""
    rows = store.history(DATASET).drop(columns=["captured_at"]).to_dict(orient="records")
    return {row["update_id"]: {k: None if missing(v) else v for k, v in row.items()} for row in rows}


def state(store: ArchiveStore):
    """Everything a capture may change: the archive rows and the snapshot."""
    return (archived(store) if store.exists(DATASET) else None), store.snapshot(DATASET)


def filings(ids, statuses=None) -> pd.DataFrame:
    statuses = statuses or ["open"] * len(ids)
    return pd.DataFrame({"case id": ids, "status": statuses, "pages": [10 * i for i in range(1, len(ids) + 1)]})


# ---------------------------------------------------------------- one row
def test_archives_one_row_with_the_profile(store):
    result = capture_update(
        store,
        DATASET,
        batch_of(sample_frame()),
        update_id="r1",
        timestamp=SAMPLE_NOW,
        freshness_column="filed",
    )
    assert (result.dataset, result.inserted, result.replaced) == (DATASET, 1, 0)

    rows = archived(store)
    assert list(rows) == ["r1"]
    row = rows["r1"]
    assert row["timestamp"] == pd.Timestamp(SAMPLE_NOW)
    for name, value in expected_profile().items():
        assert row[name] == pytest.approx(value), name
    # Freshness is judged at the update's own time, not at the capture's.
    assert row["freshness_lag_hours"] == pytest.approx(12.0)
    assert len(row["schema_fingerprint"]) == 16
    assert row["schema"].startswith('[["id", "float64"]')
    for count in REPORTED_COUNTS + ("duplicate_key_count",):
        assert count not in row


def test_slugged_columns_are_separate_archive_columns(store):
    frame = pd.DataFrame({"Judge Name": ["a", None], "judge_name": ["a", "b"], "amount-$": [1.0, 3.0]})
    capture_update(store, DATASET, batch_of(frame), update_id="r1", timestamp=T1)
    row = archived(store)["r1"]
    assert row[metric_column("null_fraction", "Judge Name")] == 0.5
    assert row[metric_column("null_fraction", "judge_name")] == 0.0
    assert row["null_fraction__judge_name"] == 0.0
    assert row[metric_column("mean", "amount-$")] == 2.0
    assert metric_column("mean", "amount-$") != "mean__amount"


def test_default_update_id_is_the_timestamp(store):
    capture_update(store, DATASET, batch_of(filings([1])), timestamp="2024-03-03T08:30:00+02:00")
    rows = archived(store)
    # The zone is converted to UTC, and the id is the UTC time.
    assert list(rows) == ["2024-03-03T06:30:00"]
    assert rows["2024-03-03T06:30:00"]["timestamp"] == pd.Timestamp("2024-03-03 06:30")


def test_default_timestamp_is_now(store):
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    capture_update(store, DATASET, batch_of(filings([1])))
    after = datetime.now(timezone.utc).replace(tzinfo=None)
    ((update_id, row),) = archived(store).items()
    assert before <= datetime.fromisoformat(update_id) <= after
    assert row["timestamp"] == pd.Timestamp(update_id)


def test_the_same_update_twice_is_one_row(store):
    batch = batch_of(filings([1, 2, 3]))
    first = capture_update(store, DATASET, batch, update_id="r1", timestamp=T1)
    again = capture_update(store, DATASET, batch_of(filings([1, 2, 3, 4])), update_id="r1", timestamp=T1)
    assert (first.inserted, first.replaced) == (1, 0)
    assert (again.inserted, again.replaced) == (0, 1)
    rows = archived(store)
    assert list(rows) == ["r1"]
    assert rows["r1"]["row_count"] == 4  # the later capture of the update wins

    capture_update(store, DATASET, batch, timestamp=T2)
    assert list(archived(store)) == ["r1", "2024-03-04T06:00:00"]


def test_counts_as_strings_are_coerced(store):
    capture_update(
        store,
        DATASET,
        batch_of(filings([1, 2])),
        update_id="r1",
        timestamp=T1,
        counts={"rows_created": "24,847", "rows_updated": " 12 ", "rows_deleted": None},
    )
    row = archived(store)["r1"]
    assert row["rows_created"] == 24847
    assert row["rows_updated"] == 12
    assert "rows_deleted" not in row  # None means "not reported": no column, no value


def test_unknown_count_is_refused_by_name(store):
    with pytest.raises(BadInputError) as info:
        capture_update(store, DATASET, batch_of(filings([1])), timestamp=T1, counts={"rows_inserted": 5})
    message = str(info.value)
    assert "'rows_inserted'" in message and repr(DATASET) in message
    assert "rows_created" in message  # says what is expected
    assert not store.exists(DATASET)


@pytest.mark.parametrize("counts", [{"rows_created": "many"}, {"rows_deleted": -1}])
def test_bad_count_values_are_refused_by_name(store, counts):
    with pytest.raises(BadInputError) as info:
        capture_update(store, DATASET, batch_of(filings([1])), timestamp=T1, counts=counts)
    assert repr(next(iter(counts))) in str(info.value)
    assert not store.exists(DATASET)


@pytest.mark.parametrize("timestamp", ["not a time", "2024-13-45", 1709445600, ""])
def test_bad_timestamp_is_refused_naming_the_field(store, timestamp):
    with pytest.raises(BadInputError) as info:
        capture_update(store, DATASET, batch_of(filings([1])), timestamp=timestamp)
    message = str(info.value)
    assert "'timestamp'" in message and repr(DATASET) in message
    assert not store.exists(DATASET)


# --------------------------------------------------------- key-column diff
def test_key_column_diff_counts_created_updated_deleted(store):
    first = filings([1, 2, 3, 4], ["open", "open", "open", "open"])
    capture_update(store, DATASET, batch_of(first), update_id="r1", timestamp=T1, key_column="case id")

    row = archived(store)["r1"]
    for count in REPORTED_COUNTS:
        assert row.get(count) is None, "the first keyed capture only records the snapshot"
    assert row["duplicate_key_count"] == 0
    assert set(store.snapshot(DATASET)) == {"1", "2", "3", "4"}

    # Delete 4, change 2's status, insert 5 and 6; 1 and 3 stay as they were.
    second = pd.DataFrame(
        {"case id": [1, 2, 3, 5, 6], "status": ["open", "closed", "open", "new", "new"], "pages": [10, 20, 30, 7, 8]}
    )
    capture_update(store, DATASET, batch_of(second), update_id="r2", timestamp=T2, key_column="case id")
    row = archived(store)["r2"]
    assert (row["rows_created"], row["rows_deleted"], row["rows_updated"]) == (2, 1, 1)
    assert row["row_count"] == 5
    assert set(store.snapshot(DATASET)) == {"1", "2", "3", "5", "6"}


def test_unchanged_data_diffs_to_zero(store):
    for update_id, stamp in (("r1", T1), ("r2", T2)):
        batch = batch_of(filings([1, 2]))
        capture_update(store, DATASET, batch, update_id=update_id, timestamp=stamp, key_column="case id")
    row = archived(store)["r2"]
    assert (row["rows_created"], row["rows_updated"], row["rows_deleted"]) == (0, 0, 0)


def test_caller_counts_override_the_diff(store):
    capture_update(store, DATASET, batch_of(filings([1, 2, 3])), update_id="r1", timestamp=T1, key_column="case id")
    capture_update(
        store,
        DATASET,
        batch_of(filings([2, 3, 4, 5])),
        update_id="r2",
        timestamp=T2,
        key_column="case id",
        counts={"rows_created": "10", "rows_updated": None},
    )
    row = archived(store)["r2"]
    assert row["rows_created"] == 10  # reported by the source
    assert row["rows_deleted"] == 1  # from the diff
    # rows 2 and 3 moved to other positions; their pages changed with them.
    assert row["rows_updated"] == 2  # None does not override


def test_a_keyed_capture_after_an_empty_one_diffs_against_the_empty_snapshot(store):
    empty = filings([]).astype({"case id": "int64"})
    capture_update(store, DATASET, batch_of(empty), update_id="r1", timestamp=T1, key_column="case id")
    assert store.snapshot(DATASET) == {}
    capture_update(store, DATASET, batch_of(filings([1, 2, 3])), update_id="r2", timestamp=T2, key_column="case id")
    row = archived(store)["r2"]
    assert (row["rows_created"], row["rows_updated"], row["rows_deleted"]) == (3, 0, 0)


def test_first_keyed_capture_after_unkeyed_ones_only_records_the_snapshot(store):
    capture_update(store, DATASET, batch_of(filings([1, 2])), update_id="r1", timestamp=T1)
    capture_update(store, DATASET, batch_of(filings([1, 2, 3])), update_id="r2", timestamp=T2, key_column="case id")
    assert archived(store)["r2"].get("rows_created") is None
    assert set(store.snapshot(DATASET)) == {"1", "2", "3"}


def _counts(store, update_id):
    row = archived(store)[update_id]
    return tuple(row.get(count) for count in REPORTED_COUNTS)


def test_capturing_an_update_again_repeats_its_counts(store, tmp_path):
    # What an Airflow retry does: the same file, the same update id, after
    # the first capture of that update committed its snapshot.
    v1, v2 = tmp_path / "v1.csv", tmp_path / "v2.csv"
    filings(list(range(1, 101))).to_csv(v1, index=False)
    changed = filings(list(range(1, 151)), ["closed"] * 100 + ["open"] * 50)
    changed.to_csv(v2, index=False)

    def capture(path, update_id, stamp):
        batch = file_batch(path, dataset=DATASET)
        return capture_update(store, DATASET, batch, update_id=update_id, timestamp=stamp, key_column="case id")

    capture(v1, "r1", T1)
    capture(v2, "r2", T2)
    first = _counts(store, "r2")
    assert first == (50, 100, 0)

    again = capture(v2, " r2 ", T2)  # stripped by the archive: the same update
    assert (again.inserted, again.replaced) == (0, 1)
    assert _counts(store, "r2") == first
    assert list(archived(store)) == ["r1", "r2"]
    assert store.snapshot(DATASET) == row_hashes(changed, "case id", dataset=DATASET)

    # The next update diffs against r2's data, retried or not.
    capture(v1, "r3", "2024-03-05T06:00:00")
    assert _counts(store, "r3") == (0, 100, 50)


def test_capturing_the_first_keyed_update_again_still_only_records_the_snapshot(store, tmp_path):
    path = tmp_path / "v1.csv"
    filings([1, 2, 3]).to_csv(path, index=False)
    for _ in range(2):
        capture_update(store, DATASET, file_batch(path, dataset=DATASET), update_id="r1", timestamp=T1,
                       key_column="case id")
    assert _counts(store, "r1") == (None, None, None)


def test_capturing_an_update_again_after_an_empty_one_diffs_against_the_empty_snapshot(store):
    empty = filings([]).astype({"case id": "int64"})
    capture_update(store, DATASET, batch_of(empty), update_id="r1", timestamp=T1, key_column="case id")
    for _ in range(2):
        capture_update(store, DATASET, batch_of(filings([1, 2])), update_id="r2", timestamp=T2, key_column="case id")
        assert _counts(store, "r2") == (2, 0, 0)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_key_diff_of_a_sql_table_changed_in_place(sql_maker, sqlite_url, kind):
    store = ArchiveStore(sqlite_url)
    maker = sql_maker(kind)
    maker.write_table(pd.DataFrame({"id": [1, 2, 3, 4], "n": [10, 20, 30, 40], "s": ["a", "b", "c", "d"]}))
    capture_update(store, DATASET, maker.table_batch(), update_id="r1", timestamp=T1, key_column="id")

    # Two inserts with NULLs in the integer column (pandas then reads it as
    # floats), one delete, one update: the untouched rows must not count.
    maker.execute(
        "INSERT INTO monitored VALUES (5, NULL, 'e'), (6, 60, NULL)",
        "DELETE FROM monitored WHERE id = 1",
        "UPDATE monitored SET s = 'changed' WHERE id = 3",
    )
    capture_update(store, DATASET, maker.table_batch(), update_id="r2", timestamp=T2, key_column="id")
    row = archived(store)["r2"]
    assert (row["rows_created"], row["rows_deleted"], row["rows_updated"]) == (2, 1, 1)
    assert row["row_count"] == 5
    assert row[metric_column("null_fraction", "n")] == pytest.approx(1 / 5)
    store.engine.dispose()


# ------------------------------------------------- failures change nothing
def _prime(store):
    capture_update(store, DATASET, batch_of(filings([1, 2, 3])), update_id="r1", timestamp=T1, key_column="case id")
    return state(store)


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "names"),
    [
        (filings([1, 2, 4]), {"key_column": "case number"}, CaptureError, "'case number'"),
        (filings([1, 2, 4]), {"key_column": "case id", "freshness_column": "filed"}, CaptureError, "'filed'"),
        (
            filings([1, 2, 4]).assign(filed=["never", "someday", "later"]),
            {"key_column": "case id", "freshness_column": "filed"},
            CaptureError,
            "'filed'",
        ),
        (filings([1, 2, 4]), {"key_column": "case id", "columns": ["status", "nope"]}, CaptureError, "'nope'"),
        (filings([1, 2, 4]), {"key_column": "case id", "counts": {"rows_deleted": -3}}, BadInputError,
         "'rows_deleted'"),
        (filings([1, 2, 4]), {"key_column": "case id", "counts": {"deleted": 3}}, BadInputError, "'deleted'"),
        (filings([1, 2, 4]), {"key_column": "case id", "timestamp": "never"}, BadInputError, "'timestamp'"),
    ],
    ids=["missing-key", "missing-freshness", "unparseable-freshness", "missing-column", "negative-count",
         "unknown-count", "bad-timestamp"],
)
def test_a_failing_capture_leaves_archive_and_snapshot_as_they_were(store, frame, kwargs, error, names):
    before = _prime(store)
    kwargs = {"update_id": "r2", "timestamp": T2, **kwargs}
    with pytest.raises(error) as info:
        capture_update(store, DATASET, batch_of(frame), **kwargs)
    assert names in str(info.value) and repr(DATASET) in str(info.value)
    assert state(store) == before

    # And the next good capture diffs against the snapshot of r1, untouched.
    capture_update(store, DATASET, batch_of(filings([1, 2, 4])), update_id="r2", timestamp=T2, key_column="case id")
    row = archived(store)["r2"]
    assert (row["rows_created"], row["rows_deleted"], row["rows_updated"]) == (1, 1, 0)


# ------------------------------------------------------------ empty data
def test_empty_dataset_is_archived(store):
    # Every engine's empty profile is checked in test_profile; here, that it archives.
    empty = sample_frame().iloc[0:0]
    result = capture_update(
        store,
        DATASET,
        batch_of(empty),
        update_id="r1",
        timestamp=T1,
        key_column="id",
        freshness_column="filed",
    )
    assert result.inserted == 1
    row = archived(store)["r1"]
    assert row["row_count"] == 0
    assert row["column_count"] == 6
    assert row["duplicate_key_count"] == 0
    assert row["freshness_lag_hours"] is None
    assert row[metric_column("null_fraction", "Judge Name")] is None
    assert row[metric_column("distinct_count", "Judge Name")] == 0
    assert row[metric_column("mean", "pages")] is None
    assert store.snapshot(DATASET) == {}


# -------------------------------------------------- every source, archived
def test_every_source_archives_the_same_numbers(store, make_batch):
    capture_update(
        store,
        DATASET,
        make_batch(sample_frame()),
        update_id="r1",
        timestamp=SAMPLE_NOW,
        key_column="id",
        freshness_column="filed",
    )
    row = archived(store)["r1"]
    for name, value in expected_profile().items():
        assert row[name] == pytest.approx(value), name
    assert row["duplicate_key_count"] == 1
    assert row["freshness_lag_hours"] == pytest.approx(12.0)
    assert set(store.snapshot(DATASET)) == {"1", "2", "3", "4"}


def test_freshness_is_measured_at_the_update_timestamp(store):
    frame = pd.DataFrame({"seen": ["2024-03-01 00:00:00"]})
    for update_id, stamp in (("a", "2024-03-01T06:00:00Z"), ("b", "2024-03-02T00:00:00Z")):
        capture_update(store, DATASET, batch_of(frame), update_id=update_id, timestamp=stamp, freshness_column="seen")
    rows = archived(store)
    assert rows["a"]["freshness_lag_hours"] == pytest.approx(6.0)
    assert rows["b"]["freshness_lag_hours"] == pytest.approx(24.0)


def test_many_updates_build_a_history(store):
    start = datetime(2024, 1, 1, 6)
    for day in range(3):
        frame = filings(list(range(1, 4 + day)))
        capture_update(store, DATASET, batch_of(frame), timestamp=start + timedelta(days=day), key_column="case id")
    history = store.history(DATASET)
    assert history["row_count"].tolist() == [3, 4, 5]
    assert history["update_id"].tolist() == [(start + timedelta(days=d)).isoformat() for d in range(3)]
    assert history["rows_created"].tolist()[1:] == [1, 1]


# ------------------------------------------------- only the newest update
@pytest.mark.parametrize("key_column", [None, "case id"])
def test_a_capture_dated_before_the_newest_update_is_refused_and_changes_nothing(store, key_column):
    capture_update(store, DATASET, batch_of(filings([1, 2, 3])), update_id="r1", timestamp=T1, key_column=key_column)
    capture_update(store, DATASET, batch_of(filings([1, 2, 3, 4])), update_id="r2", timestamp=T2, key_column=key_column)
    before = state(store)

    backdated = "2024-03-03T18:00:00"  # between r1 and r2
    with pytest.raises(BadInputError) as error:
        capture_update(store, DATASET, batch_of(filings([1])), update_id="late", timestamp=backdated,
                       key_column=key_column)
    message = str(error.value)
    assert repr(DATASET) in message and "'timestamp'" in message and "'r2'" in message
    assert "2024-03-03 18:00:00" in message
    assert state(store) == before


@pytest.mark.parametrize("key_column", [None, "case id"])
def test_capturing_an_older_update_again_is_refused(store, key_column):
    capture_update(store, DATASET, batch_of(filings([1, 2, 3])), update_id="r1", timestamp=T1, key_column=key_column)
    capture_update(store, DATASET, batch_of(filings([1, 2, 3, 4])), update_id="r2", timestamp=T2, key_column=key_column)
    before = state(store)

    with pytest.raises(BadInputError, match="update 'r1' is archived and the newest archived update, 'r2' at "):
        capture_update(store, DATASET, batch_of(filings([1])), update_id="r1", timestamp=T1, key_column=key_column)
    assert state(store) == before
    # Stamped now, it would move past r2 with today's numbers: refused as well.
    with pytest.raises(BadInputError, match="update 'r1' is archived and .*'r2'.* came after it"):
        capture_update(store, DATASET, batch_of(filings([1])), update_id="r1", key_column=key_column)
    assert state(store) == before


def test_the_newest_update_may_be_captured_again_and_a_tie_in_time_is_accepted(store):
    capture_update(store, DATASET, batch_of(filings([1, 2, 3])), update_id="r1", timestamp=T1, key_column="case id")
    capture_update(store, DATASET, batch_of(filings([1, 2])), update_id="r2", timestamp=T2, key_column="case id")
    capture_update(store, DATASET, batch_of(filings([1, 2])), update_id="r2", timestamp=T2, key_column="case id")
    assert archived(store)["r2"]["rows_deleted"] == 1, "the retry diffs against r1's snapshot, as the first capture did"

    capture_update(store, DATASET, batch_of(filings([1, 2, 5])), update_id="r2b", timestamp=T2, key_column="case id")
    assert archived(store)["r2b"]["rows_created"] == 1
    # At the same time, an id that sorts before the newest's would not be the newest.
    with pytest.raises(BadInputError, match="is not after the newest archived update, 'r2b' at "):
        capture_update(store, DATASET, batch_of(filings([1])), update_id="r2a", timestamp=T2, key_column="case id")


def test_a_capture_stamped_now_is_refused_when_the_archive_holds_a_later_update(store):
    store.append(DATASET, [{"update_id": "future", "timestamp": "2199-01-01T00:00:00", "rows_created": 5}])
    before = state(store)
    with pytest.raises(BadInputError, match="the newest archived update, 'future' at 2199-01-01 00:00:00, is later than now"):
        capture_update(store, DATASET, batch_of(filings([1])), key_column="case id")
    assert state(store) == before


def test_a_capture_stamped_now_is_stamped_under_the_write_lock(store):
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    capture_update(store, DATASET, batch_of(filings([1])), key_column="case id")
    [(update_id, row)] = archived(store).items()
    assert row["timestamp"] >= pd.Timestamp(before) and update_id == row["timestamp"].isoformat()


def test_after_an_update_labelled_incident_the_next_is_diffed_against_the_data_before_it(store):
    from dataset_health.archive.verdicts import set_label

    capture_update(store, DATASET, batch_of(filings([1, 2, 3, 4])), update_id="r1", timestamp=T1, key_column="case id")
    capture_update(store, DATASET, batch_of(filings([])), update_id="r2", timestamp=T2, key_column="case id")
    assert archived(store)["r2"]["rows_deleted"] == 4  # an empty reload
    set_label(store, DATASET, "r2", "incident", "empty reload")
    assert set(store.snapshot(DATASET)) == {"1", "2", "3", "4"}

    capture_update(store, DATASET, batch_of(filings([1, 2, 3, 4, 5])), update_id="r3",
                   timestamp="2024-03-05T06:00:00", key_column="case id")
    row = archived(store)["r3"]
    assert (row["rows_created"], row["rows_updated"], row["rows_deleted"]) == (1, 0, 0)


def test_an_incident_relabelled_expected_before_the_next_capture_gets_its_snapshot_back(store):
    from dataset_health.archive.verdicts import set_label

    capture_update(store, DATASET, batch_of(filings([1, 2, 3, 4])), update_id="r1", timestamp=T1, key_column="case id")
    capture_update(store, DATASET, batch_of(filings([1, 2])), update_id="r2", timestamp=T2, key_column="case id")
    set_label(store, DATASET, "r2", "incident", "half the cases gone")
    set_label(store, DATASET, "r2", "incident", "labelled twice")  # must not set aside r1's snapshot as r2's
    assert set(store.snapshot(DATASET)) == {"1", "2", "3", "4"}
    set_label(store, DATASET, "r2", "expected", "two cases were closed")
    assert set(store.snapshot(DATASET)) == {"1", "2"}

    capture_update(store, DATASET, batch_of(filings([1, 2, 5])), update_id="r3",
                   timestamp="2024-03-05T06:00:00", key_column="case id")
    row = archived(store)["r3"]
    assert (row["rows_created"], row["rows_updated"], row["rows_deleted"]) == (1, 0, 0)


def test_an_incident_relabelled_after_the_next_capture_leaves_that_capture_standing(store):
    from dataset_health.archive.verdicts import set_label

    capture_update(store, DATASET, batch_of(filings([1, 2, 3])), update_id="r1", timestamp=T1, key_column="case id")
    capture_update(store, DATASET, batch_of(filings([])), update_id="r2", timestamp=T2, key_column="case id")
    set_label(store, DATASET, "r2", "incident", "empty reload")
    capture_update(store, DATASET, batch_of(filings([1, 2, 3, 4])), update_id="r3",
                   timestamp="2024-03-05T06:00:00", key_column="case id")
    set_label(store, DATASET, "r2", "expected")
    assert set(store.snapshot(DATASET)) == {"1", "2", "3", "4"}
    assert archived(store)["r3"]["rows_created"] == 1


def test_labelling_an_older_update_or_one_as_expected_keeps_the_snapshot(store):
    from dataset_health.archive.verdicts import set_label

    capture_update(store, DATASET, batch_of(filings([1, 2])), update_id="r1", timestamp=T1, key_column="case id")
    capture_update(store, DATASET, batch_of(filings([1, 2, 3])), update_id="r2", timestamp=T2, key_column="case id")
    set_label(store, DATASET, "r1", "incident")
    set_label(store, DATASET, "r2", "expected")
    assert set(store.snapshot(DATASET)) == {"1", "2", "3"}


def test_a_label_whose_snapshot_cannot_be_set_aside_is_not_stored_either(store, monkeypatch):
    import dataset_health.capture.snapshots as snapshots
    from dataset_health.archive.verdicts import set_label
    from dataset_health.errors import ArchiveError

    capture_update(store, DATASET, batch_of(filings([1, 2])), update_id="r1", timestamp=T1, key_column="case id")
    capture_update(store, DATASET, batch_of(filings([])), update_id="r2", timestamp=T2, key_column="case id")
    before = state(store)

    def broken(*args, **kwargs):
        raise ArchiveError("disk full")

    monkeypatch.setattr(snapshots, "restore_snapshot_before", broken)
    with pytest.raises(ArchiveError, match="disk full"):
        set_label(store, DATASET, "r2", "incident")
    assert state(store) == before
