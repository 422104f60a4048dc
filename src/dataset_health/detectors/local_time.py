"""The dataset's own clock: weekdays and hours in its time zone, not in UTC.

Archives store update times in UTC. A dataset published at 19:30 in New York
is published at 00:30 UTC in winter and at 23:30 UTC in summer, so in UTC its
weekday changes twice a year with daylight saving time, and an hourly
dataset's busy hour moves by one. Given the dataset's time zone (``timezone:``
in ``dataset_health.yml``, ``--timezone`` on ``backtest`` and ``compete``),
detectors are handed local wall-clock times instead: weekdays, hours,
holidays and days of the month are the dataset's own.

Examples
--------
>>> winter, summer = "2024-03-09 00:30", "2024-03-11 23:30"  # 19:30 in New York, both
>>> [t.strftime("%a %H:%M") for t in local_times([winter, summer], "America/New_York")]
['Fri 19:30', 'Mon 19:30']
>>> local_times([winter], None)
['2024-03-09 00:30']
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd


def check_timezone(name: Any) -> str:
    """``name`` when it is an IANA time zone (``Europe/Paris``, ``UTC``), else ValueError saying so."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a time zone must be an IANA name such as 'America/New_York'; got {name!r}")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as 'America/New_York' "
                         "or 'Europe/Paris'") from None
    return name


def local_times(timestamps: Any, timezone: str | None) -> Any:
    """UTC update times (naive, or aware in any zone) as naive wall-clock times in ``timezone``;
    ``timestamps`` unchanged without one."""
    if timezone is None:
        return timestamps
    stamps = pd.DatetimeIndex(pd.to_datetime(timestamps, utc=True, format="mixed"))
    local = stamps.tz_convert(check_timezone(timezone)).tz_localize(None)
    if local.is_monotonic_increasing or not stamps.is_monotonic_increasing:
        return local
    # When clocks fall back, wall time repeats an hour (01:30 EDT, then 01:00 EST): walk-forward
    # code takes time order for granted, so the repeated hour is held at the latest time seen.
    held = np.maximum.accumulate(local.asi8)
    return pd.DatetimeIndex(held.astype("datetime64[ns]"))
