"""Freshness: hours from the newest value of a date/time column to the update's time."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from dataset_health.archive.schema import is_missing, parse_timestamp
from dataset_health.errors import CaptureError


def latest_text_date(dataset: str, column: str, values: Iterable[Any]) -> datetime | None:
    """The latest date among the values of a text column; None when it has no value.

    The largest text is not the latest date ('9/30/2024' > '10/2/2024'), so
    each value is parsed: ISO 8601, US month/day/year or any other form
    pandas reads. A value that is no date (junk; a number, which pandas
    would read as nanoseconds since 1970; a year outside 1677-2262) is
    skipped.
    """
    values = [v for v in values if not is_missing(v)]
    if not values:
        return None
    texts = pd.Series([v for v in values if not isinstance(v, numbers.Number)], dtype=object)
    # format="mixed" parses each value on its own: a vectorised ISO parse
    # gives a naive value the zone offset of an aware one before it.
    parsed = pd.to_datetime(texts, format="mixed", utc=True, errors="coerce").dropna()
    if parsed.empty:
        example = min(map(str, values))
        raise CaptureError(
            f"dataset {dataset!r}: freshness column {column!r}: no value reads as a date or time "
            f"(e.g. {example[:40]!r})"
        )
    return parsed.max().tz_localize(None).to_pydatetime()


def lag_hours(dataset: str, column: str, newest: Any, now: datetime | None) -> float | None:
    """Hours from ``newest`` to ``now`` (default: the current UTC time)."""
    # No non-null value (an empty or all-null column): pandas gives NaN or NaT, SQL gives NULL.
    if is_missing(newest):
        return None
    try:
        stamp = parse_timestamp(newest)
    except ValueError as exc:
        raise CaptureError(f"dataset {dataset!r}: freshness column {column!r}: {exc}") from None
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    return (now - stamp).total_seconds() / 3600
