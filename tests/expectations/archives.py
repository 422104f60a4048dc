"""Synthetic daily archives with one fault injected into the newest update."""

from __future__ import annotations

import numpy as np
import pandas as pd

FAULTS = ("partial_load", "duplicate_load", "null_explosion", "weekday_load_on_sunday")


def daily_archive(days: int = 70, *, fault: str | None = None, end: str = "2024-05-08 06:00",
                  seed: int = 5) -> pd.DataFrame:
    """``days`` daily updates ending at ``end`` (a Wednesday): weekdays bring ~20,000 rows, weekends ~2,000."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range(end=end, periods=days, freq="D")
    created = np.where(stamps.dayofweek < 5, 20_000, 2_000) * rng.lognormal(0, 0.05, days)
    frame = pd.DataFrame({
        "update_id": [f"rev-{i:03d}" for i in range(days)],
        "timestamp": stamps,
        "rows_created": created.round(),
        "rows_updated": (0.4 * created * rng.lognormal(0, 0.05, days)).round(),
        "duplicate_key_count": rng.poisson(0.3, days).astype(float),
        "null_fraction__judge": rng.normal(0.02, 0.001, days).round(5),
    })
    last = frame.index[-1]
    if fault == "partial_load":
        for metric in ("rows_created", "rows_updated"):
            frame.loc[last, metric] = round(frame.loc[last, metric] * 0.1)
    elif fault == "duplicate_load":
        frame.loc[last, "duplicate_key_count"] = frame.loc[last, "rows_created"]
        frame.loc[last, "rows_created"] *= 2
    elif fault == "null_explosion":
        frame.loc[last, "null_fraction__judge"] = 0.6
    elif fault == "weekday_load_on_sunday":
        assert stamps[-1].dayofweek == 6, "end must be a Sunday"
        frame.loc[last, "rows_created"] = 20_000
    elif fault is not None:
        raise ValueError(f"unknown fault {fault!r}")
    frame["row_count"] = 1_000_000 + frame["rows_created"].cumsum()
    return frame
