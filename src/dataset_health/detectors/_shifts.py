"""Level shifts: when a metric moved for good, the new level becomes normal.

A metric that changes legitimately once (a new column, a bigger source,
nulls fixed for good) would otherwise fail on every update until the
window forgets the old level. After a shift, a value fails only if it is
anomalous against the old level and the new one; once the new level has
lasted ``min_history`` updates, it alone is the history. The detector
passed in is any single-metric detector after ``_describe``.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from dataset_health.detectors._robust import mad_sigma, median
from dataset_health.detectors._seasons import Baseline, seasonal_baseline

SHIFT_CONFIRMATIONS = 2  # updates failing on the same side that make a new level
_MIN_BEFORE_SHIFT = 3  # values before a shift needed to call it one


def _head(stamps: pd.DatetimeIndex | None, size: int) -> pd.DatetimeIndex | None:
    return None if stamps is None else stamps[:size]


def level_shift_start(detector: Any) -> int | None:
    """Where a lasting level shift began, if the newest updates show one.

    A metric that changes legitimately once (a new column, a bigger
    source, nulls fixed for good) would otherwise fail on every update
    until the window forgets the old level. Two views, because a short
    run of odd values must be judged by the model (a weekend is not a
    shift) while a long one can be seen plainly:

    - long: the newest ``min_history`` or more values all lie beyond
      ``sensitivity`` robust deviations of the values before them, on one
      side; they alone are then the history;
    - short: the last ``SHIFT_CONFIRMATIONS`` values all fail on one
      side under the model fitted without them; they are then an
      alternative level a new value may match.
    """
    n, k = detector.history_.size, SHIFT_CONFIRMATIONS
    needed = detector._needed()[0]
    if n < needed + k or detector._constant():
        return None
    z = detector._forward(detector.history_)
    for length in sorted({n - _MIN_BEFORE_SHIFT, 3 * n // 4, n // 2, needed}, reverse=True):
        if needed <= length <= n - _MIN_BEFORE_SHIFT and _beyond(detector, z[:n - length], z[n - length:]):
            start, before = n - length, z[:n - length]
            while start > _MIN_BEFORE_SHIFT and _beyond(detector, before, z[start - 1:]):
                start -= 1  # the shift began earlier than the candidate length
            return start
    if detector.scale_ == "count":
        return None  # a discrete metric repeating a new value passes anyway; see _assess
    # The short view asks a seasonal robust baseline, not the detector's
    # own model: as cheap for a forest as for a median, and a weekend
    # is compared with weekends, so it is never a "new level".
    view = copy.copy(detector)
    view.history_, view.timestamps_ = detector.history_[:-k], _head(detector.timestamps_, n - k)
    stamps = detector.timestamps_
    sides = set()
    for i in range(n - k, n):
        baseline = seasonal_baseline(view, z[:n - k], None if stamps is None else stamps[i])
        sides.add(_side(detector, baseline, z[i:i + 1]))
    return n - k if len(sides) == 1 and 0 not in sides else None


def _beyond(detector: Any, before: np.ndarray, after: np.ndarray) -> bool:
    """Whether every value of ``after`` lies far from ``before``, all on one side."""
    return _side(detector, Baseline(before, before - median(before), ""), after) != 0

def _side(detector: Any, baseline: Baseline, after: np.ndarray) -> int:
    """+1 or -1 when every value of ``after`` lies far above or below the baseline, else 0."""
    center = median(baseline.values)
    spread = max(mad_sigma(baseline.deviations, 0.0), detector._spread_floor(center))
    scores = (after - center) / spread
    return 1 if np.all(scores > detector.sensitivity) else -1 if np.all(scores < -detector.sensitivity) else 0

def new_level(detector: Any, start: int) -> tuple[float, float, pd.Timestamp | None]:
    """Center and noise (model scale) of the updates since a shift, and its time."""
    z = detector._forward(detector.history_)
    before = np.diff(z[:start])
    noise = mad_sigma(before) / np.sqrt(2)
    return median(z[start:]), noise, None if detector.timestamps_ is None else detector.timestamps_[start]
