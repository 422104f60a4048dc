"""The watcher: archive an update once it has finished, then check it; the loop; the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from dataset_health.archive import ArchiveStore
from dataset_health.cli import main
from dataset_health.errors import SourceError
from dataset_health.project import Project
from dataset_health.watch import PollResult, SocrataWatcher, watch

from . import payloads as p
from .fake_socrata import FakeSocrata, paged

META = f"/api/views/metadata/v1/{p.FOURFOUR}"
REVISIONS = f"/api/publishing/v1/revision/{p.FOURFOUR}"


@dataclass
class Verdict:
    success: bool = True


class Dataset:
    """The fake server's state of one dataset, changed between polls."""

    def __init__(self, fake: FakeSocrata, revisions: int) -> None:
        self.updated_at = p.stamp(revisions - 1, 2)  # stamped as the last revision finished
        self.revisions = [p.revision(seq) for seq in range(revisions)]
        fake.handle(META, lambda seen: p.metadata(self.updated_at))
        fake.handle(REVISIONS, lambda seen: paged(self.revisions)(seen))
        fake.route(f"/api/views/{p.FOURFOUR}.json", p.view())
        fake.route(f"/resource/{p.FOURFOUR}.json", [{"count": "1000"}])


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(root=tmp_path, archive_url_template=f"sqlite:///{tmp_path / 'archive.db'}")


def test_watcher_archives_finished_updates_and_checks_each_once(fake: FakeSocrata, client, project: Project) -> None:
    state = Dataset(fake, revisions=5)
    checks: list[str] = []
    watcher = SocrataWatcher(project, "filings", client, p.FOURFOUR,
                             check=lambda proj, dataset: checks.append(dataset) or Verdict())
    store = ArchiveStore(project.archive_url)

    first = watcher.poll()
    assert first.archived == [f"rev-{seq}" for seq in range(5)] and checks == ["filings"]
    newest = store.history("filings", last=1).iloc[0]
    assert (newest["update_id"], newest["row_count"], newest["column_count"]) == ("rev-4", 1000, 4)
    assert newest["rows_created"] == p.expected_counts(4)[0]

    listed = len(fake.requests(REVISIONS))
    assert watcher.poll().note.startswith("no new update since 2022-01-05 06:02:00")
    assert len(fake.requests(REVISIONS)) == listed  # one metadata request, nothing else
    assert checks == ["filings"]

    state.updated_at = p.stamp(5, 1)
    state.revisions.append(p.revision(5, status="in_progress"))
    running = watcher.poll()
    assert (running.archived, running.note) == ([], "an update is still running; waiting for it to finish")
    assert checks == ["filings"]

    state.revisions[5] = p.revision(5)
    finished = watcher.poll()
    assert finished.archived == ["rev-5"] and checks == ["filings"] * 2
    assert store.history("filings", last=1).iloc[0]["row_count"] == 1000

    state.updated_at = p.stamp(9)  # the data changed, and no revision says why
    snapshot = watcher.poll()
    assert snapshot.archived == ["data-2022-01-10T06:00:00"] and checks == ["filings"] * 3
    row = store.history("filings", last=1).iloc[0]
    assert (row["source"], row["row_count"]) == ("socrata_metadata", 1000)
    assert watcher.poll().archived == []
    store.engine.dispose()


def test_first_poll_of_an_up_to_date_archive_archives_nothing(fake: FakeSocrata, client, project: Project) -> None:
    Dataset(fake, revisions=3)
    checks = []
    SocrataWatcher(project, "filings", client, p.FOURFOUR, check=lambda *a: checks.append(a)).poll()
    fresh = SocrataWatcher(project, "filings", client, p.FOURFOUR, check=lambda *a: checks.append(a))
    result = fresh.poll()
    assert (result.archived, result.note, len(checks)) == ([], "no new update", 1)


class ScriptedWatcher:
    def __init__(self, *outcomes) -> None:
        self.outcomes = list(outcomes)

    def poll(self) -> PollResult:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def test_watch_loop_survives_a_failed_poll_and_sleeps_between_polls() -> None:
    errors, polls, sleeps = [], [], []
    watcher = ScriptedWatcher(PollResult(note="a"), SourceError("down"), PollResult(note="c"))
    last = watch(watcher, interval=7, on_poll=polls.append, on_error=errors.append, sleep=sleeps.append, max_polls=3)
    assert [r.note for r in polls] == ["a", "c"] and last.note == "c"
    assert [str(e) for e in errors] == ["down"] and sleeps == [7, 7]


def test_watch_once_raises_so_cron_sees_the_failure() -> None:
    with pytest.raises(SourceError):
        watch(ScriptedWatcher(SourceError("down")), once=True, on_error=lambda exc: None)


def test_cli_watch_once_archives_and_runs_the_real_health_check(fake: FakeSocrata, tmp_path: Path) -> None:
    Dataset(fake, revisions=30)
    project_dir = tmp_path / "project"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(project_dir)]).exit_code == 0
    result = runner.invoke(main, ["--project", str(project_dir), "watch", "filings", "--domain", fake.url,
                                  "--fourfour", p.FOURFOUR, "--once"])
    assert result.exit_code in (0, 1), result.output
    assert "filings: archived rev-0, rev-1," in result.output
    assert "filings, update rev-29:" in result.output
    again = runner.invoke(main, ["--project", str(project_dir), "watch", "filings", "--domain", fake.url,
                                 "--fourfour", p.FOURFOUR, "--once"])
    assert again.exit_code == 0 and again.output.rstrip().endswith("filings: no new update")
