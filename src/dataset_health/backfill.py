"""Backfill: build a dataset's archive from its past updates.

A *source* yields archive records lazily: Socrata revisions (paged from the
publishing API), "rows update summary" log lines, or an archive CSV. The
backfill appends them in chunks, and promises:

- *Idempotent*: updates already in the archive are skipped, so a second run
  adds nothing and leaves archived rows (and their verdicts) untouched.
- *Resumable*: each chunk is one atomic append. An error or an interruption
  keeps every complete chunk and loses only the chunk in flight; a re-run
  skips what is archived and continues. A source that fails before the
  first chunk is full leaves the archive exactly as it was.

Records are read lazily, so memory holds one chunk and the set of archived
update ids, not the whole history.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from dataset_health.archive.csvio import read_archive_csv
from dataset_health.archive.schema import UPDATE_ID, infer_text_fields
from dataset_health.archive.store import ArchiveStore
from dataset_health.errors import ConfigError

SOURCES = ("socrata", "logs", "csv")
DEFAULT_CHUNK_SIZE = 200


@dataclass
class BackfillSource:
    """Where past updates come from.

    Attributes
    ----------
    name : str
        ``socrata``, ``logs`` or ``csv``, for messages.
    records : iterable of mapping
        Raw archive records (``update_id``, ``timestamp``, metric fields),
        read lazily.
    text_fields : frozenset of str
        Fields to archive as text besides the known ones.
    total : int, optional
        How many records there are, when known before reading (progress bar).
    notes : callable
        Lines describing what was skipped while reading; call after reading.
    """

    name: str
    records: Iterable[Mapping[str, Any]]
    text_fields: frozenset[str] = frozenset()
    total: int | None = None
    notes: Callable[[], list[str]] = list


@dataclass
class BackfillResult:
    """What one backfill did."""

    dataset: str
    added: list[str] = field(default_factory=list)
    already_archived: int = 0
    repeated: int = 0
    chunks: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.dataset}: {len(self.added)} updates added, {self.already_archived} already archived"
        if self.repeated:
            text += f", {self.repeated} repeated in the source and skipped"
        return text


def backfill(
    store: ArchiveStore,
    dataset: str,
    source: BackfillSource,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: bool = False,
    progress_file: TextIO | None = None,
) -> BackfillResult:
    """Append every update of ``source`` that ``dataset``'s archive lacks.

    Parameters
    ----------
    store : ArchiveStore
        The archive.
    dataset : str
        The monitored dataset whose archive is built.
    source : BackfillSource
        Past updates, e.g. from :func:`socrata_source`, :func:`log_source` or
        :func:`csv_source`.
    chunk_size : int
        Updates per atomic append: the most a failure or interruption loses.
    progress : bool
        Show a tqdm progress bar (on stderr unless ``progress_file``).

    Returns
    -------
    BackfillResult
        The update ids added, how many were skipped, and the source's notes.
    """
    if chunk_size < 1:
        raise ConfigError(f"chunk size must be a positive integer, got {chunk_size!r}")
    archived = _archived_ids(store, dataset)
    result = BackfillResult(dataset)
    chunk: list[Mapping[str, Any]] = []
    in_source: set[str] = set()
    bar = tqdm(total=source.total, unit="update", desc=f"backfill {dataset}", disable=not progress,
               file=progress_file or sys.stderr, leave=False)
    try:
        for record in source.records:
            bar.update(1)
            update_id = str(record.get(UPDATE_ID, "")).strip()
            if update_id in archived:
                result.already_archived += 1
                continue
            if update_id and update_id in in_source:
                result.repeated += 1
                continue
            in_source.add(update_id)
            chunk.append(record)
            if len(chunk) >= chunk_size:
                _append(store, dataset, chunk, source, result)
                chunk = []
        if chunk:
            _append(store, dataset, chunk, source, result)
    finally:
        bar.close()
    result.notes = source.notes()
    return result


def _append(
    store: ArchiveStore, dataset: str, chunk: list[Mapping[str, Any]], source: BackfillSource, result: BackfillResult
) -> None:
    store.append(dataset, chunk, text_fields=source.text_fields)
    result.added.extend(str(r[UPDATE_ID]).strip() for r in chunk)
    result.chunks += 1


def _archived_ids(store: ArchiveStore, dataset: str) -> set[str]:
    if not store.exists(dataset):
        return set()
    return set(store.history(dataset, columns=[UPDATE_ID])[UPDATE_ID])


# ---------------------------------------------------------------- sources
def socrata_source(client: Any, fourfour: str, *, skipped: Counter[str] | None = None) -> BackfillSource:
    """Finished revisions of Socrata dataset ``fourfour``, one record each.

    ``client`` is a :class:`dataset_health.sources.SocrataClient`. Revisions
    that are no finished update (open, discarded, running) are skipped and
    counted in the notes, and by reason in ``skipped`` when given; see
    :mod:`dataset_health.sources.revisions`.
    """
    from dataset_health.sources.revisions import revision_record

    skipped = Counter() if skipped is None else skipped

    def records() -> Iterator[dict[str, Any]]:
        for revision in client.revisions(fourfour):
            outcome = revision_record(revision)
            if outcome.record is None:
                skipped[outcome.skipped or "unknown"] += 1
            else:
                yield outcome.record

    def notes() -> list[str]:
        return [f"skipped {n} revisions: {reason}" for reason, n in sorted(skipped.items())]

    return BackfillSource("socrata", records(), notes=notes)


def log_source(path: str | Path, *, dataset_id: str | None = None, stdin: TextIO | None = None) -> BackfillSource:
    """Updates from "rows update summary" lines of a log file (``-``: standard input)."""
    from dataset_health.sources.logs import LogParser, open_log

    parser = LogParser(dataset_id=dataset_id)

    def records() -> Iterator[dict[str, Any]]:
        # Opened when reading starts, closed when it ends or is abandoned.
        with open_log(path, stdin=stdin) as lines:
            yield from parser.parse(lines)

    return BackfillSource("logs", records(), notes=parser.report.summary)


def csv_source(path: str | Path) -> BackfillSource:
    """Updates from an archive CSV (a ``timestamp`` column plus metric columns)."""
    frame = read_archive_csv(path)
    return BackfillSource(
        "csv", frame.to_dict(orient="records"), text_fields=infer_text_fields(frame), total=len(frame)
    )


def open_source(
    kind: str,
    *,
    domain: str | None = None,
    fourfour: str | None = None,
    log_file: str | None = None,
    csv: str | Path | None = None,
    client_factory: Callable[[str], Any] | None = None,
) -> BackfillSource:
    """The source a ``backfill --from KIND`` command names, its options checked.

    ``--fourfour`` is the Socrata dataset id: required with ``socrata``, and
    with ``logs`` it keeps only that dataset's summary lines.
    """
    if kind == "socrata":
        if not domain or not fourfour:
            raise ConfigError("--from socrata needs --domain and --fourfour")
        from dataset_health.sources.socrata import SocrataClient, check_fourfour

        client = (client_factory or SocrataClient)(domain)
        return socrata_source(client, check_fourfour(fourfour))
    if kind == "logs":
        if not log_file:
            raise ConfigError("--from logs needs --log-file PATH (or - for standard input)")
        from dataset_health.sources.socrata import check_fourfour

        return log_source(log_file, dataset_id=check_fourfour(fourfour) if fourfour else None)
    if kind == "csv":
        if not csv:
            raise ConfigError("--from csv needs --csv PATH")
        return csv_source(csv)
    raise ConfigError(f"unknown backfill source {kind!r}; expected one of {', '.join(SOURCES)}")
