"""Cadence and schema expectations, on pandas and SQL archives."""

from __future__ import annotations

import json
import great_expectations as gx
import pandas as pd
import pytest

import dataset_health  # noqa: F401
from dataset_health.archive import ArchiveStore
from dataset_health.expectations import ExpectTableSchemaToMatchPreviousUpdate, ExpectTableToBeUpdatedOnSchedule

SCHEMA = [["case_id", "int64"], ["judge", "object"], ["filed_at", "datetime64[ns]"]]


def daily_archive(days: int = 40, *, skip_last_run: bool = False, last_schema=None) -> pd.DataFrame:
    stamps = list(pd.date_range("2024-03-01 06:00", periods=days, freq="D") + pd.to_timedelta(
        [(i * 7) % 11 for i in range(days)], unit="min"))
    if skip_last_run:
        stamps[-1] = stamps[-1] + pd.Timedelta(days=1)
    schemas = [json.dumps(SCHEMA)] * days
    if last_schema is not None:
        schemas[-1] = json.dumps(last_schema)
    return pd.DataFrame({"update_id": [f"r{i:03d}" for i in range(days)], "timestamp": stamps, "schema": schemas})


def validate(engine: str, frame: pd.DataFrame, expectation, url: str | None = None):
    context = gx.get_context(mode="ephemeral")
    if engine == "pandas":
        asset = context.data_sources.add_pandas("a").add_dataframe_asset("t")
        batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame})
    else:
        store = ArchiveStore(url)
        store.append("feed", frame, text_fields=["schema", "label"])
        source = context.data_sources.add_sql("a", connection_string=url)  # generic on purpose: any dialect
        asset = source.add_table_asset(name="t", table_name=store.table_name("feed"))
        batch = asset.add_batch_definition_whole_table("all").get_batch()
    return batch.validate(expectation)


@pytest.fixture(params=["pandas", "sql"])
def run(request, archive_url):
    return lambda frame, expectation: validate(request.param, frame, expectation, archive_url)


def test_on_time_update_passes_and_a_missed_run_fails(run) -> None:
    on_time = run(daily_archive(), ExpectTableToBeUpdatedOnSchedule())
    assert on_time.success is True
    missed = run(daily_archive(skip_last_run=True), ExpectTableToBeUpdatedOnSchedule())
    assert missed.success is False
    reason = missed.result["details"]["reason"]
    assert reason.startswith("update r039 came 48.") and "usually 23.9 h" in reason


def test_a_few_hours_late_is_not_a_missed_run() -> None:
    frame = daily_archive()
    frame.loc[frame.index[-1], "timestamp"] += pd.Timedelta(hours=4)
    assert validate("pandas", frame, ExpectTableToBeUpdatedOnSchedule()).success is True


def test_check_now_fails_when_no_update_came_at_all() -> None:
    rows = [{"update_id": r.update_id, "timestamp": r.timestamp.isoformat()} for r in daily_archive().itertuples()]
    expectation = ExpectTableToBeUpdatedOnSchedule(check_now=True)
    newest = pd.Timestamp(rows[-1]["timestamp"])
    ok, _ = expectation.judge_times(rows, now=(newest + pd.Timedelta(hours=20)).to_pydatetime())
    assert ok is True
    late, details = expectation.judge_times(rows, now=(newest + pd.Timedelta(days=3)).to_pydatetime())
    assert late is False and details["reason"].startswith("no update for 72.0 h since update r039")


def test_captures_in_the_same_instant_give_a_reason_not_a_crash() -> None:
    # Many processes capturing at once: half the gaps are 0 and the detector's verdict has no band.
    stamps = list(pd.date_range("2024-01-01", periods=11, freq="3600ms")) + [pd.Timestamp("2024-01-01 00:00:36")] * 10
    rows = [{"update_id": f"u{i}", "timestamp": t.isoformat()} for i, t in enumerate(stamps)]
    ok, details = ExpectTableToBeUpdatedOnSchedule().judge_times(rows)
    assert ok is True and details["reason"].startswith("update u20 came 0.0 h after the previous one; ")


def test_schedule_with_one_update_is_insufficient_history() -> None:
    result = validate("pandas", daily_archive(days=1), ExpectTableToBeUpdatedOnSchedule())
    assert result.success is True and result.result["details"]["status"] == "insufficient_history"


@pytest.mark.parametrize(
    ("last_schema", "allow", "success", "says"),
    [
        (SCHEMA, "none", True, "has the schema of update r038"),
        (SCHEMA[:2], "none", False, "removed filed_at"),
        ([*SCHEMA, ["court", "object"]], "none", False, "added court"),
        ([*SCHEMA, ["court", "object"]], "additions", True, "added court"),
        ([["case_id", "object"], *SCHEMA[1:]], "additions", False, "retyped case_id (int64 -> object)"),
    ],
)
def test_schema_changes_are_named(run, last_schema, allow: str, success: bool, says: str) -> None:
    result = run(daily_archive(last_schema=last_schema), ExpectTableSchemaToMatchPreviousUpdate(allow=allow))
    assert result.success is success
    assert says in result.result["details"]["reason"]


def test_the_update_after_a_labelled_incident_is_compared_with_the_last_good_one(run) -> None:
    frame = daily_archive()
    frame["label"] = None
    frame.loc[38, ["schema", "label"]] = [json.dumps(SCHEMA[:2]), "incident"]  # a load that lost filed_at
    result = run(frame, ExpectTableSchemaToMatchPreviousUpdate())
    assert result.success is True, result.result["details"]["reason"]
    assert "update r039 has the schema of update r037" in result.result["details"]["reason"]
    # Unlabelled, the repair is itself a change.
    frame["label"] = None
    assert run(frame, ExpectTableSchemaToMatchPreviousUpdate()).success is False


def test_a_suite_saved_before_labels_were_read_reads_them() -> None:
    assert ExpectTableSchemaToMatchPreviousUpdate(columns=["schema"]).columns == ("schema", "label")


def test_archive_without_schema_column_is_insufficient_history() -> None:
    frame = daily_archive().drop(columns=["schema"])
    result = validate("pandas", frame, ExpectTableSchemaToMatchPreviousUpdate())
    assert result.success is True and result.result["details"]["status"] == "insufficient_history"


def test_every_parameter_is_serialised() -> None:
    for expectation in (ExpectTableToBeUpdatedOnSchedule(), ExpectTableSchemaToMatchPreviousUpdate()):
        assert set(expectation.success_keys) <= set(expectation.configuration.kwargs)
