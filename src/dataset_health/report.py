"""The competition report: one self-contained HTML page.

Inline CSS and inline SVG charts, both the Data Docs health pages' own
(``docs/charts.py``), so the page opens offline and loads nothing from a CDN.
Every string that comes from the data (file name, column names, detector
parameters, error messages) goes through Jinja's autoescape; the charts
carry no data text at all (metric names are HTML captions; the charts draw
only numbers and dates).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from dataset_health.competition import CompetitionResult, Contestant
from dataset_health.docs.charts import LEGEND, metric_chart_svg
from dataset_health.errors import writing
from dataset_health.scoring import events, warmup_rows

#: Charts per contestant: its metrics with the most alarms.
CHARTS_PER_DETECTOR = 3

_HEADERS = {"f1": "event F1", "false_alarms_per_100": "false alarms / 100", "alarms_per_100": "alarms / 100",
            "ms_per_point": "ms per point", "events_detected": "events found"}
# What a contestant's own table shows, of the scores it has.
_SECTION_SCORES = ("f1", "precision", "recall", "false_alarms_per_100", "alarms_per_100", "events_detected",
                   "events", "alarms")

_templates = jinja2.Environment(
    loader=jinja2.ChoiceLoader([
        jinja2.PackageLoader("dataset_health", "templates"),
        jinja2.PackageLoader("dataset_health.docs", "templates"),  # the shared page style
    ]),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def write_report(result: CompetitionResult, path: str | Path, *, title: str) -> Path:
    """Write the report of ``result`` to ``path``; return the path."""
    html = render_report(result, title=title)
    with writing(path, what="the report") as target:
        target.write_text(html, encoding="utf-8")
    return target


def render_report(result: CompetitionResult, *, title: str) -> str:
    """The report of ``result`` as an HTML string."""
    table = result.table()
    winner = result.winner() if result.labelled and any(c.skipped is None for c in result.contestants) else None
    sections = [_section(result, contestant) for contestant in result.ranking()]
    return _templates.get_template("competition.html.j2").render(
        title=title,
        rows=result.series.rows,
        metrics=list(result.series.metrics),
        labelled=result.labelled,
        events=_events(result),
        warmup=warmup_rows(result.series.rows),
        warmup_events=_warmup_events(result),
        columns=[c for c in table.columns if c != "skipped"],
        headers=_HEADERS,
        table=[{k: _fmt(v) for k, v in row.items()} for row in table.to_dict("records")],
        winner=None if winner is None else winner.name,
        sections=sections,
        legend=LEGEND if result.labelled else tuple(entry for entry in LEGEND if entry[2] != "cross"),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _section(result: CompetitionResult, contestant: Contestant) -> dict[str, Any]:
    section: dict[str, Any] = {
        "name": contestant.name,
        "config": json.dumps(contestant.config.to_dict(), default=str),
        "scores": {k: _fmt(contestant.scores[k]) for k in _SECTION_SCORES if k in contestant.scores},
        "skipped": contestant.skipped or "",
        "seconds": _fmt(contestant.seconds),
        "ms_per_point": _fmt(contestant.milliseconds_per_point),
        "alarms_by_metric": [],
        "charts": [],
    }
    if contestant.skipped or contestant.metric_alarms is None:
        return section
    counts = contestant.metric_alarms.sum().sort_values(ascending=False, kind="stable")
    section["alarms_by_metric"] = [{"metric": m, "alarms": int(n)} for m, n in counts.items() if n > 0]
    charted = [m for m, n in counts.items() if n > 0][:CHARTS_PER_DETECTOR] or list(result.series.metrics[:1])
    section["charts"] = [{"metric": m, "svg": _chart(result, contestant, m)} for m in charted]
    return section


def _chart(result: CompetitionResult, contestant: Contestant, metric: str) -> str:
    series, order = result.series, result.series.order
    labels = np.zeros(series.rows, dtype=bool) if result.labels is None else result.labels[order]
    points = pd.DataFrame({
        "timestamp": series.timestamps,
        "value": series.values[metric],
        "lower": contestant.metric_lower[metric].to_numpy()[order],
        "upper": contestant.metric_upper[metric].to_numpy()[order],
        "failed": contestant.metric_alarms[metric].to_numpy()[order],
        "incident": labels,
    })
    return metric_chart_svg(points)


def _events(result: CompetitionResult) -> int | None:
    return None if result.labels is None else len(events(result.labels))


def _warmup_events(result: CompetitionResult) -> int:
    """Labelled incidents wholly inside the warm-up, which no detector is scored on."""
    if result.labels is None:
        return 0
    return sum(stop <= warmup_rows(result.series.rows) for _, stop in events(result.labels))


def _fmt(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "—"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3f}"
    return str(value)
