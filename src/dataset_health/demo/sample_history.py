"""A synthetic, deterministic update archive for demos, docs and tests.

Each row describes one daily publish of a court-filings-like public dataset
refreshed by an ETL job, with the metadata ``dataset_health`` archives per
update. The history is realistic enough to defeat naive rules: courts file on
weekdays, federal holidays look like weekends and are followed by a backlog,
volume grows ~15% a year, and a monthly re-sync makes ``rows_updated`` jump on
every 1st, which is normal. A handful of faults, one of each kind in
:data:`FAULT_KINDS`, are injected and labelled, and the newest update is a
silent partial load (about 4-5% of its usual ``rows_created``): the failure a
health check should catch while a row-count-is-positive check passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

FAULT_KINDS = (
    "partial_load", "duplicate_load", "stale_update", "mass_delete",
    "null_explosion", "schema_change", "missed_run",
)

ARCHIVE_COLUMNS = (
    "update_id", "timestamp", "rows_created", "rows_updated", "rows_deleted",
    "row_count", "column_count", "null_fraction__judge_name",
    "null_fraction__disposition", "distinct_count__court_id",
    "freshness_lag_hours", "duplicate_key_count",
)
LABEL_COLUMNS = ("update_id", "timestamp", "is_anomaly", "kind")

_WEEKDAY_LEVEL = 20_800  # so that weekdays span ~18k-24k over a two-year history
_DAY_OF_WEEK_FACTOR = np.array([1.10, 1.00, 0.99, 0.98, 0.95, 0.11, 0.07])
_HOLIDAY_FACTOR = 0.09
_BACKLOG_FACTOR = 1.35
_YEARLY_GROWTH = 1.15
_INITIAL_ROW_COUNT = 38_400_000
_FAULT_PARAMETER = {
    "partial_load": (0.10, 0.30), "mass_delete": (0.20, 0.40),
    "null_explosion": (0.60, 0.95),
}
_NEWEST_FRACTION = (0.04, 0.05)
_CSV_NAMES = ("court_filings_history.csv", "court_filings_labels.csv")


def us_federal_holidays(years: Iterable[int]) -> set[date]:
    """Observed US federal holidays (5 U.S.C. 6103) of the given years.

    A holiday on a Saturday is observed the Friday before, one on a Sunday the
    Monday after; only observed dates are returned, because those are the days
    courts are closed. New Year's Day of a year may thus be observed on
    December 31 of the year before.

    Parameters
    ----------
    years : iterable of int

    Returns
    -------
    set of datetime.date

    Examples
    --------
    >>> holidays = us_federal_holidays([2026])
    >>> len(holidays), date(2026, 11, 26) in holidays
    (11, True)
    >>> date(2021, 12, 31) in us_federal_holidays([2022])  # Jan 1 was a Saturday
    True
    """
    def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    holidays = set()
    for year in years:
        fixed = [date(year, 1, 1), date(year, 7, 4), date(year, 11, 11), date(year, 12, 25)]
        if year >= 2021:  # Juneteenth became a federal holiday in 2021
            fixed.append(date(year, 6, 19))
        for day in fixed:
            shift = {5: -1, 6: 1}.get(day.weekday(), 0)
            holidays.add(day + timedelta(days=shift))
        holidays |= {
            nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
            nth_weekday(year, 2, 0, 3),  # Washington's Birthday
            nth_weekday(year, 6, 0, 1) - timedelta(days=7),  # Memorial Day, May's last Monday
            nth_weekday(year, 9, 0, 1),  # Labor Day
            nth_weekday(year, 10, 0, 2),  # Columbus Day
            nth_weekday(year, 11, 3, 4),  # Thanksgiving
        }
    return holidays


def _calendar(end: date, days: int) -> pd.DataFrame:
    """One row per scheduled day with the flags that drive volume."""
    dates = pd.date_range(end=pd.Timestamp(end), periods=days, freq="D")
    holidays = us_federal_holidays(range(dates[0].year, dates[-1].year + 2))
    is_holiday = np.array([d.date() in holidays for d in dates])
    business = (dates.dayofweek < 5) & ~is_holiday
    previous_business = np.concatenate([[True], business[:-1]])
    # The first business day after a closed weekday catches up on its filings.
    open_days = np.flatnonzero(business)
    reopen = np.searchsorted(open_days, np.flatnonzero((dates.dayofweek < 5) & is_holiday))
    after_closure = np.zeros(days, dtype=bool)
    after_closure[open_days[reopen[reopen < len(open_days)]]] = True
    return pd.DataFrame({
        "date": dates, "holiday": is_holiday, "business": business,
        "previous_business": previous_business, "backlog": after_closure,
    })


def _expected_created(cal: pd.DataFrame) -> np.ndarray:
    """Noise-free rows_created for each day: trend x day-of-week x closures."""
    dates = cal["date"]
    years_from_middle = (dates - dates.iloc[len(dates) // 2]).dt.days / 365.25
    level = _WEEKDAY_LEVEL * _YEARLY_GROWTH ** years_from_middle.to_numpy()
    factor = _DAY_OF_WEEK_FACTOR[dates.dt.dayofweek.to_numpy()]
    factor = np.where(cal["holiday"] & (dates.dt.dayofweek < 5), _HOLIDAY_FACTOR, factor)
    factor = np.where(cal["backlog"], factor * _BACKLOG_FACTOR, factor)
    return level * factor


def _plan_faults(cal: pd.DataFrame, rng: np.random.Generator) -> dict[int, tuple[str, float]]:
    """One fault of each kind on an ordinary business day, spread over the history.

    Faults avoid the first month (detectors need a history), the last two
    months (so the newest update is judged against a clean recent past), and
    days whose own signal is unusual (1st of month, backlog days).
    """
    n = len(cal)
    day_of_month = cal["date"].dt.day.to_numpy()
    ordinary = cal["business"].to_numpy() & ~cal["backlog"].to_numpy() & (day_of_month != 1)
    # The day after a fault shows its aftermath, so it must be ordinary too.
    eligible = ordinary & np.concatenate([ordinary[1:], [False]])
    edges = np.linspace(30, n - 60, len(FAULT_KINDS) + 1).astype(int)
    if edges[1] - edges[0] < 10:
        raise ValueError(f"days={n} is too short to place {len(FAULT_KINDS)} faults")
    plan = {}
    for kind, start, stop in zip(rng.permutation(FAULT_KINDS), edges[:-1], edges[1:]):
        candidates = np.flatnonzero(eligible[start : stop - 2]) + start
        low, high = _FAULT_PARAMETER.get(str(kind), (0.0, 0.0))
        plan[int(rng.choice(candidates))] = (str(kind), float(rng.uniform(low, high)))
    return plan


def _apply_fault(row: dict, kind: str, parameter: float, previous: dict, row_count: int) -> int:
    """Turn a healthy ``row`` into one showing ``kind``; return rows the next run deletes."""
    if kind == "duplicate_load":
        row["duplicate_key_count"] = row["rows_created"]
        row["rows_created"] *= 2
        return row["duplicate_key_count"]  # the next run cleans the copies up
    if kind == "stale_update":
        # Nothing was loaded, so the data and its profile are the previous update's.
        row.update({k: previous[k] for k in row if k.startswith(("null_", "distinct_"))})
        row.update(rows_created=0, rows_updated=0, rows_deleted=0)
        hours_since = (row["timestamp"] - previous["timestamp"]) / pd.Timedelta(hours=1)
        row["freshness_lag_hours"] = previous["freshness_lag_hours"] + hours_since
    elif kind == "mass_delete":
        row["rows_deleted"] += int(round(row_count * parameter))
    elif kind == "null_explosion":
        row["null_fraction__judge_name"] = parameter
    elif kind == "schema_change":
        row["column_count"] = 13
    return 0


def _last_business_day(day: date) -> date:
    holidays = us_federal_holidays([day.year, day.year + 1])
    while day.weekday() >= 5 or day in holidays:
        day -= timedelta(days=1)
    return day


def generate_sample_history(
    end: str | date = "2026-11-26", days: int = 730, seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate a labelled archive of daily updates of a court-filings dataset.

    Parameters
    ----------
    end : str or datetime.date, default "2026-11-26"
        Last scheduled day. The newest update must fall on a business day, so
        a weekend or federal holiday is moved back to the business day before
        (the default, Thanksgiving 2026, becomes Wednesday 2026-11-25).
    days : int, default 730
        Calendar days covered, ending on ``end``; one update per day except
        missed runs.
    seed : int, default 7
        Seed of :func:`numpy.random.default_rng`; equal seeds give equal frames.

    Returns
    -------
    archive : pandas.DataFrame
        One row per update, columns :data:`ARCHIVE_COLUMNS`, oldest first.
    labels : pandas.DataFrame
        The same rows in the same order, columns :data:`LABEL_COLUMNS`.
        ``kind`` is ``""`` for healthy rows; a missed run has no row, so its
        label sits on the first update after the gap.

    Examples
    --------
    >>> archive, labels = generate_sample_history()
    >>> len(archive), archive["update_id"].iloc[-1], str(archive["timestamp"].iloc[-1].date())
    (729, 'rev-00729', '2026-11-25')
    >>> labels["kind"].iloc[-1], int(labels["is_anomaly"].sum())
    ('partial_load', 8)
    >>> sorted(set(labels["kind"]) - {""}) == sorted(FAULT_KINDS)
    True
    """
    end_day = _last_business_day(pd.Timestamp(end).date())
    rng = np.random.default_rng(seed)
    cal = _calendar(end_day, days)
    n = len(cal)

    # Every random draw happens here, in a fixed order, so a seed fixes the frame.
    expected = _expected_created(cal)
    created = expected * rng.lognormal(0.0, 0.07, n)
    update_ratio = 0.40 * rng.lognormal(0.0, 0.12, n)
    resync_ratio = rng.uniform(0.10, 0.15, n)
    purged = np.where(rng.poisson(0.05, n) > 0, rng.integers(10, 501, n), 0)
    jitter_s = np.clip(rng.normal(240, 150, n), 0, 900).round()
    lag = np.where(cal["previous_business"], rng.normal(9, 1.5, n).clip(6, 14),
                   rng.normal(24, 3, n).clip(16, 30))
    judge_null = rng.normal(0.02, 0.0025, n).clip(0.005, 0.05)
    disposition_null = (0.15 + np.cumsum(rng.normal(0, 0.0004, n)) + rng.normal(0, 0.003, n))
    court_added_at = int(rng.integers(n // 4, 3 * n // 4))  # a new court goes live once
    faults = _plan_faults(cal, rng)
    faults[n - 1] = ("partial_load", float(rng.uniform(*_NEWEST_FRACTION)))

    rows, labels = [], []
    row_count, carried, cleanup, pending_label = _INITIAL_ROW_COUNT, 0.0, 0, ""
    for i, day in enumerate(cal["date"]):
        kind, parameter = faults.get(i, ("", 0.0))
        new = created[i] + carried
        carried = 0.0
        if kind == "missed_run":
            carried, pending_label = new, kind  # the next run loads these filings
            continue
        timestamp = day + pd.Timedelta(hours=6, seconds=float(jitter_s[i]))
        if i == n - 1:
            new = expected[i] * parameter
        elif kind == "partial_load":
            new *= parameter
        row = {
            "update_id": f"rev-{len(rows) + 1:05d}", "timestamp": timestamp,
            "rows_created": int(round(new)),
            "rows_updated": int(round(new * update_ratio[i])),
            "rows_deleted": int(purged[i]) + cleanup,
            "column_count": 14, "null_fraction__judge_name": judge_null[i],
            "null_fraction__disposition": disposition_null[i],
            "distinct_count__court_id": 62 + (i >= court_added_at),
            "freshness_lag_hours": lag[i], "duplicate_key_count": 0,
        }
        if day.day == 1 and i != n - 1:
            row["rows_updated"] = int(round(row_count * resync_ratio[i]))
        cleanup = _apply_fault(row, kind, parameter, rows[-1] if rows else {}, row_count)
        if kind == "stale_update":
            carried = new  # the next run loads what this one missed
        row_count += row["rows_created"] - row["rows_deleted"]
        row["row_count"] = row_count
        rows.append(row)
        label = kind or pending_label
        labels.append({"update_id": row["update_id"], "timestamp": timestamp,
                       "is_anomaly": int(bool(label)), "kind": label})
        pending_label = ""

    archive = pd.DataFrame(rows, columns=list(ARCHIVE_COLUMNS))
    floats = archive.select_dtypes("float").columns
    archive[floats] = archive[floats].round(6)
    return archive, pd.DataFrame(labels, columns=list(LABEL_COLUMNS))


def write_bundled_csvs(directory: str | Path | None = None) -> tuple[Path, Path]:
    """Write the default history and its labels as CSV files.

    Parameters
    ----------
    directory : str or pathlib.Path, optional
        Target directory; defaults to this package, where the bundled copies live.

    Returns
    -------
    tuple of pathlib.Path
        Paths of the archive CSV and the labels CSV.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     history, _ = write_bundled_csvs(tmp)
    ...     history.read_text().splitlines()[-1][:34]
    'rev-00729,2026-11-25T06:04:01,1073'
    """
    directory = Path(__file__).parent if directory is None else Path(directory)
    paths = tuple(directory / name for name in _CSV_NAMES)
    for frame, path in zip(generate_sample_history(), paths):
        frame.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S",
                     float_format="%.6f", lineterminator="\n")
    return paths


if __name__ == "__main__":
    for written in write_bundled_csvs():
        print(written)
