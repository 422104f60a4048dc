"""Consensus z-score: the newest value must be extreme by every measure of its spread.

The recommended default (``bench/RESULTS.md`` has the numbers). Without a
seasonal cycle a value is judged against the mean and (population) deviation
of the whole usable history: expanding, like Deequ's OnlineNormal, but
without the tested point, which would hide an anomaly in its own baseline.

With a cycle (hour of day for hourly updates, weekday for daily ones and
for updates every 6 to 16 hours) the value is compared with the mean of its own
phase, and it fails only when two measures of the spread agree that it is
far:

- the deviation of its own phase's past values: honest about a phase that
  is noisier than the others, but shaky with few values;
- the deviation of every past value around its own phase's mean (pooled
  over phases): steady, but blind to a phase's own noise.

Either alone raises false alarms (the busy Monday hour, the phase with
four past values); asking both to agree halves the false alarms of a plain
z-score at nearly the same recall (tuning notes in ``bench/tune_default.py``).

A metric constant over its history fails on any real change and only then:
its spread is floored at a tenth of a percent of its level. So does a
metric that hardly ever moves (at most 1% of updates, as ``column_count``
does at a schema change) when it leaves the level it held, judged against
that level: its past steps would otherwise widen the deviation until the
next one passes. A step to a new
level fails once, when it happens, not at every update until the history
catches up: a value equal to the previous update's passes, and so does one
within a deviation of a previous value that was already as far out.

A non-negative metric that is not mostly zero (a count, a size, a
duration) is judged by its rises on the 2/3 power scale and by its drops
on the log scale (``_count_scales``): its noise grows with its size and
its failures are ratios, so a partial load ("x0.2") fails even where busy
days widen the linear band down to 0. The spread, season and
previous-change rules run on the scale of the side they judge; the
held-level and monthly rules, and mostly-zero counts, stay in the metric's
own units, as do bands and reasons.

A metric that rose at 90% of past updates (a cumulative row count) and
falls, or fell as steadily and rises, is judged by that step against its
past steps as well: after a year of growth a fall by half is inside the
band of its levels, but far from its usual step.

A metric that follows a clear trend without rising at nearly every update
(a row count growing 0.5% a day, with ups and downs) is judged by its
robust trend line too: a load at half its size is inside the band of a
year of levels, but far off the line (``_off_trend``).

On daily and weekly updates, a value far from the usual one passes when
the same day of past months was just as far, twice or more: a monthly
re-sync or full load is a calendar event, like the weekday, not an
incident. On a month's last day or last working day, the last (working)
days of past months count (the 30th and the 31st both close a month, and
so does Friday the 29th before a weekend), and only days that were, like
this one, working days or weekend days: a close skips a Saturday.

A count that is mostly zero (deletes, duplicate keys) is judged, when it is
not zero, against its past non-zero values: that deletes happen is not
news, their size may be. A zero that like updates had at least three times
and 5% of the time passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from dataset_health.detectors._count_scales import LINEAR, Scale, sides
from dataset_health.detectors._phases import (MIN_PHASE_HISTORY, PhaseTally, RunningTally, Season,
                                              auto_seasonality, holiday_days)
from dataset_health.detectors._prefixes import Past, Prefixes
from dataset_health.detectors._reason import band_text, fmt, reason
from dataset_health.detectors._robust import mad_sigma, median
from dataset_health.detectors._trend_line import days_before, fit_trend_line
from dataset_health.detectors.base import FAIL, PASS, Interval, Verdict
from dataset_health.detectors.baselines import _SeriesDetector, _directed
from dataset_health.detectors.calendar import HOLIDAYS_CONSTRAINT, NS_PER_DAY, NS_PER_HOUR

# The update rhythm is read from this many of the newest updates: a dataset
# that moved from daily to hourly runs is judged by its current rhythm.
_CADENCE_SPAN = 200
_SPREAD_FLOOR = 1e-3
# A metric zero this often is zero-inflated; a zero this common among like updates is usual.
_ZERO_INFLATED = 0.3
_ZERO_COMMON = 0.05
# A monthly event (a re-sync on the 1st) needs this many past months alike;
# their spread is floored at this share of their mean.
_MONTHLY_REPEATS = 2
_MONTHLY_FLOOR = 0.1
_MONTH_AGO = 27 * NS_PER_DAY  # the same day of a past month is at least this far back
# Updates not compared by weekday or hour get monthly events when they are this far apart
# (weekly, fortnightly, monthly, or irregular but about daily or slower).
_DAILY_OR_SLOWER = 20 * NS_PER_HOUR
# A metric that moved at no more than this share of past updates (and has
# this many) is judged against the level it held: see ``_leaves_held_level``.
_RARE_MOVES = 0.01
_MIN_HELD = 10
# A metric that rose (or fell) at this share of past updates is judged by its
# steps when it moves against that: see ``_against_trend``.
_STEADY_TREND = 0.9
# A metric whose trend line over its newest updates leaves at most this share
# of its spread is judged off that line: see ``_off_trend``.
_TREND_NOISE = 0.25
_TREND_WINDOW = 200
_MIN_TREND_HISTORY = 20


class ConsensusZ(_SeriesDetector):
    """Fail when the newest value is extreme by every measure of its spread (see the module notes).

    Parameters
    ----------
    sensitivity : float, default=4.0
        Deviations (population standard deviations) beyond which a view
        calls the value extreme.
    direction : {"both", "up", "down"}, default="both"
        Which deviations count.
    min_history : int, default=10
        Fewer usable past values give ``insufficient_history``.
    training_window : int or None, default=None
        How many of the newest past values form the baseline (None: all).
    seasonality : {"auto", "none", "hour_of_day", "day_of_week"}, default="auto"
        The seasonal view. "auto" takes the hour of day for hourly updates
        and the weekday for daily ones and for updates every 6 to 16 hours,
        from the newest 200 timestamps.
    holidays : None, "us_federal" or list of dates, default=None
        With the weekday view, an update on a holiday is compared with past
        holidays and weekends (days off), and holidays leave their
        weekday's baseline. One that looks like its weekday passes too
        (a business open on Columbus Day): a holiday fails only when it is
        unusual in both views.
    scale : {"auto", "linear"}, default="auto"
        "auto" judges a non-negative metric that is not mostly zero by its
        rises on the 2/3 power scale and its drops on the log scale (a
        partial load is "x0.2"); "linear" judges every metric as it is
        (as this detector did before it had scales).

    Attributes
    ----------
    history_ : ndarray
        The usable past values, oldest first.

    Examples
    --------
    >>> ConsensusZ(min_history=5).check([100, 104, 98, 101, 99, 103, 160]).status
    'fail'
    >>> ConsensusZ(min_history=5).check([7, 7, 7, 7, 7, 7, 7]).status
    'pass'
    """

    name: ClassVar[str] = "consensus_z"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "sensitivity": [Interval(0, None, closed="neither")],
        "direction": ["both", "up", "down"],
        "min_history": [Interval(1, None)],
        "training_window": [None, Interval(2, None)],
        "seasonality": ["auto", "none", "hour_of_day", "day_of_week"],
        "holidays": HOLIDAYS_CONSTRAINT,
        "scale": ["auto", "linear"],
    }

    def __init__(self, *, sensitivity: float = 4.0, direction: str = "both", min_history: int = 10,
                 training_window: int | None = None, seasonality: str = "auto", holidays: Any = None,
                 scale: str = "auto") -> None:
        self.sensitivity = sensitivity
        self.direction = direction
        self.min_history = min_history
        self.training_window = training_window
        self.seasonality = seasonality
        self.holidays = holidays
        self.scale = scale

    def walk_forward(self, values: Any, timestamps: Any = None, exclude: Any = None, *,
                     metric: str = "value") -> list[Verdict]:
        # Every verdict of the walk judges prefixes of the same arrays: what is
        # counted, summed or mapped of them is kept for the whole (``_prefixes``).
        self._prefixes = Prefixes()
        try:
            return super().walk_forward(values, timestamps, exclude, metric=metric)
        finally:
            del self._prefixes

    def _past(self, values: np.ndarray) -> Past:
        prefixes = getattr(self, "_prefixes", None)
        return Past(values) if prefixes is None else prefixes.past(values)

    def _verdict(self, history, stamps, value, stamp, metric):
        if self.training_window is not None:
            history = history[-int(self.training_window):]
            stamps = None if stamps is None else stamps[-int(self.training_window):]
        insufficient = self._insufficient(metric, value, history.size, self.min_history)
        if insufficient:
            return insufficient
        level = self._level_verdict(history, stamps, value, stamp, metric)
        if level.status == FAIL:
            # Off a clear trend, the line gives the band and reason that fit: a
            # year of growth makes the level's band span most of it.
            return self._off_trend(history, stamps, value, stamp, metric) or level
        return (self._against_trend(history, stamps, value, stamp, metric)
                or self._off_trend(history, stamps, value, stamp, metric) or level)

    def _level_verdict(self, history: np.ndarray, stamps: np.ndarray | None, value: float, stamp: int | None,
                       metric: str) -> Verdict:
        """The value judged against the usual level of its history (the module notes)."""
        if value == history[-1]:
            # A level that holds is not a new incident: the change was judged
            # (and reported) when it happened. Without this a metric that
            # steps to a new level fails again at every update until the new
            # level dominates its history.
            return self._usual(value, history, f"{metric} {fmt(value)} is unchanged since the previous update")
        kind = self._seasonality(stamps)  # once for both sides: reading the cadence is half the cost
        judged = self._judged_by_best_view(history, stamps, value, stamp, kind, self.direction)
        common = next((j for j in judged if isinstance(j, str)), None)
        if common is not None:
            return self._usual(value, history, f"{metric} {common}")
        failed = [j for j in judged if j.status == FAIL]
        if not failed:
            left = self._leaves_held_level(metric, history, value)
            if left is not None:
                return left
        # The side the value lies on speaks; the band joins both sides.
        worst = max(failed or judged, key=lambda j: j.score)
        lower = next((j.lower for j in judged if j.lower is not None), None)
        upper = next((j.upper for j in judged if j.upper is not None), None)
        return Verdict(worst.status, round(worst.score, 4), float(value), worst.mean, lower, upper,
                       int(history.size), self.name,
                       reason(metric, value, worst.mean, lower, upper, usual=worst.usual, note=worst.note))

    def _judged_by_best_view(self, history: np.ndarray, stamps: np.ndarray | None, value: float,
                             stamp: int | None, kind: str | None, direction: str,
                             steps: bool = False) -> list["_Side | str"]:
        """The sides of the view ``value`` is most usual in: a holiday is judged as a day off
        and as its weekday (``_holiday_views``). ``steps``: the values are changes between
        updates, which may be negative whatever their past."""
        return min((self._sides(history, stamps, value, stamp, kind, days_off, direction, steps)
                    for days_off in self._holiday_views(stamps, stamp, kind)), key=_view_rank)

    def _against_trend(self, history: np.ndarray, stamps: np.ndarray | None, value: float, stamp: int | None,
                       metric: str) -> Verdict | None:
        """A fail when a metric that moves one way at almost every update moved the
        other way by more than its usual steps allow, else None.

        A cumulative row count grows at every load, so its level has no usual
        value: after a year of growth a fall by half is still inside the band
        of its history. Its steps have one. When the metric rose (or fell) at
        90% of past updates and this update moved against that, the step is
        judged against past steps, with the same views and rules as a level.
        Only the move against the trend: a stall or a burst of growth shows in
        the flow metrics (rows created), and the steps of real cumulative
        counts (cases to date) are too uneven to judge every one.
        """
        if history.size <= self.min_history or getattr(self, "left_out_last_", False):
            # After an update left out of training (a labelled mass delete), the step from
            # the last trained value spans that incident's own change.
            return None
        past_steps = self._past(self._past(history).steps())
        steps, step = past_steps.values, value - float(history[-1])
        rose, fell = (past_steps.count(sign) / steps.size for sign in ("positive", "negative"))
        if rose >= _STEADY_TREND and step < 0:
            side, share, trend = "down", rose, "rose"
        elif fell >= _STEADY_TREND and step > 0:
            side, share, trend = "up", fell, "fell"
        else:
            return None
        if self.direction not in ("both", side):
            return None
        step_stamps = None if stamps is None else stamps[1:]
        kind = self._seasonality(step_stamps)
        judged = self._judged_by_best_view(steps, step_stamps, step, stamp, kind, side, steps=True)
        failed = [j for j in judged if not isinstance(j, str) and j.status == FAIL]
        if len(failed) < len(judged):
            return None
        worst = max(failed, key=lambda j: j.score)
        previous = float(history[-1])
        lower = None if worst.lower is None else previous + worst.lower
        upper = None if worst.upper is None else previous + worst.upper
        moved = f"{'fell' if step < 0 else 'rose'} {fmt(abs(step))}"
        why = (f"{metric} {fmt(value)} {moved} from the previous update's {fmt(previous)}, against its trend: "
               f"it {trend} at {share:.0%} of {steps.size} past updates, {worst.usual} step is {_signed(worst.mean)} "
               f"({band_text(lower, upper)}; steps: {worst.note})")
        return Verdict(FAIL, round(worst.score, 4), float(value), previous + worst.mean, lower, upper,
                       int(history.size), self.name, why)

    def _off_trend(self, history: np.ndarray, stamps: np.ndarray | None, value: float, stamp: int | None,
                   metric: str) -> Verdict | None:
        """A fail when a metric that follows a clear trend line left it, and jumped to do so,
        else None (``_trend_line``).

        A count growing 0.5% a day has a band of levels so wide that a load
        at half its size passes, and steps too uneven for ``_against_trend``.
        When a robust line through its newest 200 updates (on the log scale
        for a positive metric: growth is a rate) takes out at least 3/4 of
        its spread, the value fails when it is off that line by more than
        ``sensitivity`` residual deviations and its step from the previous
        update is as far from the usual step, on the same side: a drift
        that bends the trend slowly is a change of trend, not an incident.
        Not for hourly updates, whose daily cycle is wider than a trend's
        residuals; not for a metric zero at 30% of updates, nor one that
        rose or fell at nearly every update (``_against_trend`` has those).
        """
        if (history.size < max(self.min_history, _MIN_TREND_HISTORY) or stamps is None or stamp is None
                or getattr(self, "left_out_last_", False)):
            return None
        window, at = history[-_TREND_WINDOW:], stamps[-_TREND_WINDOW:]
        steps = np.diff(window)
        # Counted, not averaged: np.mean costs several times more, at every update of every metric.
        if (max(np.count_nonzero(steps > 0), np.count_nonzero(steps < 0)) >= _STEADY_TREND * steps.size
                or np.count_nonzero(window == 0) >= _ZERO_INFLATED * window.size
                or self._seasonality(at) == "hour_of_day"):
            return None
        on_log = self.scale == "auto" and window.min() > 0
        if on_log and value <= 0:
            return None  # infinitely far below a line of ratios: the level's verdict says it better
        past, observed = (np.log(window), float(np.log(value))) if on_log else (window, float(value))
        past_steps = np.diff(past)
        if np.std(past_steps) > np.std(past):
            # Steps as wide as the values (noise, a weekly cycle): no line can take out 3/4
            # of the spread. Cheap, and it spares 99% of metrics the fit.
            return None
        line = fit_trend_line(past, days_before(at, int(at[-1])))
        if line is None or line.explains < 1 - _TREND_NOISE:
            return None
        day = float(days_before(np.array([stamp]), int(at[-1]))[0])
        expected = line.at(day)
        floor = _SPREAD_FLOOR if on_log else _spread_floor(expected)
        noise = max(line.noise, floor)
        usual_step = median(past_steps)
        step_spread = max(mad_sigma(past_steps, usual_step), floor)
        off_line = _directed((observed - expected) / noise, self.direction)
        off_step = _directed((observed - past[-1] - usual_step) / step_spread, self.direction)
        if min(off_line, off_step) <= self.sensitivity or np.sign(observed - expected) != np.sign(
                observed - past[-1] - usual_step):
            return None
        back = np.exp if on_log else float
        lower = None if self.direction == "up" else float(back(expected - self.sensitivity * noise))
        upper = None if self.direction == "down" else float(back(expected + self.sensitivity * noise))
        if lower is not None and not on_log and lower < 0 <= min(window.min(), value):
            lower = 0.0
        rate = (f"{np.expm1(line.slope):+.2%} a day" if on_log else f"{_signed(line.slope)} a day")
        note = (f"it follows a trend of {rate} over {window.size} past updates, {off_line:.1f} residual "
                f"deviations off it, and its step is {off_step:.1f} deviations from the usual step")
        expected_value = float(back(expected))
        return Verdict(FAIL, round(min(off_line, off_step), 4), float(value), expected_value, lower, upper,
                       int(history.size), self.name,
                       reason(metric, value, expected_value, lower, upper, usual="its trend line's", note=note))

    def _sides(self, history: np.ndarray, stamps: np.ndarray | None, value: float, stamp: int | None,
               kind: str | None, days_off: np.ndarray | None, direction: str,
               steps: bool = False) -> list["_Side | str"]:
        """The verdict on each side ``direction`` asks for, each on its scale."""
        return [self._side(history, stamps, value, stamp, side, scale, kind, days_off, steps)
                for side, scale in sides(direction, self._ratio_scales(history, value))]

    def _holiday_views(self, stamps: np.ndarray | None, stamp: int | None,
                       kind: str | None) -> list[np.ndarray | None]:
        """The holiday masks of ``stamps`` and ``stamp`` to judge by: ``[None]`` without a
        calendar, else the calendar's and, on a holiday, also one where the tested day
        is its weekday. Many holidays of a calendar are working days for many
        businesses (Columbus Day, Veterans Day), so one that looks like its weekday is
        usual too."""
        if kind != "day_of_week" or self.holidays is None or stamps is None or stamp is None:
            return [None]
        days = np.append(stamps, stamp) // NS_PER_DAY
        off = np.isin(days, holiday_days(self.holidays, int(days.min()), int(days.max())))
        if not off[-1]:
            return [off]
        worked = off.copy()
        worked[-1] = False
        return [off, worked]

    def _ratio_scales(self, history: np.ndarray, value: float) -> bool:
        """Whether rises and drops are judged on the power and log scales (``_count_scales``):
        a non-negative metric that is not mostly zero, unless ``scale="linear"``."""
        if self.scale != "auto" or not value >= 0:
            return False
        past = self._past(history)
        return past.minimum() >= 0 and past.count("zero") / history.size < _ZERO_INFLATED

    def _side(self, history: np.ndarray, stamps: np.ndarray | None, value: float, stamp: int | None,
              direction: str, scale: Scale, kind: str | None,
              days_off: np.ndarray | None = None, steps: bool = False) -> "_Side | str":
        """The verdict on one side (``direction``) judged on ``scale``, in the metric's own units,
        or why the value is usual; ``days_off`` marks the holidays of ``stamps`` and ``stamp``."""
        past, observed = self._past(history).mapped(scale.label, scale.forward), float(scale.forward(value))
        judged = self._judge(past, stamps, observed, stamp, direction, scale, kind, days_off)
        if isinstance(judged, str):
            return judged
        score, mean, widest = judged.score, judged.mean, max(judged.scales)
        lower = None if direction == "up" else mean - self.sensitivity * widest
        if lower is not None and lower < 0 <= min(past.min(), observed) and not steps:
            lower = 0.0  # a count or a fraction never was negative: say so, not "expected -3,500 to ..."
        upper = None if direction == "down" else mean + self.sensitivity * widest
        status = FAIL if score > self.sensitivity else PASS
        usual, note = judged.usual, judged.note
        if scale is not LINEAR:
            # Back on the metric's units the scale's mean is not the arithmetic mean.
            usual, note = usual.replace("the mean", "the usual"), f"{note}, on {scale.label}"
        # A monthly event is one in the metric's own units: its floors are shares of its level.
        monthly = self._same_day_of_past_months(history, stamps, value, stamp, kind) if status == FAIL else None
        if monthly is not None:
            status = PASS
            note = (f"like the same day of past months, a monthly event: {monthly.size} of them averaged "
                    f"{fmt(monthly.mean())}")
        if status == FAIL and self._continues_previous_change(past, stamps, observed, judged, direction, scale):
            status = PASS
            note = (f"it holds the previous update's {fmt(float(history[-1]))}, which was already as far out: "
                    "the change was judged when it happened")
        return _Side(status, score, scale.inverse(mean), None if lower is None else scale.inverse(lower),
                     None if upper is None else scale.inverse(upper), usual, note)

    def _leaves_held_level(self, metric: str, history: np.ndarray, value: float) -> Verdict | None:
        """A fail when ``value`` leaves the level its metric held, if the metric
        hardly ever moves (``column_count``: every past step was a schema
        change), else None.

        Past steps widen the deviation, so the second schema change of a
        year would pass a z-score. A metric that moved at no more than 1% of
        past updates is judged instead against the level it held for at
        least two updates, its spread floored like a constant metric's. A
        metric that never moved is that constant case already; a return to
        the usual level after a one-update blip is not a change of level;
        and a sparse count (deletes) is still judged by the size of its
        past non-zero values, since that it happens is not news.
        """
        if history.size < max(self.min_history, _MIN_HELD) or value == history[-1] or history[-1] != history[-2]:
            return None
        moves = np.flatnonzero(np.diff(history))
        if not 0 < moves.size <= _RARE_MOVES * (history.size - 1) or (value != 0 and _sparse_count(self._past(history))):
            return None
        level = float(history[-1])
        floor = _spread_floor(level)
        score = _directed((value - level) / floor, self.direction)
        if score <= self.sensitivity:
            return None
        lower = None if self.direction == "up" else level - self.sensitivity * floor
        upper = None if self.direction == "down" else level + self.sensitivity * floor
        held = int(history.size - (moves[-1] + 1))
        note = (f"it held {fmt(level)} for {held} updates and moved {moves.size} "
                f"{'time' if moves.size == 1 else 'times'} in {history.size} past updates: a change of level")
        return Verdict(FAIL, round(score, 4), float(value), level, lower, upper, int(history.size), self.name,
                       reason(metric, value, level, lower, upper, usual="the held level", note=note))

    def _same_day_of_past_months(self, history: np.ndarray, stamps: np.ndarray | None, value: float,
                                 stamp: int | None, kind: str | None) -> np.ndarray | None:
        """The values of this day of the month in past months, when they make
        ``value`` a monthly event (a re-sync on the 1st, a month-end close)
        rather than an anomaly.

        The day is the same day of the month or, on a month's last day or
        last working day (Monday to Friday), the last (working) day of past
        months: the 30th and the 31st both close a month, and so does Friday
        the 29th before a weekend. Updates compared by weekday (daily, or
        every 6 to 16 hours) or a day or more apart (weekly, monthly,
        irregular) only, and only days at least four weeks back: on several
        updates a day, an incident since this morning is not a past month.

        Days are compared with days of their kind, working days or weekend
        days: a month-end that fell on a Saturday had no close, and against
        all days every weekend would be far. Every past same day of the
        kind (at least two) must itself be far from the median of the kind,
        on the same side as ``value`` (by median deviations: the events
        themselves must not widen the scale), and ``value`` must be like
        them: within ``sensitivity`` of their spread, floored at a tenth of
        their mean, since a handful of months gives a shaky deviation.
        ``kind`` is the seasonality of ``stamps``.
        """
        if stamps is None or stamp is None or self.seasonality == "none" or kind == "hour_of_day":
            return None
        if kind is None and (stamps.size < _MONTHLY_REPEATS
                             or np.median(np.diff(stamps[-_CADENCE_SPAN:])) < _DAILY_OR_SLOWER):
            return None
        dates = pd.DatetimeIndex(np.append(stamps, stamp).astype("datetime64[ns]"))
        weekday = dates.dayofweek.to_numpy()
        working = weekday < 5
        same_kind = working[:-1] == working[-1]
        earlier = (stamps <= stamp - _MONTH_AGO) & same_kind
        day = dates.day.to_numpy()
        anchors = [day[:-1] == day[-1]]
        days_left = (dates.days_in_month - dates.day).to_numpy()
        last_working = working & ((days_left == 0) | ((weekday == 4) & (days_left <= 2)))
        for ends_a_month in (days_left == 0, last_working):
            if ends_a_month[-1]:
                anchors.append(ends_a_month[:-1])
        alike = history[same_kind]
        if alike.size == 0:
            return None
        center = median(alike)
        scale = max(mad_sigma(alike, center), _spread_floor(center))
        side = np.sign(value - center)
        for anchor in anchors:
            same = history[anchor & earlier]
            if same.size < _MONTHLY_REPEATS or not np.all(side * (same - center) > self.sensitivity * scale):
                continue
            mean = float(same.mean())
            spread = max(float(same.std()), _MONTHLY_FLOOR * abs(mean))
            if abs(value - mean) <= self.sensitivity * spread:
                return same
        return None

    def _judge(self, history: np.ndarray, stamps: np.ndarray | None, value: float, stamp: int | None,
               direction: str, scale: Scale, kind: str | None,
               days_off: np.ndarray | None = None) -> "_Judged | str":
        """How far ``value`` is from ``history`` by every view, or why it is usual (a common zero);
        ``kind`` is the seasonality of ``stamps``."""
        # A count that is mostly zero (deletes, duplicate keys): that it
        # happens is not news, so a non-zero value is judged by how big past
        # non-zero values were, without a season.
        sparse = value != 0 and _sparse_count(self._past(history))
        kind = None if sparse else kind
        season = None if kind is None or stamp is None else Season.of(
            history, stamps, stamp, kind, days_off, self._kept_tally(history, stamps, kind, days_off))
        like = history if season is None else season.values
        if value == 0 and np.mean(like == 0) >= _ZERO_COMMON and np.count_nonzero(like == 0) >= MIN_PHASE_HISTORY:
            return f"0 is usual: {np.mean(like == 0):.0%} of {like.size} like past updates were 0"
        baseline, usual, context = history, "the mean", f"the mean of {history.size} past updates"
        if sparse:
            baseline = history[history != 0]
            usual, context = "the usual non-zero value", f"the {baseline.size} past non-zero updates"
        if season is None:
            mean, spreads = float(baseline.mean()), (float(baseline.std()),)
        else:
            mean, spreads = season.mean, (season.deviation, season.pooled)
            usual, context = f"the usual {season.name}", f"past {season.plural}"
        # A history without spread still needs a finite scale: a tenth of a
        # percent of its level, so that any real change of a constant metric
        # fails with a score that says how far it went.
        floor = _spread_floor(mean, scale)
        scales = [max(spread, floor) for spread in spreads]
        # The weaker view decides: every view must call the value extreme.
        signed = [(value - mean) / scale for scale in scales]
        if max(spreads) < floor:
            note = f"constant over {context}"
        elif season is None:
            note = f"{abs(signed[0]):.1f} deviations from {context}"
        else:
            note = f"{abs(signed[0]):.1f} deviations from {context}, {abs(signed[1]):.1f} from the {season.pattern} pattern"
        return _Judged(min(_directed(z, direction) for z in signed), mean, scales, usual, note)

    def _kept_tally(self, history: np.ndarray, stamps: np.ndarray, kind: str,
                    days_off: np.ndarray | None) -> PhaseTally | None:
        """The phases of ``history``, read from what its walk kept of the whole, if it did."""
        past, times = self._past(history), self._past(stamps)
        if (past.whole is None or times.whole is None or days_off is not None
                or past.whole.values.size != times.whole.values.size):  # a tally pairs values and stamps by position
            return None
        running = past.whole.kept(("phases", id(times.whole), kind),
                                  lambda whole: RunningTally(whole, times.whole.values, kind))
        return running.at(history.size)

    def _continues_previous_change(self, history: np.ndarray, stamps: np.ndarray | None, value: float,
                                   judged: "_Judged", direction: str, scale: Scale) -> bool:
        """Whether ``value`` holds a change already judged: the previous
        value was itself as far out, judged against its own past and its own
        phase, and ``value`` lies within one deviation of it. (Against the
        current phase instead, a Monday at Sunday's level would pass.)"""
        previous = float(history[-1])
        if abs(value - previous) > min(judged.scales) or history.size <= self.min_history:
            return False
        earlier = None if stamps is None else stamps[:-1]
        at = None if stamps is None else int(stamps[-1])
        kind = self._seasonality(earlier)
        # A holiday that was usual as its weekday was no change, whatever it was as a day off.
        views = [self._judge(history[:-1], earlier, previous, at, direction, scale, kind, days_off)
                 for days_off in self._holiday_views(earlier, at, kind)]
        return all(not isinstance(v, str) and v.score > self.sensitivity for v in views)

    def _usual(self, value: float, history: np.ndarray, why: str) -> Verdict:
        """A pass that needs no band: the value is what like past updates had."""
        return Verdict(PASS, 0.0, float(value), float(value), None, None, int(history.size), self.name, why)

    def _seasonality(self, stamps: np.ndarray | None) -> str | None:
        if self.seasonality == "none" or stamps is None or stamps.size == 0:
            return None
        if self.seasonality != "auto":
            return self.seasonality
        # Asked up to three times per verdict (level, trend, trend line) of the same stamps.
        return auto_seasonality(np.ascontiguousarray(stamps[-_CADENCE_SPAN:], dtype=np.int64).tobytes())


@dataclass(frozen=True)
class _Side:
    """The verdict on one side of the usual value, in the metric's own units."""

    status: str
    score: float
    mean: float
    lower: float | None
    upper: float | None
    usual: str
    note: str


@dataclass(frozen=True)
class _Judged:
    """How far a value is from its baseline: the weakest view's score, and what the reason says."""

    score: float
    mean: float
    scales: list[float]
    usual: str
    note: str


def _view_rank(judged: list["_Side | str"]) -> tuple[bool, float]:
    """How badly one view's sides judge the value, lowest best: a view with no failed side
    before one with (a side can pass far out, as a monthly event), then by the highest
    score; a side that found the value usual (a common zero) ranks the view first."""
    if any(isinstance(j, str) for j in judged):
        return False, -np.inf
    return any(j.status == FAIL for j in judged), max(j.score for j in judged)


def _spread_floor(level: float, scale: Scale = LINEAR) -> float:
    """The smallest spread a value is judged by: a tenth of a percent of its level (of 1 near
    zero) in the metric's own units, however far that is on ``scale`` (``level`` is on it)."""
    own = scale.inverse(level)
    return _SPREAD_FLOOR * max(abs(own), 1.0) * scale.slope(own)


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + fmt(value)


def _sparse_count(history: Past) -> bool:
    """Whole numbers, zero at least 30% of the time, non-zero at least twice (a spread to judge by)."""
    size, zeros = history.values.size, history.count("zero")
    return zeros / size >= _ZERO_INFLATED and size - zeros >= 2 and history.count("non_whole") == 0
