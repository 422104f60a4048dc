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

Two kinds of detector share these conventions:

- :class:`BaseDetector` judges one metric: ``fit(values, timestamps)``,
  ``judge(value, timestamp)``;
- :class:`BaseMultivariateDetector` judges several archive columns at once:
  ``fit(frame, timestamps)``, ``judge(row, timestamp)``, and its
  :class:`MultivariateVerdict` names the columns that drove the score.

Both take an optional boolean ``exclude`` mask in ``fit`` and ``check``:
rows labelled as incidents are left out of training, so that a known bad
update neither widens the band nor becomes "normal".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
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


@dataclass(frozen=True)
class MultivariateVerdict(Verdict):
    """A verdict on several metrics at once.

    ``contributions`` maps each column to its share (0 to 1, summing to 1
    when the score is positive) of what made the row look anomalous, so
    that an alert can say *which* metrics were odd.
    """

    contributions: dict[str, float] = field(default_factory=dict)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
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


class _ParameterChecking(BaseEstimator):
    """``_parameter_constraints`` checked when ``fit`` starts."""

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
        window, needed = getattr(self, "training_window", None), getattr(self, "min_history", None)
        if not (isinstance(window, int) and isinstance(needed, int)):
            return
        held = self._past_values_held(window)
        if held < needed:
            # The window caps the history: every check would say it has too little.
            capacity = "is smaller than" if held == window else (
                f"holds at most {held} past values (the tested value is one of the window's), fewer than")
            raise ValueError(f"{type(self).__name__}: training_window {window} {capacity} "
                             f"min_history {needed}, so no update could ever be judged")

    def _past_values_held(self, window: int) -> int:
        """How many past values a ``training_window`` of ``window`` holds at most."""
        return window


class Rule:
    """A parameter constraint given by a predicate and what it means in words.

    ``Rule(lambda v: ..., "a list of dates")`` for constraints an
    :class:`Interval` or a list of allowed values cannot say.
    """

    def __init__(self, predicate: Any, description: str) -> None:
        self.predicate, self.description = predicate, description

    def __call__(self, value: Any) -> bool:
        try:
            return bool(self.predicate(value))
        except (TypeError, ValueError):
            return False

    def __str__(self) -> str:
        return self.description


class BaseDetector(_ParameterChecking):
    """Base class: parameter checking, the walk-forward ``check`` helper.

    Subclasses set ``name`` and ``_parameter_constraints`` (parameter ->
    list of allowed values or :class:`Interval`, with ``None`` meaning the
    parameter may be None), and implement ``fit`` and ``judge``. ``fit``
    accepts ``exclude``, a boolean mask as long as ``values``: True marks a
    row to leave out of training (a labelled incident).

    A detector may also offer ``walk_forward(values, timestamps)``, the
    verdict for every row from the rows before it only, when it can do that
    much faster than one ``check`` per row (the backtest uses it then).
    """

    def fit(self, values: Any, timestamps: Any = None, exclude: Any = None) -> "BaseDetector":
        raise NotImplementedError

    def judge(self, value: Any, timestamp: Any = None, *, metric: str = "value") -> Verdict:
        raise NotImplementedError

    def check(
        self, values: Any, timestamps: Any = None, *, metric: str = "value", exclude: Any = None
    ) -> Verdict:
        """Fit on every value but the newest, then judge the newest.

        ``exclude`` (optional, as long as ``values``) marks past rows to leave
        out of training; its last entry is ignored, since the newest value
        is always the one judged.

        Examples
        --------
        >>> from dataset_health.detectors import RobustZScore
        >>> RobustZScore(min_history=5).check([100, 104, 98, 101, 99, 103, 12]).status
        'fail'
        """
        values = as_float_array(values)
        if values.size == 0:
            raise ValueError("check() needs at least the value under test")
        stamps = as_timestamps(timestamps, values.size)
        past = None if stamps is None else stamps[:-1]
        if exclude is None:  # detectors written before ``exclude`` still work
            self.fit(values[:-1], past)
        else:
            self.fit(values[:-1], past, exclude=as_mask(exclude, values.size)[:-1])
        return self.judge(values[-1], None if stamps is None else stamps[-1], metric=metric)


class BaseMultivariateDetector(_ParameterChecking):
    """Base class of detectors that judge several archive columns at once.

    ``fit(frame, timestamps=None, exclude=None)`` learns from a DataFrame
    whose columns are metrics and whose rows are past updates (oldest
    first); ``judge(row, timestamp=None)`` returns a
    :class:`MultivariateVerdict` for one new row (a Series indexed by the
    same column names). The verdict's ``contributions`` name the columns
    that drove its score.
    """

    def fit(self, frame: pd.DataFrame, timestamps: Any = None, exclude: Any = None) -> "BaseMultivariateDetector":
        raise NotImplementedError

    def judge(self, row: pd.Series, timestamp: Any = None, *, metric: str = "update") -> MultivariateVerdict:
        raise NotImplementedError

    def check(
        self, frame: pd.DataFrame, timestamps: Any = None, *, metric: str = "update", exclude: Any = None
    ) -> MultivariateVerdict:
        """Fit on every row but the newest, then judge the newest."""
        frame = pd.DataFrame(frame).reset_index(drop=True)
        if frame.empty:
            raise ValueError("check() needs at least the row under test")
        stamps = as_timestamps(timestamps, len(frame))
        mask = None if exclude is None else as_mask(exclude, len(frame))[:-1]
        self.fit(frame.iloc[:-1], None if stamps is None else stamps[:-1], exclude=mask)
        return self.judge(frame.iloc[-1], None if stamps is None else stamps[-1], metric=metric)


def _allows(rule: Any, value: Any) -> bool:
    if rule is None:
        return value is None
    if isinstance(rule, (Interval, Rule)):
        return rule(value)
    if isinstance(rule, type):
        return isinstance(value, rule) and not isinstance(value, bool)
    return value == rule


def _describe(rule: Any) -> str:
    if rule is None:
        return "None"
    if isinstance(rule, type):
        return f"an instance of {rule.__name__}"
    return str(rule) if isinstance(rule, (Interval, Rule)) else repr(rule)


def as_float_array(values: Any) -> np.ndarray:
    """Values as floats, with anything that is not a finite number as NaN.

    Archives can hold junk (text in a numeric column, inf); a detector treats
    such a value as missing rather than crashing or learning from it.
    """
    try:
        array = np.array(values, dtype=float)  # the common case: numbers and None/NaN only
    except (TypeError, ValueError):
        series = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype(float)
        array = series.to_numpy()
    if array.ndim != 1:
        array = array.reshape(-1)
    array[~np.isfinite(array)] = np.nan
    return array


def as_timestamps(timestamps: Any, size: int | None = None) -> pd.DatetimeIndex | None:
    """Timestamps as a timezone-naive UTC DatetimeIndex (None stays None).

    Archives mix aware and naive times; comparing them raises, so every
    detector works in naive UTC.
    """
    if timestamps is None:
        return None
    if isinstance(timestamps, pd.DatetimeIndex):
        stamps = timestamps  # already parsed: walk-forward loops pass slices
    else:
        # ISO8601, not the format of the first value: an archive mixes whole seconds (an import)
        # with microseconds (a capture at 'now'), and one inferred format fails on the other.
        stamps = pd.DatetimeIndex(pd.to_datetime(timestamps, format="ISO8601"))
    if stamps.tz is not None:
        stamps = stamps.tz_convert("UTC").tz_localize(None)
    if size is not None and len(stamps) != size:
        raise ValueError(f"timestamps has {len(stamps)} entries but there are {size} values")
    if stamps.hasnans:
        raise ValueError(f"timestamps has no time at position {int(np.flatnonzero(stamps.isna())[0])}: "
                         "every value needs the time of its update")
    return stamps


def as_timestamp(timestamp: Any) -> pd.Timestamp | None:
    """One timestamp, timezone-naive UTC, or None."""
    if timestamp is None:
        return None
    stamp = pd.Timestamp(timestamp)
    if stamp.tz is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def as_mask(exclude: Any, size: int) -> np.ndarray:
    """An ``exclude`` argument as a boolean array of ``size`` (missing means keep)."""
    mask = np.array([False if v is None or v != v else bool(v) for v in exclude], dtype=bool)  # v != v: NaN
    if mask.size != size:
        raise ValueError(f"exclude has {mask.size} entries but there are {size} values")
    return mask
