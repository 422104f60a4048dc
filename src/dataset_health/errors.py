"""Errors raised by dataset-health.

Every error a user can meet derives from :class:`DatasetHealthError`, and its
message names the dataset, column or field at fault, so the CLI can print it
as one line and exit with code 2::

    DatasetHealthError
    ├── ConfigError        project file, dataset settings, unknown names
    ├── BadInputError      a value or file that cannot be coerced
    │   └── SchemaError    missing/extra/duplicate columns or update ids
    ├── ArchiveError       the archive database refused or failed
    ├── CaptureError       metadata of an update could not be computed
    └── SourceError        a remote update source (Socrata) failed or answered badly

Errors of the libraries below (SQLAlchemy, GX, pandas, requests) are translated at
one boundary with ``raise ... from exc`` rather than leaked to the user.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class DatasetHealthError(Exception):
    """Base class of every error dataset-health raises on purpose."""


class ConfigError(DatasetHealthError):
    """The project configuration or a command's options are invalid."""


class BadInputError(DatasetHealthError):
    """A value cannot be coerced to what its field needs."""


class SchemaError(BadInputError):
    """Columns or keys of an input do not fit the archive."""


class ArchiveError(DatasetHealthError):
    """The archive store could not be read or written."""


class CaptureError(DatasetHealthError):
    """The metadata of an update could not be computed from its batch."""


class SourceError(DatasetHealthError):
    """An update source failed: HTTP error, timeout, or a malformed answer.

    The message names the source dataset and what failed; it never holds
    credentials.
    """


@contextmanager
def writing(path: str | Path, *, what: str = "", dataset: str | None = None, urls: bool = False) -> Iterator[Any]:
    """Write to ``path`` inside the block: ``~`` is expanded and a missing
    folder created, and an OSError becomes a :class:`BadInputError` naming
    ``what`` (and the dataset). With ``urls``, a URL (``s3://...``) is
    yielded as it is, for pandas to write through fsspec; without, it is
    refused."""
    prefix = (f"dataset {dataset!r}: " if dataset else "") + f"cannot write {what}{' to ' if what else ''}{str(path)!r}: "
    if "://" in str(path):
        if not urls:
            raise BadInputError(f"{prefix}a URL; give a local file")
        target: Any = str(path)
    else:
        target = Path(path).expanduser()
        _refuse_if_kept(target, prefix)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise BadInputError(f"{prefix}{str(_first_file(target.parent))!r} is a file, not a folder") from None
        except OSError as exc:
            raise BadInputError(f"{prefix}{exc.strerror or exc}") from None
    try:
        yield target
    except OSError as exc:
        raise BadInputError(f"{prefix}{exc.strerror or exc}") from None


def refuse_overwrites(outputs: dict[str, Any], inputs: dict[str, Any] | None = None) -> None:
    """A BadInputError when an output path (``what -> path``) would replace
    what a long command needs kept: one of its ``inputs`` (``backtest a.csv
    -o a.csv`` would replace the archive it reads with its verdicts), another
    of its outputs, the project file or a SQLite database. Checked before any
    work, not after it."""
    local = {what: Path(path) for what, path in outputs.items() if path is not None and "://" not in str(path)}
    for what, output in local.items():
        for name, given in (inputs or {}).items():
            if given is not None and "://" not in str(given) and _same_file(output, Path(given)):
                raise BadInputError(f"cannot write {what} to {str(output)!r}: it is the {name} this reads; "
                                    "give another file")
        _refuse_if_kept(output.expanduser(), f"cannot write {what} to {str(output)!r}: ")
    for (what, output), (other, path) in itertools.combinations(local.items(), 2):
        if _same_file(output, path):
            raise BadInputError(f"cannot write {what} and {other} to the same file {str(output)!r}; give two files")


def _same_file(a: Path, b: Path) -> bool:
    return a.expanduser().resolve() == b.expanduser().resolve()


def _refuse_if_kept(target: Path, prefix: str) -> None:
    kept = _not_to_overwrite(target)
    if kept:
        raise BadInputError(f"{prefix}it is {kept}, which this would overwrite; give another file")


def _not_to_overwrite(target: Path) -> str | None:
    """What ``target`` holds that no export, report or verdicts file may replace, or None."""
    if not target.is_file():
        return None
    if target.name == "dataset_health.yml":
        return "a dataset-health project file"
    try:
        with target.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return None  # reported by the write itself
    return "a SQLite database" if head == b"SQLite format 3\x00" else None


def _first_file(folder: Path) -> Path:
    """The first ancestor of ``folder`` (or itself) that exists as a file."""
    for candidate in (*reversed(folder.parents), folder):
        if candidate.is_file():
            return candidate
    return folder
