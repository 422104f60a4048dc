"""What an archive row is, and how raw values become one.

One archive row describes one update of a monitored dataset. Its fixed
columns are ``update_id`` (the key), ``timestamp`` (when the update
published, UTC) and ``captured_at``; every other column is one piece of
metadata. Metric columns hold numbers; a few known fields, and any new field
whose values are not numbers, hold text.

Coercions, applied the same way to every source (API, CSV, log lines):

- counts may arrive as strings, with thousands separators (``"24,847"``);
- empty strings, ``None``, ``NaN`` and ``"null"`` mean *missing*;
- infinite values, negative counts and non-numbers in a numeric field are
  errors that name the dataset, the update and the field;
- timestamps without a zone are taken as UTC; with a zone they are converted
  to UTC. They are stored without zone, as UTC.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from dataset_health.errors import BadInputError, SchemaError

UPDATE_ID = "update_id"
TIMESTAMP = "timestamp"
CAPTURED_AT = "captured_at"
KEY_COLUMNS = (UPDATE_ID, TIMESTAMP, CAPTURED_AT)

#: Metrics that count rows or things: never negative.
COUNT_FIELDS = frozenset(
    {
        "rows_created",
        "rows_updated",
        "rows_deleted",
        "row_count",
        "column_count",
        "duplicate_key_count",
        "error_count",
    }
)
COUNT_PREFIXES = ("distinct_count__", "null_count__")
NUMERIC_PREFIXES = COUNT_PREFIXES + ("null_fraction__", "min__", "max__", "mean__")
NUMERIC_FIELDS = COUNT_FIELDS | {"freshness_lag_hours"}

#: Known metadata that is text, whatever it looks like.
TEXT_FIELDS = frozenset(
    {"schema_fingerprint", "schema", "source", "action_type", "update_status"}
)

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_MAX_IDENTIFIER = 63  # PostgreSQL truncates longer identifiers silently
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_MISSING_WORDS = frozenset({"", "nan", "null", "none", "na", "n/a"})
_EARLIEST = pd.Timestamp.min.to_pydatetime().replace(microsecond=0) + pd.Timedelta(seconds=1).to_pytimedelta()
_LATEST = pd.Timestamp.max.to_pydatetime().replace(microsecond=0)


def slug(name: str, *, max_length: int = 40) -> str:
    """A lower-case SQL-safe identifier for ``name``, unique per name.

    Names that are already clean identifiers are kept; any other name gets a
    short hash so that two names never share a slug ("Judge Name" and
    "judge_name" both map to ``judge_name`` plus different hashes).
    """
    cleaned = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "x"
    if cleaned[0].isdigit():
        cleaned = "_" + cleaned
    if cleaned == name and len(cleaned) <= max_length:
        return cleaned
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned[: max_length - 9]}_{digest}"


def metric_column(metric: str, source_column: str) -> str:
    """The archive column of a per-column metric, e.g. ``null_fraction__judge``."""
    return f"{metric}__{slug(source_column)}"


def check_field_name(dataset: str, name: str) -> str:
    """Return ``name`` if it can be an archive column, else raise SchemaError."""
    if not isinstance(name, str) or not _is_identifier(name):
        raise SchemaError(
            f"dataset {dataset!r}: field {name!r} cannot be an archive column: "
            f"use lower-case letters, digits and '_' (at most {_MAX_IDENTIFIER} characters), "
            "or dataset_health.archive.metric_column() for per-column metrics"
        )
    return name


@functools.lru_cache(maxsize=4096)  # called for every field of every record
def _is_identifier(name: str) -> bool:
    return bool(_IDENTIFIER.match(name)) and len(name) <= _MAX_IDENTIFIER


def is_numeric_field(name: str) -> bool:
    return name in NUMERIC_FIELDS or name.startswith(NUMERIC_PREFIXES)


def is_count_field(name: str) -> bool:
    return name in COUNT_FIELDS or name.startswith(COUNT_PREFIXES)


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return True
    if isinstance(value, str) and value.strip().lower() in _MISSING_WORDS:
        return True
    return False


def parse_number(value: Any) -> float | None:
    """The number in ``value``, None when missing; ValueError when not a number."""
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{value!r} is a boolean, not a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        number = float(text)  # raises ValueError with the text in it
    else:
        raise ValueError(f"{value!r} is a {type(value).__name__}, not a number")
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def parse_iso_timestamp(value: str) -> datetime | None:
    """A naive UTC datetime from an ISO 8601 string, or None when it is not one.

    Raises ValueError for a date pandas cannot hold (the archive is read
    back with pandas), such as the sentinel 9999-12-31.
    """
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    if not _EARLIEST <= parsed <= _LATEST:
        raise ValueError(f"{value!r} is outside the years {_EARLIEST.year} to {_LATEST.year}")
    return parsed


def parse_timestamp(value: Any) -> datetime:
    """A naive UTC datetime from a string, datetime or pandas Timestamp."""
    if is_missing(value):
        raise ValueError("it is missing")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        raise ValueError(f"{value!r} is a number; give an ISO 8601 date and time")
    if isinstance(value, str):
        # Fast path for ISO 8601 (a 100,000-row import parses every timestamp);
        # other spellings go through pandas as before.
        parsed = parse_iso_timestamp(value)
        if parsed is not None:
            return parsed
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{value!r} is not a date and time ({exc})") from None
    if stamp is pd.NaT:
        raise ValueError(f"{value!r} is not a date and time")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(timezone.utc).tz_localize(None)
    return stamp.to_pydatetime()


@dataclass(frozen=True)
class UpdateRecord:
    """One update, coerced and ready to be archived."""

    update_id: str
    timestamp: datetime
    values: dict[str, float | str | None] = field(default_factory=dict)

    def as_row(self, captured_at: datetime) -> dict[str, Any]:
        return {
            UPDATE_ID: self.update_id,
            TIMESTAMP: self.timestamp,
            CAPTURED_AT: captured_at,
            **self.values,
        }


def coerce_record(
    dataset: str,
    raw: Mapping[str, Any],
    *,
    text_fields: frozenset[str] = frozenset(),
) -> UpdateRecord:
    """Coerce one raw mapping into an :class:`UpdateRecord`.

    ``text_fields`` names extra fields to keep as text (besides the known
    ones); any other field must hold a number or be missing.
    """
    update_id = raw.get(UPDATE_ID)
    if is_missing(update_id) or not str(update_id).strip():
        raise BadInputError(f"dataset {dataset!r}: an update has no {UPDATE_ID!r}")
    update_id = str(update_id).strip()
    where = f"dataset {dataset!r}, update {update_id!r}"
    try:
        timestamp = parse_timestamp(raw.get(TIMESTAMP))
    except ValueError as exc:
        raise BadInputError(f"{where}: field {TIMESTAMP!r}: {exc}") from None

    values: dict[str, float | str | None] = {}
    for name, value in raw.items():
        if name in KEY_COLUMNS:
            continue
        check_field_name(dataset, name)
        if name in TEXT_FIELDS or name in text_fields:
            values[name] = None if is_missing(value) else str(value)
            continue
        try:
            number = parse_number(value)
        except ValueError as exc:
            raise BadInputError(f"{where}: field {name!r}: {exc}") from None
        if number is not None and number < 0 and is_count_field(name):
            raise BadInputError(f"{where}: field {name!r}: a count cannot be negative ({value!r})")
        values[name] = number
    return UpdateRecord(update_id=update_id, timestamp=timestamp, values=values)


def infer_text_fields(frame: pd.DataFrame) -> frozenset[str]:
    """Columns of ``frame`` to archive as text: not known metrics, not all numbers."""
    text = set()
    for name in frame.columns:
        if name in KEY_COLUMNS or name in TEXT_FIELDS or is_numeric_field(name):
            continue
        for value in frame[name]:
            try:
                parse_number(value)
            except ValueError:
                text.add(name)
                break
    return frozenset(text)
