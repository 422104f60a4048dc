"""Holiday calendars, so that a public holiday is judged like a closed day.

A dataset fed by offices (courts, agencies, shops) publishes on a holiday
what it publishes on a Sunday. Compared with other Mondays, a holiday Monday
looks like a partial load; compared with weekends and past holidays it is
normal. Detectors take a ``holidays`` parameter:

- ``None`` (default): no holidays, every day is its weekday;
- ``"us_federal"``: observed US federal holidays
  (:class:`pandas.tseries.holiday.USFederalHolidayCalendar`);
- a list of dates (anything :func:`pandas.to_datetime` reads): your own.

Examples
--------
>>> import pandas as pd
>>> stamps = pd.to_datetime(["2024-11-27 06:00", "2024-11-28 06:00", "2024-11-30 06:00"])
>>> holiday_mask(stamps, resolve_holidays("us_federal", stamps)).tolist()
[False, True, False]
>>> day_kind(stamps, resolve_holidays(["2024-11-27"], stamps)).tolist()
[7, 3, 5]
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar

from dataset_health.detectors.base import Rule

NS_PER_HOUR = 3_600 * 10**9
NS_PER_DAY = 24 * NS_PER_HOUR
US_FEDERAL = "us_federal"
HOLIDAY = 7  # the day kind of a holiday, beside dayofweek 0 (Monday) .. 6 (Sunday)
CLOSED_DAYS = (5, 6, HOLIDAY)  # the kinds a holiday is compared with


def _is_date_list(value: Any) -> bool:
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, pd.Index, np.ndarray)):
        return False
    pd.to_datetime(list(value))  # raises on something that is not a date
    return True


HOLIDAYS_RULE = Rule(_is_date_list, "a list of dates")
HOLIDAYS_CONSTRAINT: list[Any] = [None, US_FEDERAL, HOLIDAYS_RULE]


def resolve_holidays(holidays: Any, stamps: pd.DatetimeIndex | None, *, extra_years: int = 1) -> pd.DatetimeIndex:
    """The holiday dates (midnight timestamps) that matter for ``stamps``.

    For ``"us_federal"`` the calendar covers the years of ``stamps`` plus
    ``extra_years``, so that the update judged after a fit is covered too.
    """
    if holidays is None:
        return pd.DatetimeIndex([])
    if isinstance(holidays, str):
        if stamps is None or len(stamps) == 0:
            return pd.DatetimeIndex([])
        return _us_federal(stamps.min().year, stamps.max().year + extra_years)
    return pd.DatetimeIndex(pd.to_datetime(list(holidays))).normalize().unique()


@lru_cache(maxsize=64)
def _us_federal(first_year: int, last_year: int) -> pd.DatetimeIndex:
    # Building the calendar takes milliseconds; walk-forward loops ask thousands of times.
    start, end = pd.Timestamp(year=first_year, month=1, day=1), pd.Timestamp(year=last_year, month=12, day=31)
    return pd.DatetimeIndex(USFederalHolidayCalendar().holidays(start, end))


def holiday_mask(stamps: pd.DatetimeIndex, dates: pd.DatetimeIndex) -> np.ndarray:
    """True where a timestamp falls on one of ``dates``."""
    if len(dates) == 0:
        return np.zeros(len(stamps), dtype=bool)
    return np.asarray(stamps.normalize().isin(dates))


def weekday(nanoseconds: np.ndarray) -> np.ndarray:
    """0 = Monday .. 6 = Sunday of int64 nanoseconds since 1970-01-01 (a Thursday)."""
    return (nanoseconds // NS_PER_DAY + 3) % 7


def day_kind(stamps: pd.DatetimeIndex | np.ndarray, dates: pd.DatetimeIndex) -> np.ndarray:
    """The weekday (0 = Monday .. 6 = Sunday) of each stamp, or 7 on a holiday. ``stamps``
    may be int64 nanoseconds, as walk-forward loops hold them: no index to build per update."""
    nanoseconds = stamps if isinstance(stamps, np.ndarray) else stamps.as_unit("ns").asi8
    kinds = weekday(nanoseconds)
    kinds[np.isin(nanoseconds // NS_PER_DAY, dates.as_unit("ns").asi8 // NS_PER_DAY)] = HOLIDAY
    return kinds
