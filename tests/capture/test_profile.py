"""profile_batch and its batches: the same numbers on every engine, checked by hand."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from dataset_health.archive import metric_column
from dataset_health.capture import dataframe_batch, diff_counts, file_batch, profile_batch, row_hashes, sql_batch
from dataset_health.errors import CaptureError, DatasetHealthError

from .conftest import DATASET, SAMPLE_NOW, expected_profile, sample_frame

NOW = datetime.fromisoformat(SAMPLE_NOW)


def profile(batch, **kwargs):
    return profile_batch(batch, dataset=DATASET, **kwargs)


# ------------------------------------------------------------ same numbers
def test_sample_profile_is_the_same_on_every_engine(make_batch):
    fields = profile(make_batch(sample_frame()), key_column="id", freshness_column="filed", now=NOW)

    expected = expected_profile()
    for name, value in expected.items():
        assert fields[name] == pytest.approx(value), name
        assert not isinstance(fields[name], (np.generic, np.ndarray)), name
    assert fields["duplicate_key_count"] == 1  # 5 non-null keys, 4 distinct
    assert fields["freshness_lag_hours"] == pytest.approx(12.0)  # 2024-03-02 18:00 -> 03-03 06:00

    # Exactly these fields: min/max/mean only for the numeric columns.
    per_column = {k for k in fields if "__" in k}
    assert per_column == {k for k in expected if "__" in k}
    for text_or_flag in ("Judge Name", "sealed", "filed"):
        for stat in ("min", "max", "mean"):
            assert metric_column(stat, text_or_flag) not in fields
    assert set(fields) - per_column == {
        "row_count",
        "column_count",
        "schema",
        "schema_fingerprint",
        "duplicate_key_count",
        "freshness_lag_hours",
    }


def test_schema_lists_every_column_in_order_with_its_engine_type(make_batch, source):
    fields = profile(make_batch(sample_frame()))
    schema = json.loads(fields["schema"])
    assert [name for name, _ in schema] == ["id", "Judge Name", "amount-$", "pages", "sealed", "filed"]
    types = dict(schema)
    # Type names are the engine's own; only their numeric-ness is shared.
    expected_types = {
        "pandas": {"id": "float64", "pages": "int64", "Judge Name": "object", "sealed": "bool"},
        "parquet": {"id": "float64", "pages": "int64", "Judge Name": "object", "sealed": "bool"},
        "csv": {"id": "float64", "pages": "int64", "Judge Name": "object", "sealed": "bool", "filed": "object"},
        "sqlite": {"id": "float", "pages": "bigint", "Judge Name": "text", "sealed": "boolean"},
        "postgresql": {"id": "double precision", "pages": "bigint", "Judge Name": "text", "sealed": "boolean"},
    }[source]
    for column, kind in expected_types.items():
        assert types[column] == kind, column
    assert len(fields["schema_fingerprint"]) == 16
    int(fields["schema_fingerprint"], 16)


def test_only_the_chosen_columns_are_profiled(make_batch):
    fields = profile(make_batch(sample_frame()), columns=["pages"], key_column="id")
    assert {k for k in fields if "__" in k} == {
        metric_column(stat, "pages") for stat in ("null_fraction", "distinct_count", "min", "max", "mean")
    }
    # The table-level fields still describe every column; the key still counts.
    assert fields["column_count"] == 6
    assert fields["duplicate_key_count"] == 1


# ------------------------------------------------------ schema fingerprint
def _fingerprint(make_batch, frame):
    return profile(make_batch(frame))["schema_fingerprint"]


def test_fingerprint_is_stable_for_the_same_schema_and_tracks_changes(make_batch):
    base = pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"], "score": [0.5, 1.5, 2.5]})
    first = _fingerprint(make_batch, base)

    other_rows = pd.DataFrame({"id": [7, 8], "name": ["x", "y"], "score": [9.5, 1.25]})
    assert _fingerprint(make_batch, other_rows) == first  # data changed, schema did not

    added = base.assign(extra=[1, 2, 3])
    removed = base.drop(columns=["score"])
    retyped = base.assign(id=["1a", "2b", "3c"])  # integer -> text
    renamed = base.rename(columns={"name": "full name"})
    changed = {
        "added": _fingerprint(make_batch, added),
        "removed": _fingerprint(make_batch, removed),
        "retyped": _fingerprint(make_batch, retyped),
        "renamed": _fingerprint(make_batch, renamed),
    }
    for what, fingerprint in changed.items():
        assert fingerprint != first, what
    assert len(set(changed.values())) == len(changed)

    assert _fingerprint(make_batch, base) == first  # and back again


# ------------------------------------------------------------- key column
@pytest.mark.parametrize(
    ("keys", "duplicates"),
    [
        (["a", "b", "c", "d"], 0),
        (["a", "a", "a", "b"], 2),
        (["a", "a", "b", "b"], 2),
        (["a", None, None, "a"], 1),  # NULL keys are not duplicates of each other
        ([None, None, None, None], 0),
    ],
)
def test_duplicate_key_count(keys, duplicates):
    frame = pd.DataFrame({"key": keys, "v": [1, 2, 3, 4]})
    assert profile(dataframe_batch(frame, dataset=DATASET), key_column="key")["duplicate_key_count"] == duplicates


def test_no_key_column_means_no_duplicate_count_and_no_freshness():
    fields = profile(dataframe_batch(sample_frame(), dataset=DATASET))
    assert "duplicate_key_count" not in fields
    assert "freshness_lag_hours" not in fields


# -------------------------------------------------------------- freshness
@pytest.mark.parametrize(
    ("values", "now", "lag"),
    [
        # Text timestamps with a missing value: pandas cannot max() text with NaN.
        (["2024-01-01 00:00:00", None, "2024-01-02 06:00:00"], datetime(2024, 1, 3, 6), 24.0),
        # A zone on the data is converted to UTC; naive ``now`` is UTC.
        (["2024-01-02T06:00:00+02:00", "2024-01-01T00:00:00+02:00"], datetime(2024, 1, 2, 5), 1.0),
        # An aware ``now`` is converted too.
        (
            ["2024-01-02 04:00:00"],
            datetime(2024, 1, 2, 8, tzinfo=timezone(timedelta(hours=2))),
            2.0,
        ),
        # Newest value after ``now``: a negative lag, not an error.
        (["2024-01-02 12:00:00"], datetime(2024, 1, 2, 9), -3.0),
    ],
)
def test_freshness_lag_hours(values, now, lag):
    frame = pd.DataFrame({"updated at": values})
    fields = profile(dataframe_batch(frame, dataset=DATASET), freshness_column="updated at", now=now)
    assert fields["freshness_lag_hours"] == pytest.approx(lag)


def test_freshness_of_datetime_and_date_columns():
    frame = pd.DataFrame(
        {
            "stamp": pd.to_datetime(["2024-05-01 10:30", None, "2024-05-01 09:00"]),
            "aware": pd.to_datetime(["2024-05-01 10:30", None, "2024-05-01 09:00"]).tz_localize("Europe/Paris"),
        }
    )
    now = datetime(2024, 5, 1, 12, 0)
    batch = dataframe_batch(frame, dataset=DATASET)
    assert profile(batch, freshness_column="stamp", now=now)["freshness_lag_hours"] == pytest.approx(1.5)
    # 10:30 in Paris (UTC+2 in May) is 08:30 UTC.
    assert profile(batch, freshness_column="aware", now=now)["freshness_lag_hours"] == pytest.approx(3.5)


def test_freshness_defaults_to_the_current_time():
    an_hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(tzinfo=None)
    frame = pd.DataFrame({"t": [an_hour_ago.isoformat()]})
    lag = profile(dataframe_batch(frame, dataset=DATASET), freshness_column="t")["freshness_lag_hours"]
    assert 1.0 <= lag < 1.1


@pytest.mark.parametrize("values", [[None, None], [float("nan")], pd.Series([None, None], dtype="datetime64[ns]")])
def test_all_null_freshness_column_gives_no_lag(values):
    frame = pd.DataFrame({"t": values, "x": range(len(values))})
    fields = profile(dataframe_batch(frame, dataset=DATASET), freshness_column="t", now=NOW)
    assert fields["freshness_lag_hours"] is None


@pytest.mark.parametrize("values", [["yesterday", "soon"], [1.7e9, 1.8e9]])
def test_unparseable_freshness_values_name_the_dataset_and_column(values):
    frame = pd.DataFrame({"last seen": values})
    with pytest.raises(CaptureError) as info:
        profile(dataframe_batch(frame, dataset=DATASET), freshness_column="last seen", now=NOW)
    assert repr(DATASET) in str(info.value)
    assert "'last seen'" in str(info.value)


def test_freshness_of_text_dates_is_the_latest_date_on_every_engine(make_batch):
    # As text, '9/30/2024' is the largest: 60 hours, not 12.
    frame = pd.DataFrame({"filed": ["9/30/2024", "10/1/2024", "10/2/2024"]})
    fields = profile(make_batch(frame), freshness_column="filed", now=datetime(2024, 10, 2, 12))
    assert fields["freshness_lag_hours"] == pytest.approx(12.0)


@pytest.mark.parametrize(
    ("values", "lag"),
    [
        # Junk is skipped, not an error, as long as one value is a date.
        (["2024-10-01", "n/a", "#REF!", "13/45/2024", None, "10/2/2024 06:00", "12345", ""], 6.0),
        # Each value keeps its own zone: 05:00 naive is UTC, later than 06:00+02:00.
        (["2024-10-02T06:00:00+02:00", "2024-10-02 05:00"], 7.0),
        # A number in a text column is no date (pandas would read it as nanoseconds since 1970).
        (pd.Series(["9/30/2024 12:00", 5, 1.7e9, True], dtype=object), 48.0),
    ],
)
def test_text_freshness_parses_each_value_and_skips_what_is_no_date(values, lag):
    frame = pd.DataFrame({"filed": values})
    fields = profile(dataframe_batch(frame, dataset=DATASET), freshness_column="filed", now=datetime(2024, 10, 2, 12))
    assert fields["freshness_lag_hours"] == pytest.approx(lag)


def test_text_freshness_with_no_date_at_all_says_so(tmp_path):
    path = tmp_path / "filings.csv"
    pd.DataFrame({"id": [1, 2, 3], "filed": ["soon", None, "n/a"]}).to_csv(path, index=False)
    with pytest.raises(CaptureError) as info:
        profile(file_batch(path, dataset=DATASET), freshness_column="filed", now=NOW)
    message = _message(info)
    assert "'filed'" in message and "no value reads as a date" in message


# ----------------------------------------------------------- column slugs
def test_column_names_needing_slugs_map_to_distinct_archive_columns():
    names = ["Judge Name", "judge_name", "judge-name", "amount-$", "amount", "Amount $", "2024 total"]
    frame = pd.DataFrame({name: [float(i), float(i + 1)] for i, name in enumerate(names)})
    fields = profile(dataframe_batch(frame, dataset=DATASET))

    nulls = [metric_column("null_fraction", name) for name in names]
    assert len(set(nulls)) == len(names)
    for i, name in enumerate(names):
        assert fields[metric_column("min", name)] == float(i)
        assert fields[metric_column("max", name)] == float(i + 1)
        assert fields[metric_column("mean", name)] == i + 0.5
    # Clean names are kept; others are made safe and told apart by a hash.
    assert metric_column("mean", "judge_name") == "mean__judge_name"
    assert metric_column("mean", "amount") == "mean__amount"
    for column in fields:
        assert column == column.lower() and " " not in column and "$" not in column and "-" not in column


def test_columns_differing_only_in_case_are_refused_not_mixed_up():
    # GX looks columns up case-insensitively: it would profile "Judge Name" twice.
    frame = pd.DataFrame({"Judge Name": [1.0, 2.0], "judge name": [10.0, 20.0], "other": [1, 2]})
    batch = dataframe_batch(frame, dataset=DATASET)
    with pytest.raises(CaptureError) as info:
        profile(batch)
    message = _message(info)
    assert "'Judge Name'" in message and "'judge name'" in message
    # The first of the two is found right; leaving the second out works.
    fields = profile(batch, columns=["Judge Name", "other"])
    assert fields[metric_column("mean", "Judge Name")] == 1.5
    assert fields["column_count"] == 3


# ---------------------------------------------------------- empty dataset
def test_empty_dataset_profiles_without_crashing(make_batch):
    empty = sample_frame().iloc[0:0]
    fields = profile(make_batch(empty), key_column="id", freshness_column="filed", now=NOW)

    assert fields["row_count"] == 0
    assert fields["column_count"] == 6
    assert fields["duplicate_key_count"] == 0
    assert fields["freshness_lag_hours"] is None
    for name in ["id", "Judge Name", "amount-$", "pages", "sealed", "filed"]:
        assert fields[metric_column("null_fraction", name)] is None, name
        assert fields[metric_column("distinct_count", name)] == 0, name
    for name in ["amount-$", "pages"]:
        for stat in ("min", "max", "mean"):
            assert fields.get(metric_column(stat, name)) is None, (stat, name)


def test_csv_with_only_a_header_is_an_empty_dataset(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("id,Judge Name\n")
    fields = profile(file_batch(path, dataset=DATASET), key_column="id")
    assert fields["row_count"] == 0
    assert fields["column_count"] == 2
    assert fields[metric_column("null_fraction", "Judge Name")] is None
    assert fields["duplicate_key_count"] == 0


# ------------------------------------------------------- numeric detection
def test_numeric_stats_follow_the_pandas_dtype():
    frame = pd.DataFrame(
        {
            "nullable_int": pd.array([1, None, 3], dtype="Int64"),
            "float32": np.array([1.0, 2.0, 4.5], dtype="float32"),
            "flag": [True, False, True],
            "when": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "digits_as_text": ["1", "2", "3"],
            "category": pd.Categorical(["a", "b", "a"]),
        }
    )
    fields = profile(dataframe_batch(frame, dataset=DATASET))
    assert fields[metric_column("mean", "nullable_int")] == 2.0
    assert fields[metric_column("null_fraction", "nullable_int")] == pytest.approx(1 / 3)
    assert fields[metric_column("max", "float32")] == 4.5
    assert fields[metric_column("mean", "float32")] == pytest.approx(2.5)
    for name in ("flag", "when", "digits_as_text", "category"):
        assert metric_column("mean", name) not in fields, name
        assert fields[metric_column("distinct_count", name)] in (2, 3)


def test_infinite_values_are_not_archived_as_numbers():
    frame = pd.DataFrame({"x": [1.0, np.inf, 2.0]})
    fields = profile(dataframe_batch(frame, dataset=DATASET))
    assert fields[metric_column("max", "x")] is None  # the archive rejects inf; missing instead
    assert fields[metric_column("min", "x")] == 1.0


@pytest.mark.postgres
def test_postgres_types_that_merely_contain_int_are_not_numbers(sql_maker):
    # "interval" and "point" contain "int", "integer[]" names a number type:
    # none has a numeric mean, and asking for one failed the whole capture.
    maker = sql_maker("postgresql")
    maker.execute(
        "CREATE TABLE monitored (n integer, amount numeric(10, 2), wait interval,"
        " tags integer[], scores double precision[], at timestamptz)",
        "INSERT INTO monitored VALUES (1, 2.50, '1 hour', '{1,2}', '{0.5}', '2024-01-01 00:00+02'),"
        " (3, 3.50, '2 hours', '{3}', NULL, NULL)",
    )
    batch = maker.table_batch()
    fields = profile(batch, freshness_column="at", now=datetime(2024, 1, 1, 3))

    assert fields[metric_column("mean", "n")] == 2.0
    assert fields[metric_column("mean", "amount")] == 3.0
    assert fields[metric_column("max", "amount")] == 3.5
    for name in ("wait", "tags", "scores", "at"):
        assert metric_column("mean", name) not in fields, name
        assert fields[metric_column("distinct_count", name)] in (1, 2), name
    assert fields[metric_column("null_fraction", "scores")] == 0.5
    assert fields["freshness_lag_hours"] == pytest.approx(5.0)  # 2023-12-31 22:00 UTC -> 03:00
    assert dict(json.loads(fields["schema"]))["wait"] == "interval"


def test_sqlite_declared_types_decide_numeric_stats(sql_maker):
    maker = sql_maker("sqlite")
    maker.execute(
        "CREATE TABLE monitored (a INTEGER, b REAL, c NUMERIC, d TEXT, e DATETIME, f BOOLEAN)",
        "INSERT INTO monitored VALUES (1, 1.5, 10, 'x', '2024-01-01 00:00:00', 1),"
        " (2, NULL, 20, 'y', '2024-01-01 12:00:00', 0)",
    )
    batch = maker.table_batch()
    fields = profile(batch, freshness_column="e", now=datetime(2024, 1, 2))
    assert fields[metric_column("mean", "a")] == 1.5
    assert fields[metric_column("mean", "b")] == 1.5
    assert fields[metric_column("null_fraction", "b")] == 0.5
    assert fields[metric_column("mean", "c")] == 15.0
    for name in ("d", "e", "f"):
        assert metric_column("mean", name) not in fields, name
    assert fields["freshness_lag_hours"] == pytest.approx(12.0)


# ------------------------------------------------------------------ errors
def _message(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message, "errors are printed as one line"
    assert repr(DATASET) in message
    return message


@pytest.mark.parametrize("argument", ["key_column", "freshness_column"])
def test_missing_column_names_dataset_and_column(make_batch, argument):
    with pytest.raises(CaptureError) as info:
        profile(make_batch(sample_frame()), **{argument: "case number"})
    message = _message(info)
    assert "'case number'" in message
    assert "Judge Name" in message  # lists the columns there are


def test_missing_chosen_column_is_an_error():
    with pytest.raises(CaptureError) as info:
        profile(dataframe_batch(sample_frame(), dataset=DATASET), columns=["pages", "nope"])
    assert "'nope'" in _message(info)


def test_missing_file_names_dataset_and_file(tmp_path):
    with pytest.raises(CaptureError) as info:
        file_batch(tmp_path / "gone.csv", dataset=DATASET)
    message = _message(info)
    assert "gone.csv" in message and "does not exist" in message


@pytest.mark.parametrize("name", ["data.txt", "data.xlsx", "data"])
def test_unknown_file_type_names_dataset_file_and_known_types(tmp_path, name):
    path = tmp_path / name
    path.write_text("a\n1\n")
    with pytest.raises(CaptureError) as info:
        file_batch(path, dataset=DATASET)
    message = _message(info)
    assert name in message and ".csv" in message and ".parquet" in message


@pytest.mark.parametrize(
    ("name", "content"),
    [("bad.parquet", b"this is not parquet"), ("empty.csv", b""), ("broken.csv", b'a,b\n1,"never closed\n')],
)
def test_unreadable_file_names_dataset_and_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CaptureError) as info:
        file_batch(path, dataset=DATASET)
    message = _message(info)
    assert name in message and "cannot read" in message


def test_upper_case_suffix_and_pq_are_read(tmp_path):
    frame = pd.DataFrame({"a": [1, 2, 3]})
    frame.to_csv(tmp_path / "A.CSV", index=False)
    frame.to_parquet(tmp_path / "a.pq", index=False)
    for name in ("A.CSV", "a.pq"):
        assert profile(file_batch(tmp_path / name, dataset=DATASET))["row_count"] == 3


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_unknown_sql_table_names_dataset_and_table(sql_maker, kind):
    maker = sql_maker(kind)
    maker.write_table(pd.DataFrame({"a": [1]}))
    with pytest.raises(CaptureError) as info:
        sql_batch(maker.url, "no_such_table", dataset=DATASET)
    assert "'no_such_table'" in _message(info)
    assert "LINE" not in _message(info)  # PostgreSQL's pointer into GX's SQL is left out


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://postgres@127.0.0.1:1/test", "nosuchdialect://host/db"]
)
def test_unreachable_database_is_a_capture_error(url):
    # GX tests the connection when the datasource is added; its error is translated.
    with pytest.raises(CaptureError) as info:
        sql_batch(url, "filings", dataset=DATASET)
    assert "'filings'" in str(info.value) and repr(DATASET) in str(info.value)
    if url.startswith("postgresql"):
        # The driver's words, not GX's repr of its exception ("due to OperationalError('...\\n\\t...')").
        assert "Connection refused Is the server running" in str(info.value), info.value
        assert "\\n" not in str(info.value) and "OperationalError" not in str(info.value)


def test_dataframe_batch_rejects_other_objects():
    with pytest.raises(CaptureError) as info:
        dataframe_batch([{"a": 1}], dataset=DATASET)
    assert "list" in _message(info)


def test_gx_metric_failure_is_one_line_naming_the_column():
    # GX cannot address integer column labels; the error says which column, in one line.
    frame = pd.DataFrame(np.arange(6).reshape(3, 2))
    with pytest.raises(CaptureError) as info:
        profile(dataframe_batch(frame, dataset=DATASET))
    message = _message(info)
    assert "of column 0" in message or "of column 1" in message
    assert "Traceback" not in message


def test_every_error_is_a_dataset_health_error(tmp_path):
    for call in (
        lambda: file_batch(tmp_path / "x.json", dataset=DATASET),
        lambda: profile(dataframe_batch(sample_frame(), dataset=DATASET), key_column="nope"),
    ):
        with pytest.raises(DatasetHealthError):
            call()


# ----------------------------------------------------- snapshot and diff
def test_row_hashes_key_every_non_null_key_and_ignore_column_order():
    frame = pd.DataFrame({"id": [1, 2, None], "v": ["a", "b", "c"]})
    hashes = row_hashes(frame, "id", dataset=DATASET)
    assert set(hashes) == {"1", "2"}  # 1.0 and 2.0 are the integers they were
    assert all(len(h) == 16 for h in hashes.values())
    reordered = frame[["v", "id"]].iloc[::-1]
    assert row_hashes(reordered, "id", dataset=DATASET) == hashes


def test_a_new_null_does_not_change_the_hash_of_other_rows():
    # One NULL turns an integer column into floats (10 -> 10.0): the other
    # rows did not change and must hash the same.
    before = pd.DataFrame({"id": [1, 2], "n": [10, 20], "s": ["a", "b"]})
    after = pd.DataFrame({"id": [1, 2, 3], "n": [10, 20, None], "s": ["a", "b", None]})
    old, new = row_hashes(before, "id", dataset=DATASET), row_hashes(after, "id", dataset=DATASET)
    assert {k: new[k] for k in old} == old
    assert diff_counts(old, new) == {"rows_created": 1, "rows_updated": 0, "rows_deleted": 0}


def test_a_junk_cell_that_turns_a_number_column_to_text_changes_only_its_own_row():
    # What pandas reads from the same CSV before and after one cell became "n/a?".
    before = pd.DataFrame({"id": [1, 2, 3], "amount": [12.5, 10.0, 7.25]})
    after = pd.DataFrame({"id": [1, 2, 3], "amount": ["12.50", "10.0", "n/a?"]})
    old, new = row_hashes(before, "id", dataset=DATASET), row_hashes(after, "id", dataset=DATASET)
    assert diff_counts(old, new) == {"rows_created": 0, "rows_updated": 1, "rows_deleted": 0}
    assert old["1"] == new["1"] and old["2"] == new["2"] and old["3"] != new["3"]


def test_decimal_keys_stay_apart_and_long_decimals_keep_every_digit():
    frame = pd.DataFrame({"code": ["1.1", "1.10", "2", "2.0"], "v": ["a", "b", "c", "d"]})
    assert set(row_hashes(frame, "code", dataset=DATASET)) == {"1.1", "1.10", "2", "2.0"}
    before = pd.DataFrame({"id": [1], "amount": ["12345678901234567.25"]})
    after = pd.DataFrame({"id": [1], "amount": ["12345678901234567.50"]})
    old, new = row_hashes(before, "id", dataset=DATASET), row_hashes(after, "id", dataset=DATASET)
    assert diff_counts(old, new)["rows_updated"] == 1


def test_row_hashes_see_a_changed_value():
    before = pd.DataFrame({"id": ["x", "y"], "n": [1.5, 2.0]})
    after = pd.DataFrame({"id": ["x", "y"], "n": [1.5, 2.5]})
    old, new = row_hashes(before, "id", dataset=DATASET), row_hashes(after, "id", dataset=DATASET)
    assert old["x"] == new["x"] and old["y"] != new["y"]


def test_row_hashes_missing_key_column_names_dataset_and_column():
    with pytest.raises(CaptureError) as info:
        row_hashes(pd.DataFrame({"a": [1]}), "case id", dataset=DATASET)
    assert "'case id'" in _message(info)


def test_diff_counts():
    previous = {"a": "1", "b": "2", "c": "3"}
    current = {"b": "2", "c": "9", "d": "4", "e": "5"}
    assert diff_counts(previous, current) == {"rows_created": 2, "rows_updated": 1, "rows_deleted": 1}
    assert diff_counts({}, current) == {"rows_created": 4, "rows_updated": 0, "rows_deleted": 0}
    assert diff_counts(previous, {}) == {"rows_created": 0, "rows_updated": 0, "rows_deleted": 3}


def test_a_mistyped_sqlite_path_is_named_and_no_empty_database_is_left(tmp_path):
    missing = tmp_path / "nonexist.db"
    with pytest.raises(CaptureError, match=r"the SQL URL names a SQLite database .*nonexist\.db.* that does not exist"):
        sql_batch(f"sqlite:///{missing}", "filings", dataset=DATASET)
    assert not missing.exists()
