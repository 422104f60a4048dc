"""Backfill from Socrata, logs and CSV: right rows, idempotent, resumable, nothing lost on failure."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dataset_health.archive import ArchiveStore
from dataset_health.backfill import BackfillSource, backfill, csv_source, log_source, open_source, socrata_source
from dataset_health.cli import main
from dataset_health.errors import ConfigError, SourceError
from dataset_health.project import Project

from . import payloads as p
from .fake_socrata import FakeSocrata, Reply, paged

REVISIONS = f"/api/publishing/v1/revision/{p.FOURFOUR}"
DS = "court filings"


def history_by_id(store: ArchiveStore, dataset: str = DS) -> dict[str, dict]:
    return {row["update_id"]: row for row in store.history(dataset).to_dict(orient="records")}


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def serve_revisions(fake: FakeSocrata, count: int = 250) -> None:
    revisions = [p.revision(seq) for seq in range(count)]
    # Realistic noise: one still running, one discarded, one without counts.
    revisions[10] = p.revision(10, status="in_progress")
    revisions[20] = p.revision(20, status=None)
    revisions[30] = p.revision(30, log=[{"stage": "finishing", "details": {}}])
    fake.handle(REVISIONS, paged(revisions))


# ----------------------------------------------------------------- socrata
def test_socrata_backfill_archives_every_finished_revision_once(fake: FakeSocrata, client, store: ArchiveStore) -> None:
    serve_revisions(fake)
    result = backfill(store, DS, socrata_source(client, p.FOURFOUR), chunk_size=64)
    assert len(result.added) == 248 and result.chunks == 4
    assert result.notes == ["skipped 1 revisions: not applied (open, discarded or metadata-only)",
                            "skipped 1 revisions: still running"]
    rows = history_by_id(store)
    assert len(rows) == 248 and "rev-10" not in rows and "rev-20" not in rows
    for seq in (0, 1, 99, 100, 249):
        row = rows[f"rev-{seq}"]
        assert (row["rows_created"], row["rows_updated"], row["rows_deleted"]) == p.expected_counts(seq)
        assert row["action_type"] == "update" and row["update_status"] == "successful"
    assert all(missing(rows["rev-30"][name]) for name in ("rows_created", "rows_updated", "rows_deleted"))

    again = backfill(store, DS, socrata_source(client, p.FOURFOUR), chunk_size=64)
    assert (again.added, again.already_archived) == ([], 248)
    assert len(store.history(DS)) == 248


def test_source_failure_before_the_first_chunk_leaves_the_archive_unchanged(fake, client, sqlite_store) -> None:
    sqlite_store.append(DS, [{"update_id": "older", "timestamp": "2021-01-01", "rows_created": 1}])
    before = sqlite_store.history(DS)
    items = [p.revision(seq) for seq in range(250)]
    fake.handle(REVISIONS, lambda seen: Reply(status=500) if seen.query["offset"] == "200" else paged(items)(seen))
    with pytest.raises(SourceError, match=r"offset 200\) failed: HTTP 500"):
        backfill(sqlite_store, DS, socrata_source(client, p.FOURFOUR), chunk_size=1000)
    pd.testing.assert_frame_equal(sqlite_store.history(DS), before)


def test_failure_mid_backfill_keeps_complete_chunks_and_a_rerun_resumes(fake, client, sqlite_store) -> None:
    items = [p.revision(seq) for seq in range(250)]
    broken = {"on": True}
    fake.handle(REVISIONS, lambda seen: Reply(status=503) if broken["on"] and seen.query["offset"] == "100"
                else paged(items)(seen))
    with pytest.raises(SourceError):
        backfill(sqlite_store, DS, socrata_source(client, p.FOURFOUR), chunk_size=30)
    kept = set(sqlite_store.history(DS)["update_id"])
    assert kept == {f"rev-{seq}" for seq in range(90)}  # three full chunks; the fourth was in flight

    broken["on"] = False
    result = backfill(sqlite_store, DS, socrata_source(client, p.FOURFOUR), chunk_size=30)
    assert (len(result.added), result.already_archived) == (160, 90)
    assert sorted(sqlite_store.history(DS)["update_id"]) == sorted(f"rev-{seq}" for seq in range(250))


def test_interrupted_backfill_resumes(sqlite_store) -> None:
    records = [{"update_id": f"u{i:03d}", "timestamp": f"2022-01-01T00:{i // 60:02d}:{i % 60:02d}", "rows_created": i}
               for i in range(130)]

    def interrupted():
        for i, record in enumerate(records):
            if i == 110:
                raise KeyboardInterrupt
            yield record

    with pytest.raises(KeyboardInterrupt):
        backfill(sqlite_store, DS, BackfillSource("test", interrupted()), chunk_size=50)
    assert len(sqlite_store.history(DS)) == 100
    result = backfill(sqlite_store, DS, BackfillSource("test", iter(records)), chunk_size=50)
    assert (len(result.added), result.already_archived) == (30, 100)
    assert sqlite_store.history(DS)["rows_created"].tolist() == list(range(130))


def test_bad_value_stops_at_its_chunk_and_names_it(sqlite_store) -> None:
    records = [{"update_id": f"u{i}", "timestamp": f"2022-01-{i + 1:02d}", "rows_created": "x" if i == 5 else i}
               for i in range(8)]
    with pytest.raises(Exception, match=r"update 'u5': field 'rows_created'"):
        backfill(sqlite_store, DS, BackfillSource("test", iter(records)), chunk_size=3)
    assert sorted(sqlite_store.history(DS)["update_id"]) == ["u0", "u1", "u2"]


# -------------------------------------------------------------------- logs
def test_log_backfill_matches_the_fixture_table(fixtures_dir: Path, store: ArchiveStore) -> None:
    result = backfill(store, DS, log_source(fixtures_dir / "rows_update_summary.log", dataset_id="rt4a-u7gh"))
    assert len(result.added) == 3
    archived = store.history(DS)
    table = pd.read_csv(fixtures_dir / "rows_update_summary.csv", parse_dates=["timestamp"])
    merged = table.merge(archived.assign(timestamp=archived["timestamp"].dt.floor("s")), on="timestamp",
                         suffixes=("_table", "_log"))
    assert len(merged) == 3  # the three days both fixtures hold
    for name in ("rows_created", "rows_updated", "rows_deleted"):
        assert (merged[f"{name}_table"] == merged[f"{name}_log"]).all(), name
    again = backfill(store, DS, log_source(fixtures_dir / "rows_update_summary.log"))
    assert (again.added, again.already_archived) == ([], 3)


def test_csv_backfill_then_log_backfill_share_one_archive(fixtures_dir: Path, sqlite_store) -> None:
    first = backfill(sqlite_store, DS, csv_source(fixtures_dir / "rows_update_summary.csv"))
    assert len(first.added) == 6
    assert len(backfill(sqlite_store, DS, csv_source(fixtures_dir / "rows_update_summary.csv")).added) == 0


def test_open_source_checks_its_options() -> None:
    with pytest.raises(ConfigError, match="--from socrata needs --domain and --fourfour"):
        open_source("socrata", domain="data.example.org")
    with pytest.raises(ConfigError, match="--from logs needs --log-file"):
        open_source("logs")
    with pytest.raises(ConfigError, match="--from csv needs --csv"):
        open_source("csv")
    with pytest.raises(ConfigError, match="not a Socrata dataset id"):
        open_source("logs", log_file="-", fourfour="RT4A")


# --------------------------------------------------------------------- CLI
@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "project"
    assert CliRunner().invoke(main, ["init", str(directory)]).exit_code == 0
    return directory


def invoke(project_dir: Path, *args: str, **kwargs):
    return CliRunner().invoke(main, ["--project", str(project_dir), *args], **kwargs)


def test_cli_backfill_from_socrata_is_idempotent(fake: FakeSocrata, project_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATASET_HEALTH_SOCRATA_APP_TOKEN", "cli-token")
    serve_revisions(fake, count=40)
    args = ("backfill", "filings", "--from", "socrata", "--domain", fake.url, "--fourfour", p.FOURFOUR, "--no-progress")
    result = invoke(project_dir, *args)
    assert result.exit_code == 0, result.output
    assert "filings: 38 updates added, 0 already archived" in result.output
    assert "skipped 1 revisions: still running" in result.output
    assert invoke(project_dir, *args).output.endswith("filings: 0 updates added, 38 already archived\n")
    assert {s.headers.get("x-app-token") for s in fake.requests()} == {"cli-token"}


def test_cli_backfill_error_is_one_line_and_exit_2(fake: FakeSocrata, project_dir: Path) -> None:
    fake.route(REVISIONS, Reply({"message": "denied"}, status=403))
    result = invoke(project_dir, "backfill", "filings", "--from", "socrata", "--domain", fake.url,
                    "--fourfour", p.FOURFOUR, "--no-progress")
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith(
        f"error: Socrata dataset '{p.FOURFOUR}' at {fake.url}: listing revisions (offset 0) failed: HTTP 403")


def test_cli_backfill_from_stdin_then_check_works(fixtures_dir: Path, project_dir: Path) -> None:
    log = (fixtures_dir / "rows_update_summary.log").read_text()
    result = invoke(project_dir, "backfill", "filings", "--from", "logs", "--log-file", "-", "--fourfour", "rt4a-u7gh",
                    input=log + "not a summary\n")
    assert result.exit_code == 0, result.output
    assert "read 4 log lines: 3 update summaries" in result.output
    assert "filings: 3 updates added" in result.output
    store = ArchiveStore(Project.load(project_dir).archive_url)
    assert store.history("filings")["rows_created"].tolist() == [21595, 24611, 24847]

    check = invoke(project_dir, "check", "filings")
    assert check.exit_code in (0, 1), check.output  # a verdict, not an error
    assert "filings, update mq2tl677un0aoa38ekg0tpaqh1hobapq" in check.output
