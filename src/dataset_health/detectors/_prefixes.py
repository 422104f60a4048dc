"""What a walk-forward asks of every prefix of one series, answered once for the whole series.

``consensus_z`` judges each update against all the updates before it, so a
walk over n updates asks the same questions of n prefixes of one array, and
its cost per update would grow with the history. The answers that are
elementwise maps (a scale, a step, a stamp's phase) or running totals
(zeros, positive steps, phase counts and sums) are computed once for the
whole array and read at each length. They are bit for bit what the prefix
itself gives: a map is the same element by element, counts are exact, and
running sums add in time order, as ``np.bincount`` does. So the walk's
verdicts stay those of ``check`` on each prefix (the contract of
``walk_forward``); only what must see every value again (the spread around
the phase means) still grows with the history.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

# What each element adds to a running count.
_COUNTED: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "zero": lambda v: v == 0,
    "non_whole": lambda v: v != np.round(v),
    "positive": lambda v: v > 0,
    "negative": lambda v: v < 0,
}


class Whole:
    """One whole array of a walk, and what has been computed of it."""

    def __init__(self, values: np.ndarray) -> None:
        self.values, self.start = values, _start(values)
        self._kept: dict[Hashable, Any] = {}

    def kept(self, key: Hashable, compute: Callable[[np.ndarray], Any]) -> Any:
        """``compute(values)``, computed once."""
        if key not in self._kept:
            self._kept[key] = compute(self.values)
        return self._kept[key]


class Past:
    """An array of past values, read from its walk's whole array when it is a prefix of one."""

    def __init__(self, values: np.ndarray, whole: Whole | None = None) -> None:
        self.values, self.whole = values, whole

    def count(self, what: str) -> int:
        """How many values are ``what`` (a key of ``_COUNTED``)."""
        if self.whole is None:
            return int(np.count_nonzero(_COUNTED[what](self.values)))
        running = self.whole.kept(what, lambda v: np.concatenate(([0], np.cumsum(_COUNTED[what](v)))))
        return int(running[self.values.size])

    def minimum(self) -> float:
        if self.whole is None:
            return float(self.values.min())
        running = self.whole.kept("minimum", lambda v: np.concatenate(([np.inf], np.minimum.accumulate(v))))
        return float(running[self.values.size])

    def mapped(self, key: Hashable, forward: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``forward(values)`` of an elementwise ``forward`` named ``key``."""
        if self.whole is None:
            return forward(self.values)
        return self.whole.kept(("mapped", key), forward)[: self.values.size]

    def steps(self) -> np.ndarray:
        """``np.diff(values)``."""
        if self.whole is None:
            return np.diff(self.values)
        return self.whole.kept("steps", np.diff)[: max(self.values.size - 1, 0)]


class Prefixes:
    """The whole arrays one walk-forward's verdicts are prefixes of.

    A prefix is known by its memory: a view that starts where its base
    array starts. The walk holds every base it saw, so no id is reused
    while it runs.
    """

    def __init__(self) -> None:
        self._wholes: dict[int, Whole] = {}

    def past(self, values: np.ndarray) -> Past:
        base = values.base
        if not isinstance(base, np.ndarray) or base.ndim != 1 or values.ndim != 1:
            return Past(values)
        whole = self._wholes.get(id(base))
        if whole is None:
            whole = self._wholes[id(base)] = Whole(base)
        if base.dtype != values.dtype or base.strides != values.strides or whole.start != _start(values):
            return Past(values)
        return Past(values, whole)


def _start(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]
