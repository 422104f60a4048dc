"""Metric history charts as inline SVG.

Why the SVG is written here and not by a plotting library: a health check
redraws the chart of every judged metric (each check adds a point, so none
can be reused), and a chart is only a line, a band, some marks, grid lines
and axis labels. matplotlib took about 50 ms per chart and pygal as long at
a year of points (its cost is per point), together more than half of a warm
check; writing the elements directly takes about 3 ms.

The SVG holds no script and no text a dataset provides: the only text is axis
labels and mark tooltips formatted from numbers and dates, and the template
escapes it anyway.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import jinja2
import numpy as np
import pandas as pd

VALUE_COLOR = "#1f4e79"
BAND_COLOR = "#9ecae1"
FAIL_COLOR = "#c0392b"
INCIDENT_COLOR = "#8e44ad"
GRID_COLOR = "#e6e9ed"
WIDTH, HEIGHT = 800, 190
LEFT, RIGHT, TOP, BOTTOM = 64, 10, 8, 22  # room for the y labels and the x labels
Y_TICKS = 5
MAX_X_LABELS = 8

# What the page says once above its charts: (name, colour, "line", "dot" or
# "cross"). Alarms are drawn over incidents, so a caught incident shows as a
# dot inside a cross and a false alarm as a dot alone.
LEGEND = (
    ("value", VALUE_COLOR, "line"),
    ("expected range", BAND_COLOR, "line"),
    ("anomaly", FAIL_COLOR, "dot"),
    ("labelled incident", INCIDENT_COLOR, "cross"),
)

# Date label spacings from an hour to a year, with how each is written.
_DATE_STEPS = (
    ("h", "%H:%M"), ("3h", "%H:%M"), ("6h", "%b %d %H:%M"), ("12h", "%b %d %H:%M"),
    ("D", "%b %d"), ("2D", "%b %d"), ("7D", "%b %d"), ("14D", "%b %d"),
    ("MS", "%b %Y"), ("2MS", "%b %Y"), ("QS", "%b %Y"), ("6MS", "%b %Y"), ("YS", "%Y"), ("5YS", "%Y"),
)

_SVG = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(
    """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{ width }} {{ height }}" width="{{ width }}" \
height="{{ height }}" font-family="sans-serif" font-size="10" role="img">
{% for tick in y_ticks %}
<line x1="{{ left }}" x2="{{ right }}" y1="{{ tick.at }}" y2="{{ tick.at }}" stroke="{{ grid }}"/>
<text x="{{ left - 6 }}" y="{{ tick.at + 3 }}" text-anchor="end" fill="#555">{{ tick.label }}</text>
{% endfor %}
{% for tick in x_ticks %}
<text x="{{ tick.at }}" y="{{ height - 6 }}" text-anchor="middle" fill="#555">{{ tick.label }}</text>
{% endfor %}
<line x1="{{ left }}" x2="{{ right }}" y1="{{ bottom }}" y2="{{ bottom }}" stroke="#999"/>
{% for band in bands %}
<polygon points="{{ band }}" fill="{{ band_color }}" fill-opacity="0.55" stroke="none"/>
{% endfor %}
{% for line in lines %}
<polyline points="{{ line }}" fill="none" stroke="{{ value_color }}" stroke-width="1.3" stroke-linejoin="round"/>
{% endfor %}
{% for mark in incidents %}
<path d="M{{ mark.x - 5 }},{{ mark.y - 5 }}l10,10m0,-10l-10,10" stroke="{{ incident_color }}" stroke-width="2">\
<title>{{ mark.title }} (labelled incident)</title></path>
{% endfor %}
{% for mark in failed %}
<circle cx="{{ mark.x }}" cy="{{ mark.y }}" r="3.5" fill="{{ fail_color }}"><title>{{ mark.title }}</title></circle>
{% endfor %}
</svg>"""
)


@dataclass(frozen=True)
class _Tick:
    at: float
    label: str


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector while a page's charts are drawn.

    Drawing allocates many small objects, which keeps triggering collections;
    with GX and pandas loaded each one walks a large heap. Nothing drawn here
    is cyclic garbage that must go early; the collector resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def metric_chart_svg(points: pd.DataFrame) -> str:
    """An SVG chart of one metric.

    ``points`` has columns timestamp, value, lower, upper (band, where a
    check computed one), failed (bool) and incident (bool).
    """
    stamps = pd.DatetimeIndex(pd.to_datetime(points["timestamp"], format="ISO8601"))  # precision varies by row
    if stamps.tz is not None:
        stamps = stamps.tz_localize(None)  # drawn in the archive's own wall-clock time
    seconds = stamps.asi8.astype(float) / 1e9
    values = pd.to_numeric(points["value"], errors="coerce").to_numpy(dtype=float)
    lower = pd.to_numeric(points["lower"], errors="coerce").to_numpy(dtype=float)
    upper = pd.to_numeric(points["upper"], errors="coerce").to_numpy(dtype=float)

    x = _scale(seconds, _span(seconds), LEFT, WIDTH - RIGHT)
    low, high = _value_range(np.concatenate([values, lower, upper]))
    ticks = _nice_ticks(low, high, Y_TICKS)
    low, high = min(low, ticks[0]), max(high, ticks[-1])

    def to_y(numbers: np.ndarray) -> np.ndarray:  # SVG y grows downwards
        return _scale(np.clip(numbers, low, high), (low, high), HEIGHT - BOTTOM, TOP)

    y = to_y(values)
    has_band = np.isfinite(lower) & np.isfinite(upper)
    y_lower, y_upper = to_y(lower), to_y(upper)

    return _SVG.render(
        width=WIDTH, height=HEIGHT, left=LEFT, right=WIDTH - RIGHT, bottom=HEIGHT - BOTTOM,
        grid=GRID_COLOR, band_color=BAND_COLOR, value_color=VALUE_COLOR,
        fail_color=FAIL_COLOR, incident_color=INCIDENT_COLOR,
        y_ticks=[_Tick(_round(at), _number(t)) for at, t in zip(to_y(np.array(ticks)), ticks)],
        x_ticks=_date_ticks(stamps, seconds),
        lines=[_points(x[run], y[run]) for run in _runs(np.isfinite(values))],
        bands=[_points(np.r_[x[run], x[run][::-1]], np.r_[y_upper[run], y_lower[run][::-1]])
               for run in _runs(has_band)],
        failed=_marks(points["failed"], x, y, stamps, values),
        incidents=_marks(points["incident"], x, y, stamps, values),
    )


def _span(seconds: np.ndarray) -> tuple[float, float]:
    if len(seconds) == 0:
        return (0.0, 1.0)
    first, last = float(seconds.min()), float(seconds.max())
    return (first - 1, last + 1) if first == last else (first, last)


_LARGEST = 1e300


def _value_range(values: np.ndarray) -> tuple[float, float]:
    # Beyond 1e300 the range itself overflows to infinity (1.7e308 is a finite double); no chart
    # tells those magnitudes apart anyway.
    finite = np.clip(values[np.isfinite(values)], -_LARGEST, _LARGEST)
    if len(finite) == 0:
        return (0.0, 1.0)
    low, high = float(finite.min()), float(finite.max())
    if low == high:  # a constant metric: drawn mid-axis, not on a scale of nothing
        return (low - 1, high + 1)
    pad = (high - low) * 0.04
    # A count never below zero keeps zero as its floor instead of a negative tick.
    return (max(low - pad, 0.0) if low >= 0 else low - pad, high + pad)


def _scale(values: np.ndarray, domain: tuple[float, float], start: float, end: float) -> np.ndarray:
    return start + (values - domain[0]) / (domain[1] - domain[0]) * (end - start)


def _nice_ticks(low: float, high: float, count: int) -> list[float]:
    """About ``count`` round numbers (1, 2 or 5 times a power of ten apart) covering low..high."""
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    return [first + i * step for i in range(int(math.ceil((high - first) / step - 1e-9)) + 1)]


def _date_ticks(stamps: pd.DatetimeIndex, seconds: np.ndarray) -> list[_Tick]:
    if len(stamps) == 0:
        return []
    first, last = stamps.min(), stamps.max()
    for freq, pattern in _DATE_STEPS:
        ticks = pd.date_range(first.ceil("D") if freq[-1] in "DS" else first.ceil("h"), last, freq=freq)
        if len(ticks) <= MAX_X_LABELS:
            break
    x = _scale(ticks.asi8.astype(float) / 1e9, _span(seconds), LEFT, WIDTH - RIGHT)
    return [_Tick(_round(at), stamp.strftime(pattern)) for at, stamp in zip(x, ticks)]


def _runs(mask: np.ndarray) -> list[slice]:
    """The stretches where ``mask`` holds: a missing value breaks the line."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return [slice(start, stop) for start, stop in zip(edges[::2], edges[1::2])]


def _points(x: np.ndarray, y: np.ndarray) -> str:
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x.tolist(), y.tolist()))


def _marks(flags: pd.Series, x: np.ndarray, y: np.ndarray, stamps: pd.DatetimeIndex,
           values: np.ndarray) -> list[dict[str, object]]:
    where = np.flatnonzero(flags.to_numpy(dtype=bool) & np.isfinite(values))
    return [{"x": _round(x[i]), "y": _round(y[i]), "title": f"{stamps[i]:%Y-%m-%d %H:%M}: {_number(values[i])}"}
            for i in where]


def _round(value: float) -> float:
    return round(float(value), 1)


def _number(value: float) -> str:
    if abs(value) >= 1e15:
        return f"{value:.3g}"  # "2e+300", not a hundred digits across the chart
    if abs(value) >= 1000 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.4g}"
