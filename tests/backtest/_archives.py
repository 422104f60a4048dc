"""Small archives for the backtest tests, built in code (no files needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def daily_archive(rows: int = 60, *, seed: int = 0, start: str = "2024-01-01 06:00") -> pd.DataFrame:
    """Daily updates: a weekly rows_created pattern, a growing row_count,
    a mostly-zero rows_deleted, a null fraction and a text column."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range(start, periods=rows, freq="D")
    created = np.where(stamps.dayofweek < 5, 2_000, 300) * rng.lognormal(0, 0.05, rows)
    return pd.DataFrame({
        "timestamp": stamps.strftime("%Y-%m-%dT%H:%M:%S"),
        "rows_created": created.round(),
        "row_count": np.cumsum(created.round()) + 10_000,
        "rows_deleted": np.where(rng.random(rows) < 0.1, rng.integers(1, 5, rows), 0),
        "null_fraction__judge": rng.uniform(0.01, 0.02, rows).round(4),
        "schema_fingerprint": ["abc123"] * rows,
    })


def labelled_archive(rows: int = 60, *, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`daily_archive` with two incidents: a partial load and a duplicate load."""
    frame = daily_archive(rows, seed=seed)
    labels = np.zeros(rows, dtype=int)
    for row, factor in ((rows // 2, 0.05), (rows - 8, 2.5)):
        frame.loc[row, "rows_created"] = round(frame.loc[row, "rows_created"] * factor)
        labels[row] = 1
    return frame, labels
