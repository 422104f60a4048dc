"""Concurrency: many `capture` and `check` processes on one archive at once.

Promises proved here:

- every update captured is archived exactly once, and each keyed capture
  diffs against the snapshot committed just before it (the snapshots form
  one chain);
- no lock error (or any error) reaches the user;
- every check judges one update with all of its expectations, and that
  update has its verdicts in ``dh_verdicts`` and its ``health_status``;
- checks of one project take turns on the GX files (a check waits for the
  project lock) and appends of new updates wait for a running check.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from dataset_health.archive.store import ArchiveStore
from dataset_health.archive.verdicts import HEALTH_STATUS, read_verdicts
from dataset_health.capture import capture_update, dataframe_batch
from dataset_health.capture.diff import row_hashes
from dataset_health.gx_files import project_lock
from dataset_health.health_check import run_health_check

from .conftest import DATASET, KEY, cli_command, cli_env, fork_call, keyed_frame, make_project, wait_child

CAPTURES = 5
CHECKS = 3
SEED_SIZE = 1000
# Distinct sizes whose pairwise differences are distinct too, so that the
# (created, deleted) counts of a capture name the snapshot it diffed against.
SIZES = [SEED_SIZE + 2 ** (k + 3) for k in range(CAPTURES)]


@pytest.mark.slow
def test_eight_processes_capture_and_check_one_archive(tmp_path: Path, archive_url: str) -> None:
    project = make_project(tmp_path / "project", archive_url)
    store = ArchiveStore(project.archive_url)
    seed = keyed_frame(SEED_SIZE)
    capture_update(store, DATASET, dataframe_batch(seed, dataset=DATASET), update_id="seed",
                   timestamp="2024-01-31 06:00", key_column=KEY)
    files = []
    for k, size in enumerate(SIZES):
        files.append(tmp_path / f"data{k}.csv")
        keyed_frame(size).to_csv(files[-1], index=False)

    commands = [
        # Stamped now, as a scheduled capture is: one dated before an update that
        # won the race would be refused as backdated.
        cli_command(project, "capture", DATASET, "--file", str(files[k]), "--update-id", f"c{k}")
        for k in range(CAPTURES)
    ] + [cli_command(project, "check", DATASET) for _ in range(CHECKS)]
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
                 for c in commands]
    outputs = [p.communicate(timeout=600) for p in processes]

    for command, process, (out, err) in zip(commands, processes, outputs):
        is_check = "check" in command
        assert process.returncode in ((0, 1) if is_check else (0,)), f"{command[-3:]}: {out}\n{err}"
        for stream in (out, err):  # (a library warning on stderr is no failure of ours)
            assert not re.search(r"lock|Traceback|error", stream, re.IGNORECASE), f"{command[-3:]}: {stream}"

    # Every update exactly once (update_id is the key, so present == once).
    history = store.history(DATASET)
    assert history["update_id"].is_unique
    assert {f"c{k}" for k in range(CAPTURES)} | {"seed"} <= set(history["update_id"])
    assert len(history) == 30 + 1 + CAPTURES

    # The snapshots form one chain: each capture diffed against a distinct predecessor.
    previous_of = {}
    for k, size in enumerate(SIZES):
        row = history.set_index("update_id").loc[f"c{k}"]
        created, deleted = int(row["rows_created"]), int(row["rows_deleted"])
        assert created == 0 or deleted == 0
        before = size - created + deleted
        assert before in [SEED_SIZE, *SIZES], (k, created, deleted)
        previous_of[f"c{k}"] = before
    # Injective, starting at the seed: one chain seed -> ... -> last (a race makes two share one).
    assert len(set(previous_of.values())) == CAPTURES and SEED_SIZE in previous_of.values(), previous_of
    [last] = [size for size in SIZES if size not in previous_of.values()]
    assert store.snapshot(DATASET) == row_hashes(keyed_frame(last), KEY, dataset=DATASET)

    # Every check judged one update, with every expectation, and stored it all.
    verdicts = read_verdicts(store, DATASET)
    statuses = history.set_index("update_id")[HEALTH_STATUS]
    for out in [o for c, (o, _) in zip(commands, outputs) if "check" in c]:
        judged = re.search(r"update (\S+): (UN)?HEALTHY", out).group(1)
        printed = len(re.findall(r"^  (ok  |FAIL|n/a |ERR )", out, re.MULTILINE))
        assert printed > 0
        rows = verdicts[verdicts["update_id"] == judged]
        assert len(rows) == printed, f"check of {judged}: {len(rows)} verdicts stored, {printed} printed"
        assert statuses[judged] in ("healthy", "unhealthy")
    store.engine.dispose()


def test_checks_of_one_project_take_turns_on_gx_files(tmp_path: Path, sqlite_url: str) -> None:
    """A check waits while another holds the project's GX lock (fails without the lock)."""
    project = make_project(tmp_path / "project", sqlite_url, key_column=None)
    assert wait_child(fork_call(lambda: run_health_check(project, DATASET))) == 0  # create the GX objects
    # Every check stores a validation result: a new file under the project's GX directory.
    results = project.gx_dir / "uncommitted" / "validations"

    def stored() -> set[Path]:
        return {path for path in results.rglob("*.json")}

    before = stored()
    assert len(before) == 1
    started = tmp_path / "started"

    def second_check() -> None:
        started.touch()
        run_health_check(project, DATASET)

    with project_lock(project.gx_dir):
        child = fork_call(second_check)
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(3.0)  # without the lock, a warm check stores its result well within this
        assert stored() == before, "a check wrote GX files while another held the lock"
        assert _alive(child), "the waiting check gave up instead of waiting"
    assert wait_child(child) == 0
    (new,) = stored() - before
    json.loads(new.read_text())


def test_new_updates_wait_for_a_running_check(tmp_path: Path, archive_url: str) -> None:
    """While a check holds the archive, a capture waits; annotations do not."""
    project = make_project(tmp_path / "project", archive_url, key_column=None)
    store = ArchiveStore(project.archive_url)
    with store.holding_updates(DATASET):
        child = fork_call(lambda: ArchiveStore(project.archive_url).append(
            DATASET, [{"update_id": "late", "timestamp": "2024-03-01", "rows_created": 5}]))
        time.sleep(2.0)
        assert _alive(child), "the append did not wait for the running check"
        assert "late" not in set(store.history(DATASET)["update_id"])
        # A verdict write of the running check itself goes through.
        store.set_values(DATASET, "h000", {"label": "expected"})
    assert wait_child(child) == 0
    assert "late" in set(store.history(DATASET)["update_id"])
    store.engine.dispose()


def _alive(pid: int) -> bool:
    done, _ = os.waitpid(pid, os.WNOHANG)
    return done == 0
