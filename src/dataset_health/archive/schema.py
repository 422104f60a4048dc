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
from datetime import date, datetime, timedelta, timezone
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


def _out_of_range(name: str, number: float) -> str | None:
    """Why ``number`` cannot be the value of metric ``name``, or None."""
    if is_count_field(name):
        if number < 0:
            return "a count cannot be negative"
        if not number.is_integer():
            return "a count must be a whole number"
    if name.startswith("null_fraction__") and not 0 <= number <= 1:
        return "a fraction must be from 0 to 1"
    return None


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
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
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
    return _in_range(parsed, value)


def parse_timestamp(value: Any) -> datetime:
    """A naive UTC datetime from an ISO 8601 string, a datetime or date, or a pandas Timestamp.

    Strings must be ISO 8601: a date (``2024-01-05``) or a date and time
    (``2024-01-05T06:00``, seconds and a fraction optional, ``T`` or a space
    between), with ``Z`` or an offset (``+02:00``, ``+0200``, ``+02``) or no
    zone (UTC). Anything else (a zone name such as ``EST``, ``now``,
    ``1/2/3``) is a ValueError saying what was given and what is expected:
    guessing would archive a wrong time.
    """
    if is_missing(value):
        raise ValueError("it is missing")
    if isinstance(value, str):
        parsed = _parse_iso_8601(value)
        if parsed is None:
            raise ValueError(_not_iso_message(value))
        return _in_range(parsed, value)
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{bool(value)!r} is a boolean; {_EXPECTED_TIME}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        shown = value.item() if isinstance(value, np.generic) else value  # 30, not np.int64(30)
        raise ValueError(f"{shown!r} is a number; {_EXPECTED_TIME}")
    if isinstance(value, (datetime, np.datetime64)):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ValueError(f"{value!r} is outside the years {_EARLIEST.year} to {_LATEST.year} ({exc})") from None
        if stamp is pd.NaT:
            raise ValueError(f"{value!r} is not a date and time")
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert(timezone.utc).tz_localize(None)
        return _in_range(stamp.to_pydatetime(), value)
    if isinstance(value, date):
        return _in_range(datetime(value.year, value.month, value.day), value)
    raise ValueError(f"{value!r} is a {type(value).__name__}, not a date and time; {_EXPECTED_TIME}")


_EXPECTED_TIME = (
    "expected an ISO 8601 date or date and time, such as 2024-01-05, 2024-01-05T06:00:00, "
    "2024-01-05T06:00:00.5Z or 2024-01-05T06:00:00-05:00 (no zone: UTC)"
)
_ISO_8601 = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    # A space before the zone: log lines write "2022-12-30 09:00:54 +0100".
    r"(?:\ ?(?P<zone>[Zz]|(?P<sign>[+-])(?P<zone_hour>\d{2})(?::?(?P<zone_minute>\d{2}))?))?)?"
)
_ZONE_NAME = re.compile(r"(?P<stamp>.*\d)\s*(?P<zone>[A-Za-z][A-Za-z_]*(?:/[A-Za-z_]+)*)")


def _parse_iso_8601(text: str) -> datetime | None:
    """A naive UTC datetime from strict ISO 8601 text, None when it is not; ValueError
    when it has the form but no such time exists (month 13, offset +25:00)."""
    stripped = text.strip()
    match = _ISO_8601.fullmatch(stripped)
    if match is None:
        return None
    try:  # fast, on Python 3.11+ for every form the pattern accepts
        parsed = datetime.fromisoformat(stripped)
    except ValueError:
        pass
    else:
        if parsed.tzinfo is not None:
            try:
                parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
            except OverflowError:
                raise ValueError(f"{text!r} is outside the years {_EARLIEST.year} to {_LATEST.year}") from None
        return parsed
    part = match.groupdict()
    fraction = part["fraction"] or ""
    try:
        parsed = datetime(
            int(part["year"]), int(part["month"]), int(part["day"]),
            int(part["hour"] or 0), int(part["minute"] or 0), int(part["second"] or 0),
            int(fraction[:6].ljust(6, "0")),
        )
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date and time ({exc})") from None
    if part["sign"]:
        hours, minutes = int(part["zone_hour"]), int(part["zone_minute"] or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(f"{text!r} has no valid offset from UTC ({part['zone']!r})")
        offset = timedelta(hours=hours, minutes=minutes)
        try:
            parsed = parsed - offset if part["sign"] == "+" else parsed + offset
        except OverflowError:
            raise ValueError(f"{text!r} is outside the years {_EARLIEST.year} to {_LATEST.year}") from None
    return parsed


def _not_iso_message(text: str) -> str:
    named = _ZONE_NAME.fullmatch(text.strip())
    if named is not None:
        try:
            stamp = _parse_iso_8601(named["stamp"])
        except ValueError:
            stamp = None
        if stamp is not None:
            return (
                f"{text!r} names its time zone ({named['zone']!r}), which is ambiguous; write its offset "
                f"from UTC instead (e.g. {named['stamp'].strip()}-05:00 for five hours behind UTC), or Z for UTC"
            )
    return f"{text!r} is not a date and time in ISO 8601 form; {_EXPECTED_TIME}"


def _in_range(parsed: datetime, value: Any) -> datetime:
    # The archive is read back with pandas, which holds only these years.
    if not _EARLIEST <= parsed <= _LATEST:
        raise ValueError(f"{value!r} is outside the years {_EARLIEST.year} to {_LATEST.year}")
    return parsed


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
        problem = None if number is None else _out_of_range(name, number)
        if problem:
            raise BadInputError(f"{where}: field {name!r}: {problem} ({value!r})")
        values[name] = number
    return UpdateRecord(update_id=update_id, timestamp=timestamp, values=values)


def infer_text_fields(frame: pd.DataFrame) -> frozenset[str]:
    """Columns of ``frame`` to archive as text: not known metrics, and not mostly numbers.

    A column whose filled cells are mostly numbers is a metric even when a
    few cells are not (a spreadsheet's ``#REF!``): those cells are bad
    values, reported when the records are coerced (see
    :func:`stray_values`), rather than a reason to archive the whole metric
    as text for good.
    """
    return frozenset(name for name in _inferred_columns(frame) if _numbers_and_others(frame[name])[1] is None)


def stray_values(frame: pd.DataFrame) -> dict[str, list[tuple[int, Any]]]:
    """The cells that are not numbers in columns :func:`infer_text_fields` keeps
    numeric: column -> [(row position, value)], for columns that have any."""
    stray = {}
    for name in _inferred_columns(frame):
        others = _numbers_and_others(frame[name])[1]
        if others:
            stray[name] = others
    return stray


def _inferred_columns(frame: pd.DataFrame) -> list[str]:
    """Columns whose kind comes from their values: not keys, known text or known metrics."""
    return [
        name
        for name in frame.columns
        if not (name in KEY_COLUMNS or name in TEXT_FIELDS or is_numeric_field(name))
    ]


def _numbers_and_others(column: pd.Series) -> tuple[int, list[tuple[int, Any]] | None]:
    """How many filled cells are numbers, and the others with their positions;
    None for the others when they are not fewer than the numbers (a text column)."""
    numbers = 0
    others: list[tuple[int, Any]] = []
    half = len(column) / 2
    for position, value in enumerate(column):
        if is_missing(value):
            continue
        try:
            parse_number(value)
        except ValueError:
            others.append((position, value))
            if len(others) >= half:  # numbers can no longer be the majority
                return numbers, None
        else:
            numbers += 1
    if others and len(others) >= numbers:
        return numbers, None
    return numbers, others
