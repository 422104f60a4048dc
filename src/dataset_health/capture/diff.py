"""Rows created, updated and deleted, from a diff against the last snapshot.

When the source does not report what an update did, a key column lets us
find out: a snapshot maps each key to a hash of its row. Keys new since the
last snapshot were created, keys gone were deleted, keys whose hash changed
were updated. The snapshot lives in the archive database, written in the
same transaction as the update's archive row.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from dataset_health.errors import CaptureError


def row_hashes(frame: pd.DataFrame, key_column: str, *, dataset: str) -> dict[str, str]:
    """Key -> hash of the whole row. Values are hashed as text, so the same
    data read by two engines (different dtypes) hashes the same."""
    if key_column not in frame.columns:
        raise CaptureError(f"dataset {dataset!r}: key column {key_column!r} is not in the data")
    keyed = frame[frame[key_column].notna()]
    ordered = keyed[sorted(keyed.columns, key=str)].map(_as_text)
    hashes = pd.util.hash_pandas_object(ordered, index=False).astype("uint64").map("{:016x}".format)
    # Keys are texted as they are: "1.10" and "1.1" are two keys, whatever they hash like.
    return dict(zip(keyed[key_column].map(_key_text), hashes))


def _key_text(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))  # one NULL turns an integer key column into floats
    return str(value)


# A decimal written out in full: no exponent, sign at most a minus.
_DECIMAL_TEXT = re.compile(r"-?\d+\.\d*")


def _as_text(value: Any) -> str:
    # One NULL turns an integer column into floats (1 -> 1.0), and a NULL reads
    # as None, NaN or NaT depending on the dtype: text them alike, so that a new
    # NULL in one row does not change the hash of every other row.
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        if float(value).is_integer():
            return str(int(value))
    # One junk cell makes a reader keep a whole number column as text, "12.50"
    # where it read 12.5: text a decimal by its value, so that the other rows
    # keep their hash. (Text such as "1.10" and "1.1" then hashes alike.)
    if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
        # Exactly, not through a float: "...67.25" and "...67.50" differ.
        text = format(Decimal(value).normalize(), "f")
        return "0" if text == "-0" else text
    return str(value)


def diff_counts(previous: dict[str, str], current: dict[str, str]) -> dict[str, int]:
    """rows_created / rows_updated / rows_deleted between two snapshots."""
    created = current.keys() - previous.keys()
    deleted = previous.keys() - current.keys()
    updated = sum(1 for key in current.keys() & previous.keys() if current[key] != previous[key])
    return {"rows_created": len(created), "rows_updated": updated, "rows_deleted": len(deleted)}
