"""Synthetic labelled archives: normal update behaviour plus injected faults.

Each case is an archive of one monitored dataset (one row per update, the
metrics of ``dataset_health.archive``) whose normal behaviour has the
patterns that trip naive detectors, and into which the silent failures
this project exists to catch are injected and labelled like the shared
benchmark (``timestamp, is_anomaly, kind``):

patterns
    weekday (weekends and holidays carry a fifth of the volume, or no
    update at all), public holidays, month-end (the last day of a month
    carries two to three times the updates), a steady growth trend,
    hour-of-day shape on hourly cadences, a cumulative row count,
    mostly-zero deletes, null fractions near zero;
faults
    partial load, duplicate load, stale update, mass delete, null
    explosion, multi-day outage (updates missing, then one catch-up
    update), schema change.

Run ``python bench/synthetic.py OUTDIR`` to write the cases as CSV files.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

FAULTS = ("partial_load", "duplicate_load", "stale_update", "mass_delete", "null_explosion",
          "multi_day_outage", "schema_change")


@dataclass(frozen=True)
class SyntheticCase:
    """How one synthetic archive behaves.

    ``cadence`` is a pandas frequency; ``updates`` how many periods it
    spans (before outages remove some); ``volume`` the typical rows
    created per update; ``closed_days``: "light" (weekends and holidays
    carry a fifth of the volume), "none" (no update on them) or "open".
    """

    name: str
    cadence: str
    updates: int
    seed: int
    volume: float
    closed_days: str = "light"
    faults_per_kind: int = 2
    growth_per_year: float = 0.3


CASES = (
    SyntheticCase("synthetic_daily_weekday", "D", 365, seed=1, volume=20_000),
    SyntheticCase("synthetic_business_days", "D", 365, seed=2, volume=8_000, closed_days="none"),
    SyntheticCase("synthetic_daily_small_counts", "D", 365, seed=3, volume=40, growth_per_year=0.0),
    SyntheticCase("synthetic_hourly", "h", 24 * 30, seed=4, volume=1_500, faults_per_kind=2),
    SyntheticCase("synthetic_twice_daily", "12h", 2 * 300, seed=5, volume=5_000),
    SyntheticCase("synthetic_weekly", "7D", 156, seed=6, volume=120_000, closed_days="open", faults_per_kind=1),
)

_WARMUP = 0.15  # no fault in the first 15% of a case: every detector needs some history


def us_holidays(years: range) -> pd.DatetimeIndex:
    """New Year, Memorial Day, Independence Day, Labor Day, Thanksgiving, Christmas."""
    days = []
    for year in years:
        days += [pd.Timestamp(year, 1, 1), pd.Timestamp(year, 7, 4), pd.Timestamp(year, 12, 25)]
        may = pd.date_range(f"{year}-05-01", f"{year}-05-31", freq="W-MON")
        days += [may[-1], pd.date_range(f"{year}-09-01", periods=1, freq="WOM-1MON")[0],
                 pd.date_range(f"{year}-11-01", periods=1, freq="WOM-4THU")[0]]
    return pd.DatetimeIndex(days).normalize()


def generate(case: SyntheticCase) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The archive and its labels (same rows, same order)."""
    rng = np.random.default_rng(case.seed)
    stamps = pd.date_range("2023-01-02 06:00", periods=case.updates, freq=case.cadence)
    stamps = stamps + pd.to_timedelta(rng.integers(0, 20 * 60, stamps.size), unit="s")  # publish-time jitter
    holidays = us_holidays(range(stamps[0].year, stamps[-1].year + 1))
    closed = (stamps.dayofweek >= 5) | stamps.normalize().isin(holidays)
    if case.closed_days == "none":
        stamps, closed = stamps[~closed], closed[~closed]
    period_hours = pd.tseries.frequencies.to_offset(case.cadence).nanos / 3.6e12

    volume = _volume(case, stamps, closed, rng)
    frame = pd.DataFrame({
        "timestamp": stamps,
        "rows_created": volume,
        "rows_updated": np.round(volume * 0.35 * rng.lognormal(0, 0.15, stamps.size)),
        "rows_deleted": np.where(rng.random(stamps.size) < 0.15, rng.poisson(3, stamps.size), 0).astype(float),
        "column_count": np.full(stamps.size, 24.0),
        "duplicate_key_count": np.where(rng.random(stamps.size) < 0.02, 1.0, 0.0),
        "freshness_lag_hours": np.round(min(6.0, period_hours / 2) * rng.lognormal(0, 0.2, stamps.size), 2),
        "null_fraction__email": np.round(rng.beta(30, 970, stamps.size), 4),
        "null_fraction__amount": np.round(rng.beta(1, 2000, stamps.size), 5),
    })
    month_end = stamps.is_month_end & ~closed
    closing = rng.uniform(2, 3, int(month_end.sum()))
    frame.loc[month_end, "rows_updated"] = np.round(frame.loc[month_end, "rows_updated"] * closing)

    kinds = np.array([""] * stamps.size, dtype=object)
    frame, kinds = _inject(frame, kinds, case, period_hours, rng)
    frame["row_count"] = 250_000 + np.cumsum(frame["rows_created"] - frame["rows_deleted"])
    frame = frame[["timestamp", "rows_created", "rows_updated", "rows_deleted", "row_count", "column_count",
                   "duplicate_key_count", "freshness_lag_hours", "null_fraction__email", "null_fraction__amount"]]
    text_stamps = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    labels = pd.DataFrame({"timestamp": text_stamps, "is_anomaly": (kinds != "").astype(int), "kind": kinds})
    return frame.assign(timestamp=text_stamps).reset_index(drop=True), labels.reset_index(drop=True)


def _volume(case: SyntheticCase, stamps: pd.DatetimeIndex, closed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    years = (stamps - stamps[0]).total_seconds().to_numpy() / (365.25 * 86400)
    level = case.volume * (1 + case.growth_per_year) ** years
    if case.closed_days == "light":
        level = level * np.where(closed, 0.2, 1.0)
    if case.cadence == "h":
        level = level * (0.25 + 0.75 * np.clip(np.sin((stamps.hour.to_numpy() - 6) / 24 * 2 * np.pi), 0, None) * 1.6)
    level = level * np.where(stamps.is_month_end, 1.5, 1.0)
    if case.volume < 200:
        return rng.poisson(level).astype(float)  # small counts are counts, not a smooth volume
    return np.round(level * rng.lognormal(0, 0.08, stamps.size))


def _inject(frame: pd.DataFrame, kinds: np.ndarray, case: SyntheticCase, period_hours: float,
            rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Inject every fault kind ``faults_per_kind`` times, at spread-out random rows."""
    plan = [kind for kind in FAULTS for _ in range(case.faults_per_kind)]
    rng.shuffle(plan)
    rows = len(frame)
    first = int(rows * _WARMUP)
    slots = np.linspace(first, rows - 6, len(plan) + 1).astype(int)
    outages = []
    for kind, start, stop in zip(plan, slots[:-1], slots[1:]):
        # An outage removes the updates before its catch-up row: keep them inside its slot.
        missed = (int(rng.integers(2, 6)) if period_hours >= 24 else int(rng.integers(6, 24))) if kind == "multi_day_outage" else 0
        row = int(rng.integers(start + missed, max(start + missed + 1, stop - 6)))
        if kind == "multi_day_outage":
            outages.append((row, missed))
            continue
        _apply(frame, kinds, kind, row, period_hours, rng)
    # Outages last: they delete rows, so they are applied after the others' positions are used.
    drop = []
    for row, missed in outages:
        gone = list(range(row - missed, row))
        drop += gone
        frame.loc[row, "rows_created"] += frame.loc[gone, "rows_created"].sum()
        frame.loc[row, "rows_updated"] += frame.loc[gone, "rows_updated"].sum()
        frame.loc[row, "freshness_lag_hours"] += missed * period_hours
        kinds[row] = "multi_day_outage"
    keep = ~np.isin(np.arange(rows), drop)
    return frame[keep].reset_index(drop=True), kinds[keep]


def _apply(frame: pd.DataFrame, kinds: np.ndarray, kind: str, row: int, period_hours: float,
           rng: np.random.Generator) -> None:
    if kind == "partial_load":
        share = rng.uniform(0.05, 0.3)
        for column in ("rows_created", "rows_updated"):
            frame.loc[row, column] = round(frame.loc[row, column] * share)
    elif kind == "duplicate_load":
        frame.loc[row, "duplicate_key_count"] = frame.loc[row, "rows_created"]
        frame.loc[row, "rows_created"] *= 2
    elif kind == "stale_update":
        frame.loc[row, ["rows_created", "rows_updated", "rows_deleted"]] = 0
        frame.loc[row, "freshness_lag_hours"] += period_hours  # the content is one period old
    elif kind == "mass_delete":
        frame.loc[row, "rows_deleted"] = np.round(rng.uniform(0.1, 0.4) * (250_000 + frame["rows_created"][:row].sum()))
    elif kind == "null_explosion":
        length = int(rng.integers(1, 4))
        frame.loc[row : row + length - 1, "null_fraction__email"] = np.round(rng.uniform(0.6, 1.0, length), 4)
        kinds[row : row + length] = kind
        return
    elif kind == "schema_change":
        frame.loc[row:, "column_count"] += rng.choice([-1, 1, 2])
    kinds[row] = kind


def main(out: str) -> None:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        frame, labels = generate(case)
        frame.to_csv(folder / f"{case.name}.csv", index=False)
        labels.to_csv(folder / f"{case.name}.labels.csv", index=False)
        print(f"{case.name}: {len(frame)} updates, {int(labels['is_anomaly'].sum())} labelled rows")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "synthetic")
