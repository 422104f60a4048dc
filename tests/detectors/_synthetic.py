"""Synthetic update archives for the detector tests: healthy, then one fault.

A daily archive of a court-filings-like dataset: weekdays busy, weekends
quiet, US federal holidays like Sundays, ~15% growth a year, rows_deleted
zero on most days, a null fraction near 0.02, a column count constant at 14.
The newest row is the update under test; :func:`with_fault` breaks it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar

DAY_OF_WEEK = np.array([1.10, 1.00, 0.99, 0.98, 0.95, 0.11, 0.07])
HOLIDAY_FACTOR = 0.09

FAULTS = {
    # name: (metric, how the newest value is broken)
    "partial_load": ("rows_created", lambda row: row["rows_created"] * 0.1),
    "duplicate_load": ("rows_created", lambda row: row["rows_created"] * 2),
    "mass_delete": ("rows_deleted", lambda row: row["row_count"] * 0.2),
    "null_explosion": ("null_fraction", lambda row: 0.7),
    "constant_changed": ("column_count", lambda row: 15.0),
    "stale_zero_update": ("rows_created", lambda row: 0.0),
}


def daily_archive(days: int = 120, end: str = "2024-11-26", seed: int = 0) -> pd.DataFrame:
    """``days`` healthy daily updates ending on ``end`` (06:00 plus a few minutes)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(end=pd.Timestamp(end), periods=days, freq="D")
    stamps = dates + pd.Timedelta(hours=6) + pd.to_timedelta(rng.integers(0, 600, days), unit="s")
    holidays = USFederalHolidayCalendar().holidays(dates[0], dates[-1])
    factor = np.where(dates.isin(holidays), HOLIDAY_FACTOR, DAY_OF_WEEK[dates.dayofweek])
    level = 20_000 * 1.15 ** (np.arange(days) / 365)
    created = np.round(level * factor * rng.lognormal(0, 0.05, days))
    deleted = np.where(rng.random(days) < 0.05, rng.integers(10, 500, days), 0)
    return pd.DataFrame({
        "timestamp": stamps,
        "rows_created": created,
        "rows_updated": np.round(0.4 * created * rng.lognormal(0, 0.1, days)),
        "rows_deleted": deleted.astype(float),
        "row_count": 38_000_000 + np.cumsum(created - deleted),
        "null_fraction": rng.normal(0.02, 0.0025, days).clip(0.005, 0.05),
        "column_count": 14.0,
        "freshness_lag_hours": rng.normal(9, 1.5, days).clip(6, 14),
    })


def with_fault(archive: pd.DataFrame, fault: str) -> tuple[pd.DataFrame, str]:
    """The archive with its newest row broken by ``fault``, and the metric that shows it."""
    metric, breaker = FAULTS[fault]
    broken = archive.copy()
    broken.loc[broken.index[-1], metric] = breaker(broken.iloc[-1])
    if fault == "mass_delete":
        broken.loc[broken.index[-1], "row_count"] -= broken.iloc[-1]["rows_deleted"]
    return broken, metric


def hourly_series(days: int = 42, seed: int = 0) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Hourly counts with a daily cycle and quieter weekends."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range("2024-03-04", periods=days * 24, freq="h")
    daily = 1 + 0.6 * np.sin(2 * np.pi * (np.asarray(stamps.hour) - 6) / 24)
    weekly = np.where(np.asarray(stamps.dayofweek) >= 5, 0.5, 1.0)
    return np.round(500 * daily * weekly * rng.lognormal(0, 0.08, stamps.size)), stamps


def judge_fault(make, fault: str, *, end: str = "2024-11-26", metric: str | None = None):
    """The verdict of a fresh detector from ``make()`` on an archive whose newest update has ``fault``."""
    broken, shown = with_fault(daily_archive(end=end), fault)
    metric = metric or shown
    return make().check(broken[metric], broken["timestamp"], metric=metric)


def healthy_verdicts(make, ends=("2024-11-24", "2024-11-25", "2024-11-28", "2024-11-29"), metrics=None):
    """Verdicts on the newest update of healthy archives ending on a Sunday, a Monday,
    Thanksgiving and the day after, for every metric."""
    verdicts = []
    for end in ends:
        archive = daily_archive(end=end)
        for metric in metrics or archive.columns[1:]:
            verdicts.append(make().check(archive[metric], archive["timestamp"], metric=metric))
    return verdicts
