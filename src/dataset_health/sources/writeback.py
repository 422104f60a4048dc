"""Publish an archive to a Socrata dataset with SODA upserts.

The target dataset needs a column per archive field to publish and
``update_id`` as its row identifier: the upsert is then keyed by update, so
publishing again updates rows instead of duplicating them, and an
interrupted publish is finished by running it again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dataset_health.archive.schema import CAPTURED_AT, UPDATE_ID, parse_number
from dataset_health.archive.store import ArchiveStore
from dataset_health.errors import SourceError
from dataset_health.sources.revisions import detail_counts
from dataset_health.sources.socrata import SocrataClient, check_fourfour


@dataclass(frozen=True)
class PublishResult:
    """Totals of the server's upsert answers."""

    rows_created: int = 0
    rows_updated: int = 0
    chunks: int = 0


def publish_archive(
    store: ArchiveStore,
    dataset: str,
    client: SocrataClient,
    fourfour: str,
    *,
    columns: Iterable[str] | None = None,
    chunk_size: int = 1000,
) -> PublishResult:
    """Upsert ``dataset``'s archive into Socrata dataset ``fourfour``.

    Parameters
    ----------
    columns : iterable of str, optional
        Archive columns to publish (``update_id`` always is); default: all
        but ``captured_at``.
    chunk_size : int
        Rows per upsert request.

    Raises
    ------
    SourceError
        When a request fails or the server reports rejected rows; chunks
        before it are published, and publishing again is safe.
    """
    check_fourfour(fourfour)
    wanted = None if columns is None else [UPDATE_ID] + [c for c in columns if c != UPDATE_ID]
    frame = store.history(dataset, columns=wanted)
    frame = frame.drop(columns=[CAPTURED_AT], errors="ignore")
    rows = [_json_row(row) for row in frame.to_dict(orient="records")]
    created = updated = chunks = 0
    for start in range(0, len(rows), chunk_size):
        chunk = rows[start : start + chunk_size]
        counts = _answer_counts(fourfour, client.upsert(fourfour, chunk))
        if counts.get("error_count"):
            raise SourceError(
                f"Socrata dataset {fourfour!r}: publishing {dataset!r} rows {start + 1}-{start + len(chunk)}: "
                f"the server rejected {counts['error_count']} rows (is update_id the row identifier, "
                "and does every published column exist?)"
            )
        created += counts.get("rows_created", 0)
        updated += counts.get("rows_updated", 0)
        chunks += 1
    return PublishResult(created, updated, chunks)


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    """One archive row as SODA JSON: floating timestamps, whole counts as ints, null for missing."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, pd.Timestamp):
            out[name] = value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        elif isinstance(value, float) and math.isnan(value):
            out[name] = None
        elif isinstance(value, float) and value.is_integer():
            out[name] = int(value)
        elif value is None or value is pd.NaT:
            out[name] = None
        else:
            out[name] = value.item() if hasattr(value, "item") else value
    return out


def _answer_counts(fourfour: str, answer: dict[str, Any]) -> dict[str, int]:
    """The counts of an upsert answer (``{"Rows Created": 1, "Errors": 0, ...}``)."""
    counts = {}
    for name, value in detail_counts(answer).items():
        try:
            counts[name] = int(parse_number(value) or 0)
        except ValueError:
            raise SourceError(
                f"Socrata dataset {fourfour!r}: the upsert answer has a non-numeric {name}: {str(value)[:40]!r}"
            ) from None
    return counts
