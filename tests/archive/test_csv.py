"""CSV import and export of archives, on SQLite and PostgreSQL (``store`` runs each test on both)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dataset_health.archive import export_csv, import_csv, read_archive_csv
from dataset_health.errors import BadInputError, SchemaError

ROUND_TRIP_FILES = [
    "git_nychealth_case_hosp_death.csv",  # counts, empty cells, a date column (text)
    "git_sp500_constituents.csv",  # headers with capitals and spaces
    "nab_rogue_agent_key_hold.csv",  # 1882 irregular updates of one float gauge
]


def write(tmp_path, text: str, name: str = "in.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def history(store, dataset: str) -> pd.DataFrame:
    return store.history(dataset).drop(columns=["captured_at"])


def normalised(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


# ---------------------------------------------------------------- round trip
@pytest.mark.parametrize("name", ROUND_TRIP_FILES)
def test_benchmark_file_round_trip(store, benchmark_dir, tmp_path, name):
    source = benchmark_dir / name
    raw = pd.read_csv(source, dtype=str, keep_default_na=False)

    imported = import_csv(store, "original", source)
    assert (imported.inserted, imported.replaced) == (len(raw), 0)

    original = history(store, "original")
    # headers lower-cased and '_'-joined; ids from the timestamps
    assert set(original.columns) == {"update_id"} | {normalised(c) for c in raw.columns}
    expected_times = pd.to_datetime(raw["timestamp"]).sort_values().reset_index(drop=True)
    assert original["timestamp"].tolist() == expected_times.tolist()
    assert original["update_id"].tolist() == [t.isoformat() for t in expected_times]

    # every value as in the file: numbers exactly, empty cells missing
    by_time = raw.assign(timestamp=pd.to_datetime(raw["timestamp"])).sort_values("timestamp").reset_index(drop=True)
    kinds = store.column_kinds("original")
    for column in raw.columns:
        if column == "timestamp":
            continue
        archived = original[normalised(column)]
        if kinds[normalised(column)] == "text":
            assert archived.tolist() == [v or None for v in by_time[column]], column
        else:
            expected = pd.to_numeric(by_time[column].mask(by_time[column] == "")).astype(float)
            pd.testing.assert_series_equal(
                archived.astype(float), expected, check_names=False, obj=column
            )

    out = tmp_path / "export.csv"
    assert export_csv(store, "original", out) == len(raw)
    again = import_csv(store, "copy", out)
    assert (again.inserted, again.replaced) == (len(raw), 0)
    pd.testing.assert_frame_equal(history(store, "copy"), original)
    assert store.column_kinds("copy") == kinds


def test_nychealth_headers_and_text_column(store, benchmark_dir):
    import_csv(store, "nyc", benchmark_dir / "git_nychealth_case_hosp_death.csv")
    kinds = store.column_kinds("nyc")
    assert kinds["max_key_date"] == "text"
    assert kinds["null_case_count"] == kinds["sum_death_count"] == kinds["row_count"] == "number"
    assert "null_CASE_COUNT" not in kinds
    first = history(store, "nyc").iloc[0]
    assert first["max_key_date"] == "2020-03-25"
    assert first["row_count"] == 24.0
    assert first["sum_death_count"] == 279.0
    assert pd.isna(first["null_case_count"])
    assert first["timestamp"] == pd.Timestamp("2020-03-26 15:26:41")


def test_export_format(store, tmp_path):
    store.append(
        "ds",
        [
            {"update_id": "r2", "timestamp": "2024-01-02T06:00:00.250", "rows_created": "24,847", "mean__x": 0.1,
             "source": "socrata"},
            {"update_id": "r1", "timestamp": "2024-01-01T06:00", "rows_created": None, "mean__x": 2.0},
            {"update_id": "r3", "timestamp": "2024-01-03", "rows_created": 1e20, "mean__x": -3.5},
        ],
    )
    out = tmp_path / "out.csv"
    assert export_csv(store, "ds", out) == 3
    lines = out.read_text().splitlines()
    assert lines[0] == "timestamp,update_id,rows_created,mean__x,source"
    assert lines[1:] == [
        "2024-01-01T06:00:00,r1,,2.0,",
        "2024-01-02T06:00:00.250000,r2,24847.0,0.1,socrata",
        "2024-01-03T00:00:00,r3,1e+20,-3.5,",
    ]
    import_csv(store, "copy", out)
    pd.testing.assert_frame_equal(history(store, "copy"), history(store, "ds"))


def test_export_writes_whole_counts_as_integers(store, tmp_path):
    store.append("ds", [{"update_id": "r1", "timestamp": "2024-01-01", "rows_created": "24,847", "row_count": None}])
    out = tmp_path / "out.csv"
    export_csv(store, "ds", out)
    assert out.read_text().splitlines() == ["timestamp,update_id,rows_created,row_count", "2024-01-01T00:00:00,r1,24847,"]


# ------------------------------------------------------------------ fixtures
def test_rows_update_summary_fixture(store, fixtures_dir):
    result = import_csv(store, "filings", fixtures_dir / "rows_update_summary.csv")
    assert (result.inserted, result.replaced) == (6, 0)
    frame = history(store, "filings").set_index("update_id")
    assert frame.index.tolist() == [f"2022-12-{d}T{t}" for d, t in [
        ("25", "09:00:21"), ("26", "09:03:02"), ("27", "09:04:30"),
        ("28", "09:02:37"), ("29", "09:02:49"), ("30", "09:00:54"),
    ]]
    assert frame.loc["2022-12-30T09:00:54", ["rows_created", "rows_updated", "rows_deleted"]].tolist() == [24847, 9122, 0]
    assert frame.loc["2022-12-25T09:00:21", ["rows_created", "rows_updated", "rows_deleted"]].tolist() == [489, 295, 55]
    assert frame["rows_created"].sum() == 24847 + 24611 + 21595 + 2361 + 705 + 489
    assert frame.loc["2022-12-26T09:03:02", "timestamp"] == pd.Timestamp("2022-12-26 09:03:02")


def test_importing_twice_adds_nothing(store, fixtures_dir):
    path = fixtures_dir / "rows_update_summary.csv"
    import_csv(store, "filings", path)
    before = history(store, "filings")
    again = import_csv(store, "filings", path)
    assert (again.inserted, again.replaced) == (0, 6)
    assert again.added_columns == ()
    pd.testing.assert_frame_equal(history(store, "filings"), before)


# ------------------------------------------------------------ ids and headers
def test_update_id_column_is_used_when_present(store, tmp_path):
    path = write(
        tmp_path,
        "Update ID, Timestamp ,Rows Created,Rows-Deleted\n"
        "rev-2,2024-01-01T06:00:00+02:00,\"1,200\",0\n"
        "rev-1,2024-01-01T06:00:00+02:00, 7 ,\n",
    )
    result = import_csv(store, "ds", path)
    assert result.inserted == 2
    frame = history(store, "ds")
    assert list(frame.columns) == ["update_id", "timestamp", "rows_created", "rows_deleted"]
    assert frame["update_id"].tolist() == ["rev-1", "rev-2"]  # same time: ordered by id
    assert frame["timestamp"].tolist() == [pd.Timestamp("2024-01-01 04:00")] * 2
    assert frame["rows_created"].tolist() == [7.0, 1200.0]
    assert frame["rows_deleted"].isna().tolist() == [True, False]


def test_named_timestamp_and_update_id_columns(store, tmp_path):
    path = write(tmp_path, "Published At,Revision,row_count\n2024-01-02,r7,10\n2024-01-01,r6,9\n")
    import_csv(store, "ds", path, timestamp_column="Published At", update_id_column="revision")
    frame = history(store, "ds")
    assert frame["update_id"].tolist() == ["r6", "r7"]
    assert frame["row_count"].tolist() == [9.0, 10.0]
    assert "published_at" not in frame and "revision" not in frame


def test_ids_come_from_timestamps_in_utc(tmp_path):
    path = write(tmp_path, "timestamp,value\n2024-01-01T06:00:00+02:00,1\n2024-01-01,2\n2024-01-01T00:00:00.5,3\n")
    frame = read_archive_csv(path)
    assert frame["update_id"].tolist() == ["2024-01-01T04:00:00", "2024-01-01T00:00:00", "2024-01-01T00:00:00.500000"]
    assert list(frame.columns) == ["update_id", "timestamp", "value"]


@pytest.mark.parametrize(
    "rows",
    [
        "2024-01-01T06:00:00,1\n2024-01-02T06:00:00,2\n2024-01-01T06:00:00,3\n",
        "2024-01-01T06:00:00+02:00,1\n2024-01-01 04:00:00,2\n",  # one instant, two spellings
    ],
)
def test_duplicate_timestamps_without_update_ids_are_an_error(store, tmp_path, rows):
    path = write(tmp_path, "timestamp,rows_created\n" + rows)
    with pytest.raises(BadInputError, match=r"timestamp '2024-01-01T0[46]:00:00' appears twice.*update_id"):
        import_csv(store, "ds", path)
    assert not store.exists("ds")


def test_benchmark_file_with_repeated_timestamps_is_refused(store, benchmark_dir):
    # NAB's EC2 series repeats 2014-03-09T03:00:00 (a clock change in the
    # source); with no update_id column the updates cannot be told apart.
    with pytest.raises(BadInputError, match="timestamp '2014-03-09T03:00:00' appears twice"):
        import_csv(store, "ec2", benchmark_dir / "nab_ec2_latency_5min.csv")
    assert not store.exists("ec2")


def test_missing_timestamp_column_is_a_schema_error(store, tmp_path):
    path = write(tmp_path, "When,Rows Created\n2024-01-01,1\n")
    with pytest.raises(SchemaError) as err:
        import_csv(store, "ds", path)
    message = str(err.value)
    assert "'timestamp'" in message and "When, Rows Created" in message and str(path) in message
    with pytest.raises(SchemaError, match="'published'"):
        import_csv(store, "ds", path, timestamp_column="published")
    assert not store.exists("ds")


def test_duplicate_headers_after_normalising_are_a_schema_error(store, tmp_path):
    path = write(tmp_path, "timestamp,Rows Created,rows_created\n2024-01-01,1,2\n")
    with pytest.raises(SchemaError, match="'rows_created' appears twice"):
        import_csv(store, "ds", path)


def test_header_only_is_an_error(store, tmp_path):
    path = write(tmp_path, "timestamp,rows_created\n")
    with pytest.raises(BadInputError, match="no rows"):
        import_csv(store, "ds", path)
    assert not store.exists("ds")


def test_empty_file_is_an_error(store, tmp_path):
    path = write(tmp_path, "")
    with pytest.raises(BadInputError, match=re.escape(str(path))):
        import_csv(store, "ds", path)


def test_missing_file_is_an_error(store, tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(BadInputError, match="does not exist") as err:
        import_csv(store, "ds", path)
    assert str(path) in str(err.value)
    assert store.datasets() == []


# ------------------------------------------------------------- bad values
def test_a_bad_value_on_one_line_imports_nothing(store, tmp_path):
    path = write(
        tmp_path,
        "timestamp,rows_created,rows_deleted\n"
        "2024-01-01T06:00:00,1,0\n"
        "2024-01-02T06:00:00,abc,0\n"
        "2024-01-03T06:00:00,3,0\n",
    )
    with pytest.raises(BadInputError) as err:
        import_csv(store, "ds", path)
    message = str(err.value)
    assert "'rows_created'" in message and "'2024-01-02T06:00:00'" in message and "'abc'" in message
    assert not store.exists("ds")


def test_a_bad_value_in_an_existing_archive_changes_nothing(store, fixtures_dir, tmp_path):
    import_csv(store, "filings", fixtures_dir / "rows_update_summary.csv")
    before = history(store, "filings")
    path = write(
        tmp_path,
        "timestamp,rows_deleted,rows_updated,rows_created,error_count\n"
        "2022-12-31 09:00:00,0,10,20,0\n"
        "2022-12-30 09:00:54,0,9122,-5,0\n",
    )
    with pytest.raises(BadInputError, match=r"'2022-12-30T09:00:54'.*'rows_created'.*negative"):
        import_csv(store, "filings", path)
    pd.testing.assert_frame_equal(history(store, "filings"), before)


def test_a_word_in_an_archived_numeric_column_is_a_bad_value(store, tmp_path):
    # 'value' is not a known metric: in a new file a word would make it text,
    # but once archived as numbers, a word in it is a bad value.
    import_csv(store, "gauge", write(tmp_path, "timestamp,value\n2024-01-01,1.5\n2024-01-02,2.5\n", "a.csv"))
    before = history(store, "gauge")
    later = write(tmp_path, "timestamp,value\n2024-01-03,abc\n2024-01-04,2.5\n", "b.csv")
    with pytest.raises(BadInputError) as err:
        import_csv(store, "gauge", later)
    assert "'value'" in str(err.value) and "'2024-01-03T00:00:00'" in str(err.value)
    pd.testing.assert_frame_equal(history(store, "gauge"), before)
    assert store.column_kinds("gauge") == {"value": "number"}


def test_an_archived_text_column_stays_text(store, tmp_path):
    import_csv(store, "ds", write(tmp_path, "timestamp,build\n2024-01-01,v1.2.3\n", "a.csv"))
    import_csv(store, "ds", write(tmp_path, "timestamp,build\n2024-01-02,12\n", "b.csv"))
    assert history(store, "ds")["build"].tolist() == ["v1.2.3", "12"]


def test_a_bad_timestamp_names_its_line(store, tmp_path):
    path = write(tmp_path, "timestamp,rows_created\n2024-01-01,1\nnot-a-time,2\n")
    with pytest.raises(BadInputError, match=r"line 3: field 'timestamp'.*not-a-time"):
        import_csv(store, "ds", path)
    assert not store.exists("ds")


def test_a_captured_at_column_is_ignored(store, tmp_path):
    path = write(tmp_path, "timestamp,captured_at,rows_created\n2024-01-01,1999-01-01,5\n")
    import_csv(store, "ds", path)
    frame = store.history("ds")
    assert frame["captured_at"].iloc[0] > pd.Timestamp("2020-01-01")
    assert frame["rows_created"].tolist() == [5.0]


# ------------------------------------------------- ambiguous or reserved input
@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        ("update_id,published,timestamp,rows_created\nu1,2024-01-01T00:00,2099-01-01T00:00,5\n",
         {"timestamp_column": "published"},
         "--timestamp-column 'published': the file also has a column 'timestamp'; rename or drop one"),
        ("id,update_id,timestamp,rows_created\nA,B,2024-01-01T00:00,5\n",
         {"update_id_column": "id"},
         "--update-id-column 'id': the file also has a column 'update_id'; rename or drop one"),
        ("timestamp,rows_created\n2024-01-01T00:00,5\n",
         {"update_id_column": "revision"},
         "has no update id column 'revision'"),
    ],
)
def test_a_renamed_column_never_silently_reads_another(store, tmp_path, text, options, message):
    path = write(tmp_path, text)
    with pytest.raises(SchemaError) as err:
        import_csv(store, "ds", path, **options)
    assert message in str(err.value) and "dataset 'ds'" in str(err.value) and str(path) in str(err.value)
    assert not store.exists("ds")


def test_renames_that_swap_names_are_unambiguous(store, tmp_path):
    # 'timestamp' holds the ids and 'published' the times: each goes where it is told.
    path = write(tmp_path, "published,timestamp,rows_created\n2024-01-02T06:00,rev-7,5\n")
    import_csv(store, "ds", path, timestamp_column="published", update_id_column="timestamp")
    frame = history(store, "ds")
    assert frame[["update_id", "timestamp", "rows_created"]].values.tolist() == [
        ["rev-7", pd.Timestamp("2024-01-02 06:00"), 5.0]
    ]


@pytest.mark.parametrize("column", ["label", "label_note", "health_status", "health_failed", "health_checked_at"])
def test_columns_dataset_health_writes_cannot_be_imported(store, tmp_path, column):
    from dataset_health.archive.verdicts import set_label

    import_csv(store, "ds", write(tmp_path, "timestamp,rows_created\n2024-01-01,5\n", "a.csv"))
    before = history(store, "ds")
    path = write(tmp_path, f"timestamp,rows_created,{column}\n2024-01-01,5,0\n2024-01-02,6,1\n", "b.csv")
    with pytest.raises(SchemaError) as err:
        import_csv(store, "ds", path)
    message = str(err.value)
    assert f"column {column!r} is written by dataset-health" in message and "dataset 'ds'" in message
    pd.testing.assert_frame_equal(history(store, "ds"), before)
    # the column is still free for dataset-health to write
    set_label(store, "ds", "2024-01-01T00:00:00", "incident", "outage")
    assert history(store, "ds")["label"].tolist() == ["incident"]


def test_a_zone_name_or_a_guessable_date_is_not_a_timestamp(store, tmp_path):
    import_csv(store, "ds", write(tmp_path, "timestamp,rows_created\n2024-01-04T06:00-05:00,5\n", "a.csv"))
    before = history(store, "ds")
    for n, stamp in enumerate(["2024-01-05 06:00 EST", "now", "1/2/3"]):
        path = write(tmp_path, f"timestamp,rows_created\n2024-01-05T06:00,1\n{stamp},2\n", f"b{n}.csv")
        with pytest.raises(BadInputError) as err:
            import_csv(store, "ds", path)
        message = str(err.value)
        assert f"line 3: field 'timestamp': {stamp!r}" in message and "dataset 'ds'" in message
        assert "ISO 8601" in message or "offset from UTC" in message
        pd.testing.assert_frame_equal(history(store, "ds"), before)
    assert before["timestamp"].tolist() == [pd.Timestamp("2024-01-04 11:00")]  # an offset is kept


def test_one_junk_cell_does_not_make_a_metric_text(store, tmp_path):
    import_csv(store, "ds", write(tmp_path, "timestamp,rows_created\n2023-12-31,5\n", "a.csv"))
    before = history(store, "ds")
    path = write(
        tmp_path,
        "timestamp,rows_created,queue_depth\n"
        "2024-01-01,1,10\n2024-01-02,2,#REF!\n2024-01-03,3,12\n2024-01-04,4,\n2024-01-05,5,14\n",
        "b.csv",
    )
    with pytest.raises(BadInputError) as err:
        import_csv(store, "ds", path)
    message = str(err.value)
    assert "field 'queue_depth'" in message and "dataset 'ds'" in message
    assert "line 3 (update '2024-01-02T00:00:00'): '#REF!'" in message and "Empty that cell" in message
    pd.testing.assert_frame_equal(history(store, "ds"), before)
    assert store.column_kinds("ds") == {"rows_created": "number"}

    # emptied, the column is archived as the metric it is
    import_csv(store, "ds", write(tmp_path, path.read_text().replace("#REF!", ""), "c.csv"))
    assert store.column_kinds("ds")["queue_depth"] == "number"
    depth = history(store, "ds")["queue_depth"].astype(float)
    pd.testing.assert_series_equal(
        depth, pd.Series([None, 10.0, None, 12.0, None, 14.0], dtype=float), check_names=False
    )


def test_a_column_of_mostly_words_is_still_text(store, tmp_path):
    path = write(tmp_path, "timestamp,release\n2024-01-01,v1.2\n2024-01-02,v1.3\n2024-01-03,14\n")
    import_csv(store, "ds", path)
    assert store.column_kinds("ds") == {"release": "text"}
    assert history(store, "ds")["release"].tolist() == ["v1.2", "v1.3", "14"]


def test_an_empty_header_name_is_named_by_its_position(store, tmp_path):
    path = write(tmp_path, "timestamp,rows_created,\n2024-01-01,1,\n")
    with pytest.raises(SchemaError) as err:
        import_csv(store, "ds", path)
    message = str(err.value)
    assert "the header has an empty column name at position 3 (a trailing comma?)" in message
    assert "unnamed" not in message.lower()
    assert not store.exists("ds")


def test_a_trailing_comma_on_the_rows_only_never_shifts_columns(store, tmp_path):
    # pandas would take the first column as an index and shift every value left.
    path = write(tmp_path, "timestamp,rows_created,rows_deleted\n2024-01-01,1,2,\n2024-01-02,3,4,\n")
    with pytest.raises(BadInputError, match=r"more fields than the header.*trailing comma"):
        import_csv(store, "ds", path)
    assert not store.exists("ds")


def test_infer_text_fields_keeps_a_mostly_numeric_column_numeric(tmp_path):
    from dataset_health.archive.schema import infer_text_fields, stray_values

    path = write(tmp_path, "timestamp,depth,note,empty\n2024-01-01,1,ok,\n2024-01-02,#REF!,7,\n2024-01-03,3,fine,\n")
    frame = read_archive_csv(path)
    assert infer_text_fields(frame) == {"note"}
    assert stray_values(frame) == {"depth": [(1, "#REF!")]}
