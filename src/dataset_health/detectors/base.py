"""What every detector shares: its parameters, its verdict, its contract.

A detector follows scikit-learn's conventions: ``__init__`` only stores
keyword arguments, they are checked when ``fit`` starts against the table
``_parameter_constraints`` on the class, learned state ends in ``_``, and
``fit`` returns ``self``. Scoring never changes state.

Every detector answers one question about the newest update of one metric:
is it anomalous given the history before it? The answer is a
:class:`Verdict`, with a third outcome beside pass and fail,
``insufficient_history``, so that a new dataset is never silently passed
nor falsely alarmed. Detectors know nothing of GX, SQL or files.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from numbers import Real
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

Status = Literal["pass", "fail", "insufficient_history"]
PASS: Status = "pass"
FAIL: Status = "fail"
INSUFFICIENT_HISTORY: Status = "insufficient_history"


@dataclass(frozen=True)
class Verdict:
    """A detector's judgement of the newest value of one metric.

    ``score`` is non-negative and higher means more anomalous; it is
    comparable to ``sensitivity`` (the point fails when the score exceeds
    it). ``expected``, ``lower`` and ``upper`` are in the metric's own units.
    """

    status: Status
    score: float | None
    observed: float | None
    expected: float | None
    lower: float | None
    upper: float | None
    history_size: int
    detector: str
    reason: str

    @property
    def is_anomaly(self) -> bool:
        return self.status == FAIL

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (no NaN, no numpy scalars)."""
        return {k: _json_safe(v) for k, v in asdict(self).items()}


def _json_safe(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


class Interval:
    """A numeric parameter constraint: ``Interval(0, None, closed="neither")``."""

    def __init__(self, low: float | None, high: float | None, *, closed: str = "both") -> None:
        self.low, self.high, self.closed = low, high, closed

    def __call__(self, value: Any) -> bool:
        if not isinstance(value, Real) or isinstance(value, bool) or math.isnan(value):
            return False
        low_ok = self.low is None or (value >= self.low if self.closed in ("both", "left") else value > self.low)
        high_ok = self.high is None or (value <= self.high if self.closed in ("both", "right") else value < self.high)
        return low_ok and high_ok

    def __str__(self) -> str:
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        return f"a number in {left}{low}, {high}{right}"


class BaseDetector(BaseEstimator):
    """Base class: parameter checking, the walk-forward ``check`` helper.

    Subclasses set ``name`` and ``_parameter_constraints`` (parameter ->
    list of allowed values or :class:`Interval`, with ``None`` meaning the
    parameter may be None), and implement ``fit`` and ``judge``.
    """

    name: ClassVar[str] = "base"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    def _validate_params(self) -> None:
        for param, allowed in self._parameter_constraints.items():
            value = getattr(self, param)
            if any(_allows(rule, value) for rule in allowed):
                continue
            wanted = " or ".join(_describe(rule) for rule in allowed)
            raise ValueError(
                f"{type(self).__name__}: parameter {param!r} must be {wanted}; got {value!r}"
            )

    def fit(self, values: Any, timestamps: Any = None) -> "BaseDetector":
        raise NotImplementedError

    def judge(self, value: Any, timestamp: Any = None, *, metric: str = "value") -> Verdict:
        raise NotImplementedError

    def check(self, values: Any, timestamps: Any = None, *, metric: str = "value") -> Verdict:
        """Fit on every value but the newest, then judge the newest.

        Examples
        --------
        >>> from dataset_health.detectors import RobustZScore
        >>> RobustZScore(min_history=5).check([100, 104, 98, 101, 99, 103, 12]).status
        'fail'
        """
        values = as_float_array(values)
        if values.size == 0:
            raise ValueError("check() needs at least the value under test")
        stamps = None if timestamps is None else pd.DatetimeIndex(pd.to_datetime(timestamps))
        self.fit(values[:-1], None if stamps is None else stamps[:-1])
        return self.judge(values[-1], None if stamps is None else stamps[-1], metric=metric)


def _allows(rule: Any, value: Any) -> bool:
    if rule is None:
        return value is None
    if isinstance(rule, Interval):
        return rule(value)
    if isinstance(rule, type):
        return isinstance(value, rule) and not isinstance(value, bool)
    return value == rule


def _describe(rule: Any) -> str:
    if rule is None:
        return "None"
    if isinstance(rule, type):
        return f"an instance of {rule.__name__}"
    return str(rule) if isinstance(rule, Interval) else repr(rule)


def as_float_array(values: Any) -> np.ndarray:
    """Values as floats, with anything that is not a finite number as NaN.

    Archives can hold junk (text in a numeric column, inf); a detector treats
    such a value as missing rather than crashing or learning from it.
    """
    series = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype(float)
    array = series.to_numpy()
    array[~np.isfinite(array)] = np.nan
    return array
