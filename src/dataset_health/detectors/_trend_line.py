"""A robust straight line through a metric's recent history, for metrics that grow or shrink.

A row count that grows 0.5% a day for a year spans a band so wide that a
partial load at half its size is inside it; its steps, though, are noisy
enough (ups and downs) that the steady-trend rule of ``consensus_z`` does
not apply. Around its trend line, the same metric is steady. The line is
fitted on time (days), so missed runs do not bend it, and robustly, so
past incidents do not tilt it: the slope is the median of the slopes
between pairs half a window apart (a Theil-Sen estimate on a fixed
pairing: linear in time, not quadratic), the intercept the median of the
offsets, the noise the MAD of the residuals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dataset_health.detectors._robust import mad_sigma, median
from dataset_health.detectors.calendar import NS_PER_DAY


@dataclass(frozen=True)
class TrendLine:
    """``value ≈ intercept + slope * day`` with residual spread ``noise``; day 0 is the newest past update."""

    intercept: float
    slope: float  # per day
    noise: float
    spread: float  # of the values themselves, around their median

    def at(self, day: float) -> float:
        return self.intercept + self.slope * day

    @property
    def explains(self) -> float:
        """How much of the spread the line takes out: 1 - noise / spread."""
        return 1.0 - self.noise / self.spread if self.spread > 0 else 0.0


def days_before(stamps: np.ndarray, newest: int) -> np.ndarray:
    """Days from ``newest`` (int64 UTC nanoseconds) to each of ``stamps``: 0 at newest, negative before."""
    return (stamps.astype(np.int64) - np.int64(newest)) / NS_PER_DAY


def fit_trend_line(values: np.ndarray, days: np.ndarray) -> TrendLine | None:
    """The robust line through ``values`` at ``days``; None when time does not move (all at one day)."""
    half = values.size // 2
    if half < 2:
        return None
    rise, run = values[-half:] - values[:half], days[-half:] - days[:half]
    moving = run > 0
    if not np.any(moving):
        return None
    slope = median(rise[moving] / run[moving])
    intercept = median(values - slope * days)
    residuals = values - (intercept + slope * days)
    return TrendLine(intercept, slope, mad_sigma(residuals, 0.0), mad_sigma(values))
