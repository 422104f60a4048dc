"""The GX file context on disk, shared safely by processes.

A project's ``gx/`` directory is read and rewritten by every health check:
``great_expectations.yml`` (the archive datasource), the suite, validation
definition and checkpoint JSON (``add_or_update`` on each run), the
validation results and the Data Docs site. GX writes those files in place
(open with truncation, then write) and has no locking, so:

- two checks of one project at once read each other's half-written files
  (``InvalidDataContextConfigError``, a suite that is ``None``, a
  checkpoint "not fresh"), and the last writer silently wins;
- a check killed at the wrong moment leaves a truncated file that stops
  every later check until someone repairs it by hand.

Two mechanisms, each for one of those:

- :func:`project_lock`: one GX writer per project at a time (a file lock in
  ``gx/uncommitted``, released by the operating system if its holder dies);
- :func:`install_atomic_writes`: GX's file writes go to a temporary file in
  the same directory that replaces the target only once complete, so a
  reader or a crash sees the old file or the new one, never a part. The
  temporary files a killed writer leaves behind are swept under the lock.

Atomicity here is against killed processes; it does not fsync, so it does
not promise durability across a power cut (the filesystem's journal does
what it does).
"""

from __future__ import annotations

import builtins
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dataset_health.errors import DatasetHealthError

LOCK_FILE = "dataset_health.lock"
#: Checks of one project wait this long for each other before giving up.
LOCK_TIMEOUT_S = 900.0
_TEMP_PREFIX = ".dh-tmp-"
_TEMP_SUFFIX = ".partial"
#: A temporary file this old belongs to a writer that died, not to a live one.
_STALE_TEMP_S = 60.0
#: The GX modules whose ``open(..., "w")`` write project files.
_GX_WRITERS = (
    "great_expectations.data_context.store.tuple_store_backend",
    "great_expectations.data_context.store.inline_store_backend",
    "great_expectations.data_context.data_context.file_data_context",
    "great_expectations.data_context.data_context.serializable_data_context",
    "great_expectations.data_context.data_context.abstract_data_context",
)


_LOCKS: dict[tuple[int, str], Any] = {}
_LOCKS_GUARD = threading.Lock()


class ProjectLockTimeout(DatasetHealthError):
    """Another process held the project's GX lock for longer than the timeout."""


@contextmanager
def project_lock(gx_dir: str | Path, *, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the GX lock of the project whose GX directory is ``gx_dir``.

    Re-entrant within a thread. Raises :class:`ProjectLockTimeout` after
    ``timeout`` seconds of waiting.
    """
    from filelock import FileLock, Timeout

    gx_dir = Path(gx_dir).resolve()
    folder = gx_dir / "uncommitted"
    folder.mkdir(parents=True, exist_ok=True)
    path = str(folder / LOCK_FILE)
    # One FileLock per path and process: its hold count per thread makes it
    # re-entrant (two instances would deadlock on their own flock); a forked
    # child needs its own.
    with _LOCKS_GUARD:
        lock = _LOCKS.get((os.getpid(), path))
        if lock is None:
            lock = _LOCKS[(os.getpid(), path)] = FileLock(path)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise ProjectLockTimeout(
            f"another dataset-health process kept the GX project {str(gx_dir.parent)!r} busy for "
            f"{timeout:g} s (lock file {str(folder / LOCK_FILE)!r}); try again when it has finished"
        ) from None
    try:
        sweep_stale_temporaries(gx_dir)
        yield
    finally:
        lock.release()


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8) so that readers never see a part of it."""
    with _AtomicWriter(os.fspath(path), "w", encoding="utf-8") as handle:
        handle.write(text)


def install_atomic_writes() -> None:
    """Make GX write its project files atomically (idempotent; process-wide)."""
    import importlib

    for name in _GX_WRITERS:
        module = importlib.import_module(name)
        if getattr(module, "open", None) is not _atomic_open:
            module.open = _atomic_open  # shadows the builtin for that module only


def sweep_stale_temporaries(root: str | Path, *, older_than: float = _STALE_TEMP_S) -> int:
    """Remove temporary files that killed writers left under ``root``; return how many."""
    removed = 0
    cutoff = time.time() - older_than
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.startswith(_TEMP_PREFIX) and name.endswith(_TEMP_SUFFIX):
                path = os.path.join(folder, name)
                try:
                    if os.stat(path).st_mtime < cutoff:
                        os.unlink(path)
                        removed += 1
                except FileNotFoundError:
                    pass
    return removed


def _atomic_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    if "w" not in mode or not isinstance(file, (str, bytes, os.PathLike)):
        return builtins.open(file, mode, *args, **kwargs)
    return _AtomicWriter(os.fsdecode(file), mode, *args, **kwargs)


def _new_file_mode() -> int:
    # mkstemp creates 0600; give the result the mode a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class _AtomicWriter:
    """A file opened for writing whose content replaces ``path`` on a clean close."""

    def __init__(self, path: str, mode: str, *args: Any, **kwargs: Any) -> None:
        self._path = path
        directory = os.path.dirname(path) or "."
        name = os.path.basename(path)
        fd, self._temp = tempfile.mkstemp(prefix=f"{_TEMP_PREFIX}{name}.", suffix=_TEMP_SUFFIX, dir=directory)
        os.close(fd)
        try:
            os.chmod(self._temp, _FILE_MODE)
            self._file = builtins.open(self._temp, mode, *args, **kwargs)
        except BaseException:
            os.unlink(self._temp)
            raise
        self._done = False

    def __enter__(self) -> Any:
        return self._file

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self._abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def close(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            self._file.close()
            os.replace(self._temp, self._path)
        except BaseException:
            self._discard()
            raise

    def _abort(self) -> None:
        if not self._done:
            self._done = True
            self._file.close()
            self._discard()

    def _discard(self) -> None:
        try:
            os.unlink(self._temp)
        except FileNotFoundError:
            pass


_FILE_MODE = _new_file_mode()
