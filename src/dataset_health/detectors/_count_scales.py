"""The scales a non-negative metric is judged on: rises by a power, drops by the ratio.

A count's noise grows with its size, and its failures are multiplicative
(a partial load is "x0.2", a duplicate load "x2"). On the linear scale a
heavy-tailed count has a band reaching down to 0, so no drop can fail; on
the log scale its small values are so noisy that a burst no longer fails.
So drops are judged on the log scale (a ratio to the usual value) and
rises on the 2/3 power scale (the Box-Cox power that makes Poisson counts
nearly symmetric), which tames a heavy upper tail less than the log does.
Both map 0 to 0 and are nearly linear below 1, so fractions and small
rates are judged almost as on the linear scale. The square root (power
1/2) scored a little higher on the benchmark but let a duplicate load
pass once holidays had widened the spread; ``bench/tune_default.py`` has
the figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_POWER = 2.0 / 3.0


@dataclass(frozen=True)
class Scale:
    """A monotone map of a metric onto the scale it is judged on, and back.

    ``slope(x)`` is how far one unit of the metric moves on the scale at
    ``x``: a spread floor given in the metric's units is that many units on it.
    """

    label: str
    forward: Callable[[np.ndarray], np.ndarray]
    inverse: Callable[[float], float]
    slope: Callable[[float], float]


LINEAR = Scale("the linear scale", lambda x: x, lambda y: y, lambda x: 1.0)
# Box-Cox on 1 + x, so that 0 stays 0. (Below -1/power, the inverse's base
# would be negative and its power complex: such a point maps to -1.)
POWER = Scale("the 2/3 power scale", lambda x: ((1.0 + x) ** _POWER - 1.0) / _POWER,
              lambda y: float(max(_POWER * y + 1.0, 0.0) ** (1.0 / _POWER) - 1.0),
              lambda x: (1.0 + x) ** (_POWER - 1.0))
LOG = Scale("the log scale", np.log1p, lambda y: float(np.expm1(y)), lambda x: 1.0 / (1.0 + x))


def sides(direction: str, ratio_scales: bool) -> list[tuple[str, Scale]]:
    """Each direction to judge, with its scale.

    With ``ratio_scales`` rises are judged on :data:`POWER` and drops on
    :data:`LOG`; without, ``direction`` on :data:`LINEAR`.

    Examples
    --------
    >>> [(side, scale.label) for side, scale in sides("both", True)]
    [('up', 'the 2/3 power scale'), ('down', 'the log scale')]
    >>> [(side, scale.label) for side, scale in sides("up", False)]
    [('up', 'the linear scale')]
    """
    if not ratio_scales:
        return [(direction, LINEAR)]
    return [(side, scale) for side, scale in (("up", POWER), ("down", LOG)) if direction in ("both", side)]
