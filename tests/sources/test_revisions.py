"""Revisions to archive records: every log-stage variant, missing counts, skips."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from dataset_health.sources import log_counts, revision_record
from dataset_health.sources.revisions import SKIP_NO_TIME, SKIP_NOT_APPLIED, SKIP_RUNNING

from . import payloads as p

COUNTS = ("rows_created", "rows_updated", "rows_deleted", "error_count", "rows_processed")


def counts_of(record: dict) -> tuple:
    return tuple(record[name] for name in COUNTS)


def test_fixture_task_set_shape(fixtures_dir) -> None:
    """The shared fixture: stage upsert_task, 'Rows Created' keys, both Errors and error_count."""
    fixture = json.loads((fixtures_dir / "revision_upsert_log.json").read_text())
    outcome = revision_record({"revision_seq": 530, "action": {"type": "update"}, "task_set": fixture["task_set"],
                               "revision_updated_at": fixture["revision_updated_at"]})
    record = outcome.record
    assert record["update_id"] == "rev-530"
    # Errors (1) is the upsert's rejected rows: 644 + 918 + 1 = total_rows 1563.
    assert counts_of(record) == (918, 644, 0, 1, 1563)
    assert record["timestamp"] == datetime(2022, 12, 19, 6, 2, 13, 730281)
    assert (record["update_status"], record["action_type"], record["source"]) == ("successful", "update", "socrata_revision")


LOG_VARIANTS = {
    "upsert_task, Rows keys, ints": (
        [p.upsert_entry(918, 644, 0, 1)], (918, 644, 0, 1, 1563)),
    "upsert_complete, snake keys, strings with separators": (
        [{"stage": "upsert_complete", "details": {"rows_created": "1,204", "rows_updated": "10", "rows_deleted": "0",
                                                  "errors": "0", "total_rows": "1,214"}}],
        ("1,204", "10", "0", "0", "1,214")),
    "short keys": (
        [{"stage": "upsert_task", "details": {"created": 5, "updated": 6, "deleted": 7}}], (5, 6, 7, None, None)),
    "only some keys": (
        [{"stage": "upsert_task", "details": {"Rows Created": 5}}], (5, None, None, None, None)),
    "entries without details around the counts": (
        [{"stage": "started"}, {"stage": "upsert_task", "details": None}, "noise",
         {"stage": "upsert_task", "details": {"Rows Updated": 3}}], (None, 3, None, None, None)),
    "progress then final, oldest first": (
        [p.upsert_entry(100, 10, 0, stage="upsert_task", time="2022-01-02T06:00:00Z"),
         p.upsert_entry(500, 50, 5, stage="upsert_complete", time="2022-01-02T06:05:00Z")], (500, 50, 5, 0, 550)),
    "progress then final, newest first": (
        [p.upsert_entry(500, 50, 5, stage="upsert_complete", time="2022-01-02T06:05:00Z"),
         p.upsert_entry(100, 10, 0, stage="upsert_task", time="2022-01-02T06:00:00Z")], (500, 50, 5, 0, 550)),
    "progress entries only: latest time wins": (
        [p.upsert_entry(300, 0, 0, time="2022-01-02T06:03:00Z"), p.upsert_entry(100, 0, 0, time="2022-01-02T06:01:00Z")],
        (300, 0, 0, 0, 300)),
    "null values are missing, not zero": (
        [{"stage": "upsert_complete", "details": {"Rows Created": None, "Rows Updated": "null", "Rows Deleted": 2}}],
        (None, None, 2, None, None)),
}


@pytest.mark.parametrize("variant", LOG_VARIANTS, ids=list(LOG_VARIANTS))
def test_every_log_stage_variant(variant: str) -> None:
    log, expected = LOG_VARIANTS[variant]
    record = revision_record(p.revision(7, log=log, envelope=False)).record
    assert counts_of(record) == expected


@pytest.mark.parametrize("log", [[], [{"stage": "finishing", "details": {}}], None], ids=["empty", "no-counts", "no-log"])
def test_revision_without_counts_is_archived_with_counts_missing(log) -> None:
    revision = p.revision(8, log=[], envelope=False)
    if log is None:
        del revision["task_sets"][0]["log"]
    else:
        revision["task_sets"][0]["log"] = log
    record = revision_record(revision).record
    assert counts_of(record) == (None,) * 5
    assert record["update_id"] == "rev-8" and record["update_status"] == "successful"


@pytest.mark.parametrize("action", ["update", "replace", "delete"])
def test_action_type_is_kept(action: str) -> None:
    assert revision_record(p.revision(3, action=action)["resource"]).record["action_type"] == action


def test_failed_update_is_archived_with_its_status() -> None:
    revision = p.revision(4, status="failure", log=[p.upsert_entry(10, 0, 0, 990)], envelope=False)
    record = revision_record(revision).record
    assert (record["update_status"], record["rows_created"], record["error_count"]) == ("failure", 10, 990)


def test_last_finished_task_set_wins() -> None:
    revision = p.revision(5, envelope=False)
    retry = dict(revision["task_sets"][0], id=1, status="successful", finished_at=p.stamp(5, 30),
                 log=[p.upsert_entry(42, 0, 0)])
    failed = dict(revision["task_sets"][0], id=0, status="failure", finished_at=p.stamp(5, 1), log=[p.upsert_entry(1, 0, 0)])
    revision["task_sets"] = [retry, failed]
    record = revision_record(revision).record
    assert record["rows_created"] == 42 and record["timestamp"] == datetime(2022, 1, 6, 6, 30)


@pytest.mark.parametrize(
    ("revision", "reason"),
    [
        (p.revision(1, status=None, closed=False, envelope=False), SKIP_NOT_APPLIED),  # open
        (p.revision(1, status=None, envelope=False), SKIP_NOT_APPLIED),  # discarded / metadata only
        (p.revision(1, status="in_progress", envelope=False), SKIP_RUNNING),
        ({"revision_seq": 2, "task_sets": [{"status": "successful", "log": []}]}, SKIP_NO_TIME),
    ],
    ids=["open", "closed-without-task-set", "running", "no-time"],
)
def test_revisions_that_are_no_finished_update_are_skipped_with_a_reason(revision, reason) -> None:
    outcome = revision_record(revision)
    assert outcome.record is None and outcome.skipped == reason


def test_revision_without_sequence_uses_its_id() -> None:
    revision = p.revision(9, envelope=False)
    del revision["revision_seq"]
    assert revision_record(revision).record["update_id"] == "rev-id-90009"


def test_log_counts_ignores_junk() -> None:
    assert log_counts("not a list") == {}
    assert log_counts([None, 3, {"details": "x"}, {"details": {"unrelated": 1}}]) == {}
