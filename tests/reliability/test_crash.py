"""Crash safety: captures and checks killed with SIGKILL at random moments.

After every kill the archive must be readable and consistent: each update
fully recorded or absent, the stored snapshot that of the newest keyed
capture, verdicts and health_status together or not at all, every GX file
whole. Then the next capture and check must simply work.

Children are forked from the test process (GX already imported), so each
one starts in milliseconds and the random delay lands inside the work.
The parent keeps no SQLite connection open across a fork.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from dataset_health.archive.store import ArchiveStore
from dataset_health.archive.verdicts import HEALTH_STATUS, read_verdicts
from dataset_health.capture.diff import row_hashes
from dataset_health.cli import main
from dataset_health.gx_files import project_lock
from dataset_health.project import Project

from .conftest import DATASET, KEY, fork_call, keyed_frame, make_project, wait_child

KILLS = 10  # per database: 20 in all, half of them captures, half checks
PROFILED = ("row_count", "column_count", "schema_fingerprint", "null_fraction__value", "distinct_count__value",
            "min__value", "max__value", "mean__value", "duplicate_key_count")


def _cli(project: Project, *args: str) -> None:
    main(["--project", str(project.root), *args], standalone_mode=False)


def _size(i: int) -> int:
    return 1000 + 37 * i


def _capture(project: Project, files: dict[str, Path], update_id: str, i: int) -> None:
    _cli(project, "capture", DATASET, "--file", str(files[update_id]), "--update-id", update_id,
         "--timestamp", f"2024-02-01 06:00:{i:02d}")


def _check(project: Project) -> None:
    try:
        _cli(project, "check", DATASET)
    except SystemExit as exc:  # exit 1 = unhealthy: a finished check
        if exc.code not in (0, 1):
            raise


def _timed(function: Any) -> float:
    start = time.monotonic()
    assert wait_child(fork_call(function)) == 0
    return time.monotonic() - start


@pytest.mark.slow
def test_sigkilled_captures_and_checks_leave_a_consistent_archive(tmp_path: Path, archive_url: str) -> None:
    project = make_project(tmp_path / "project", archive_url)
    files: dict[str, Path] = {}
    for i in range(-1, KILLS + 1):
        update_id = f"k{i}" if i >= 0 else "seed"
        files[update_id] = tmp_path / f"{update_id}.csv"
        keyed_frame(_size(i)).to_csv(files[update_id], index=False)

    # Warm up in children too (the parent must not hold SQLite connections across forks),
    # and learn how long each kind of work takes, to aim the kills inside it.
    capture_s = _timed(lambda: _capture(project, files, "seed", 0))
    check_s = _timed(lambda: _check(project))
    expected_verdicts = len(read_verdicts(_store := ArchiveStore(project.archive_url), DATASET))
    _store.engine.dispose()
    assert expected_verdicts > 5

    rng = random.Random(20240201)
    attempted: list[str] = []
    for i in range(KILLS):
        if i % 2 == 0:
            update_id = f"k{i}"
            attempted.append(update_id)
            child = fork_call(lambda: _capture(project, files, update_id, i + 1))
            delay = rng.uniform(0.0, capture_s * 1.2)
        else:
            child = fork_call(lambda: _check(project))
            delay = rng.uniform(0.0, check_s * 1.2)
        time.sleep(delay)
        os.kill(child, signal.SIGKILL)
        wait_child(child)
        _assert_consistent(project, files, ["seed", *attempted], expected_verdicts)

    # The next run recovers without any manual step.
    attempted.append(f"k{KILLS}")
    assert wait_child(fork_call(lambda: _capture(project, files, f"k{KILLS}", KILLS + 1))) == 0
    assert wait_child(fork_call(lambda: _check(project))) == 0
    _assert_consistent(project, files, ["seed", *attempted], expected_verdicts)
    store = ArchiveStore(project.archive_url)
    try:
        newest = store.history(DATASET, last=1).iloc[0]
        assert newest["update_id"] == f"k{KILLS}" and newest[HEALTH_STATUS] in ("healthy", "unhealthy")
    finally:
        store.engine.dispose()


def _assert_consistent(project: Project, files: dict[str, Path], attempted: list[str], verdict_count: int) -> None:
    store = ArchiveStore(project.archive_url)
    try:
        if store.dialect == "sqlite":
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        history = store.history(DATASET).set_index("update_id")
        assert history.index.is_unique
        present = [u for u in attempted if u in history.index]
        assert present and present[0] == "seed"
        for update_id in present:  # fully recorded: every profiled field is there
            row = history.loc[update_id]
            missing = [f for f in PROFILED if row[f] is None or row[f] != row[f]]
            assert not missing, f"update {update_id} lacks {missing}"
            assert row["row_count"] == len(keyed_frame_of(files, update_id))
        # The snapshot is that of the newest capture that committed (they ran one at a time).
        assert store.snapshot(DATASET) == row_hashes(keyed_frame_of(files, present[-1]), KEY, dataset=DATASET)
        # Verdicts and the summary on the archive row: both or neither, and complete.
        verdicts = read_verdicts(store, DATASET)
        judged = verdicts.groupby("update_id").size().to_dict()
        summarised = set(history.index[history[HEALTH_STATUS].notna()]) if HEALTH_STATUS in history else set()
        assert set(judged) == summarised, (judged, summarised)
        assert all(count == verdict_count for count in judged.values()), judged
    finally:
        store.engine.dispose()
    _assert_gx_files_whole(project)


def keyed_frame_of(files: dict[str, Path], update_id: str):
    import pandas as pd

    return pd.read_csv(files[update_id])


def _assert_gx_files_whole(project: Project) -> None:
    with project_lock(project.gx_dir):  # no writer now: every file must parse
        yaml.safe_load((project.gx_dir / "great_expectations.yml").read_text())
        for path in project.gx_dir.rglob("*.json"):
            json.loads(path.read_text())
        for path in project.gx_dir.rglob("*.html"):
            assert path.read_text().rstrip().endswith("</html>"), path


# ----------------------------------------------------- kills at the worst moment
def _die_in_write(fragment: str) -> None:
    """In this (child) process: SIGKILL self halfway through writing a file named like ``fragment``."""
    import builtins

    real_open = builtins.open

    class HalfWriter:
        def __init__(self, handle: Any) -> None:
            self._handle = handle

        def __enter__(self) -> "HalfWriter":
            return self

        def __exit__(self, *exc: Any) -> None:
            self._handle.close()

        def write(self, data: Any) -> int:
            self._handle.write(data[: len(data) // 2])
            self._handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)
            return 0  # never reached

        def __getattr__(self, name: str) -> Any:
            return getattr(self._handle, name)

    def dying_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        if "w" in mode and fragment in os.fspath(file):
            return HalfWriter(handle)
        return handle

    builtins.open = dying_open


VICTIMS = ("great_expectations.yml", "checkpoints", "expectations", "validations")


def test_a_check_killed_mid_write_leaves_gx_files_whole(tmp_path: Path, sqlite_url: str) -> None:
    """Fails without atomic GX writes: each kill would leave half a file behind."""
    project = make_project(tmp_path / "project", sqlite_url, key_column=None)
    assert wait_child(fork_call(lambda: _check(project))) == 0
    for victim in VICTIMS:  # the project file, the checkpoint, the suite, a validation result

        def killed_check() -> None:
            _die_in_write(victim)
            _check(project)

        _make_gx_objects_stale(project)
        assert wait_child(fork_call(killed_check)) == -signal.SIGKILL, victim
        _assert_gx_files_whole(project)
    assert wait_child(fork_call(lambda: _check(project))) == 0


def _make_gx_objects_stale(project: Project) -> None:
    """Edit the asset and the checkpoint so the next check must rewrite the
    project file, the checkpoint and the suite (a check writes only what changed)."""
    project_file = project.gx_dir / "great_expectations.yml"
    project_file.write_text(project_file.read_text().replace(f"table_name: dh_archive__{DATASET}", "table_name: stale"))
    checkpoint_file = project.gx_dir / "checkpoints" / f"dataset_health__{DATASET}.json"
    checkpoint = json.loads(checkpoint_file.read_text())
    checkpoint["result_format"] = {"result_format": "BASIC"}
    checkpoint_file.write_text(json.dumps(checkpoint))


def test_a_check_killed_between_verdicts_and_summary_writes_neither(tmp_path: Path, archive_url: str) -> None:
    """Fails when verdict rows and the archive summary commit separately."""
    project = make_project(tmp_path / "project", archive_url, key_column=None)

    def killed_check() -> None:
        store_append = ArchiveStore.append

        def append(self: ArchiveStore, dataset: str, records: Any, **kwargs: Any) -> Any:
            if kwargs.get("annotation"):  # the summary, after the verdict rows
                os.kill(os.getpid(), signal.SIGKILL)
            return store_append(self, dataset, records, **kwargs)

        ArchiveStore.append = append
        _check(project)

    assert wait_child(fork_call(killed_check)) == -signal.SIGKILL
    store = ArchiveStore(project.archive_url)
    try:
        assert read_verdicts(store, DATASET).empty
        history = store.history(DATASET)
        assert HEALTH_STATUS not in history or history[HEALTH_STATUS].isna().all()
        with store.engine.connect() as conn:
            assert sa.inspect(conn).has_table(f"dh_archive__{DATASET}")
    finally:
        store.engine.dispose()
