"""Metric history charts as inline SVG, drawn with matplotlib.

Text is drawn as paths (``svg.fonttype = "path"``), so a hostile metric or
dataset name cannot become markup inside the page, and the SVG needs no
fonts or network to display.
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")  # no display on servers and in CI

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

_STYLE = {
    "svg.fonttype": "path",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
}
VALUE_COLOR = "#1f4e79"
BAND_COLOR = "#9ecae1"
FAIL_COLOR = "#c0392b"
INCIDENT_COLOR = "#8e44ad"


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector while charts are drawn.

    matplotlib allocates thousands of small objects per chart, which keeps
    triggering collections; with GX and pandas loaded each one walks a large
    heap, and together they took 40% of the drawing time. Figures are closed
    explicitly, so nothing piles up; the collector resumes afterwards.
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
    with plt.rc_context(_STYLE):
        # Fixed margins, not constrained layout: measuring every tick label's
        # extent took two thirds of each chart's time, and the axes only ever
        # hold the same kinds of labels.
        figure, axes = plt.subplots(figsize=(8.0, 2.2))
        figure.subplots_adjust(left=0.1, right=0.99, top=0.97, bottom=0.13)
        try:
            band = points.dropna(subset=["lower", "upper"])
            if not band.empty:
                axes.fill_between(band["timestamp"], band["lower"], band["upper"], color=BAND_COLOR,
                                  alpha=0.5, linewidth=0, step="mid", label="expected range")
            axes.plot(points["timestamp"], points["value"], color=VALUE_COLOR, linewidth=1.1, label="value")
            failed = points[points["failed"]]
            axes.scatter(failed["timestamp"], failed["value"], color=FAIL_COLOR, s=22, zorder=3, label="anomaly")
            incidents = points[points["incident"]]
            axes.scatter(incidents["timestamp"], incidents["value"], marker="x", color=INCIDENT_COLOR, s=30,
                         zorder=4, label="labelled incident")
            values = points["value"].dropna()
            if len(values) and values.max() == values.min():
                # A constant metric: show it mid-axis instead of on a 1e-9 scale.
                axes.set_ylim(values.min() - 1, values.max() + 1)
            axes.ticklabel_format(axis="y", useOffset=False, style="plain")
            axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(mdates.AutoDateLocator()))
            axes.legend(loc="upper left", fontsize=7, frameon=False, ncols=4)
            buffer = io.StringIO()
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        finally:
            plt.close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype: the SVG is inlined in HTML
    return re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)  # RDF boilerplate, no use inline
