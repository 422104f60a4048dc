"""Health-history pages in the Data Docs site.

For each monitored dataset, ``<site>/dataset_health/<dataset>.html`` shows a
pass/fail timeline of every check (latest on top) and, for every judged
metric, a chart of its history with the expected band, the anomalies and the
labelled incidents. ``<site>/dataset_health/index.html`` lists the datasets,
and GX's own index gets a link to it.

Pages are rebuilt from the archive and the verdict table (the source of
truth) after each check. Charts cover the newest ``CHART_WINDOW`` updates, so
the cost of a rebuild stays bounded however long the history grows. Pages
are self-contained (inline CSS and SVG) and every dataset-provided string is
escaped by Jinja's autoescape.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID, slug
from dataset_health.archive.store import ArchiveStore
from dataset_health.archive.verdicts import (
    HEALTH_CHECKED_AT,
    HEALTH_FAILED,
    HEALTH_STATUS,
    LABEL,
    LABEL_NOTE,
    read_verdicts,
)
from dataset_health.docs.charts import LEGEND, cyclic_gc_paused, metric_chart_svg
from dataset_health.gx_files import atomic_write_text

CHART_WINDOW = 365
SITE_FOLDER = "dataset_health"
DEFER_INDEX_ENV = "DATASET_HEALTH_DEFER_INDEXES"
_LINK_START = "<!-- dataset-health link -->"
_LINK_END = "<!-- /dataset-health link -->"

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("dataset_health.docs", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class DatasetSummary:
    """One line of the health index page."""

    name: str
    page: str
    status: str
    update_id: str
    checked_at: str
    checks: int
    owner: str


def page_name(dataset: str) -> str:
    return f"{slug(dataset, max_length=60)}.html"


def render_history_site(
    store: ArchiveStore,
    site_dir: str | Path,
    datasets: list[str] | None = None,
    owners: dict[str, str] | None = None,
) -> Path:
    """Write the history pages of ``datasets`` (default: every archived one)
    and the health index into the Data Docs site at ``site_dir``; return the
    health index path."""
    site_dir = Path(site_dir)
    folder = site_dir / SITE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    owners = owners or {}
    for dataset in datasets if datasets is not None else store.datasets():
        page = folder / page_name(dataset)
        atomic_write_text(page, render_history_page(store, dataset, owner=owners.get(dataset, "")))
    index = folder / "index.html"
    if index_pages_deferred():
        return index  # `check --all` writes the index once, after the last check
    summaries = [_summary(store, name, owners.get(name, "")) for name in store.datasets()]
    atomic_write_text(index, _templates.get_template("index.html.j2").render(datasets=summaries, generated=_now()))
    link_from_gx_index(site_dir / "index.html")
    return index


@contextmanager
def deferred_index_pages() -> Iterator[None]:
    """Within this block (and in processes started in it), checks write their
    own pages but not the site's index pages: GX's index (which loads every
    suite and validation result) and the health index (which reads every
    dataset's archive). Rebuilding them after each of n checks costs O(n^2);
    ``check --all`` writes both once, at the end."""
    previous = os.environ.get(DEFER_INDEX_ENV)
    os.environ[DEFER_INDEX_ENV] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(DEFER_INDEX_ENV, None)
        else:
            os.environ[DEFER_INDEX_ENV] = previous


def index_pages_deferred() -> bool:
    return os.environ.get(DEFER_INDEX_ENV) == "1"


def render_history_page(store: ArchiveStore, dataset: str, *, owner: str = "") -> str:
    """The HTML of ``dataset``'s health-history page."""
    history = store.history(dataset)
    verdicts = read_verdicts(store, dataset)
    timeline = _timeline(history, verdicts)
    charts = _charts(history.tail(CHART_WINDOW), verdicts)
    return _templates.get_template("history.html.j2").render(
        dataset=dataset,
        owner=owner,
        timeline=timeline,
        charts=charts,
        legend=LEGEND,
        updates=len(history),
        checks=len(timeline),
        window=CHART_WINDOW,
        generated=_now(),
    )


def link_from_gx_index(gx_index: Path) -> None:
    """Add (or refresh) a link to the health pages at the top of GX's index."""
    if not gx_index.is_file():
        return
    html = gx_index.read_text(encoding="utf-8")
    html = re.sub(re.escape(_LINK_START) + ".*?" + re.escape(_LINK_END), "", html, flags=re.S)
    link = (
        f'{_LINK_START}<div style="padding:8px 20px;background:#eef4fb;border-bottom:1px solid #c9d8ea;'
        f'font:14px sans-serif"><a href="{SITE_FOLDER}/index.html">Dataset health history</a>'
        f" &mdash; pass/fail timeline and metric charts of every monitored dataset</div>{_LINK_END}"
    )
    html = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + link, html, count=1)
    atomic_write_text(gx_index, html)


def _timeline(history: pd.DataFrame, verdicts: pd.DataFrame) -> list[dict[str, Any]]:
    if HEALTH_STATUS not in history:
        return []
    checked = history[history[HEALTH_STATUS].notna()].iloc[::-1]
    reasons = _failure_reasons(verdicts)
    rows = []
    for _, row in checked.iterrows():
        failed = [m for m in str(row.get(HEALTH_FAILED) or "").split(",") if m]
        rows.append({
            "update_id": row[UPDATE_ID],
            "timestamp": row[TIMESTAMP].strftime("%Y-%m-%d %H:%M"),
            "status": row[HEALTH_STATUS],
            "failed": [(metric, reasons.get((row[UPDATE_ID], metric), "")) for metric in failed],
            "checked_at": row.get(HEALTH_CHECKED_AT) or "",
            "label": _text(row.get(LABEL)),
            "label_note": _text(row.get(LABEL_NOTE)),
        })
    return rows


def _failure_reasons(verdicts: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(update id, failed metric or expectation) -> the detectors' reasons, as the
    timeline names them: a reader of this page alone sees why an update failed,
    without opening GX's validation page."""
    failed = verdicts[~verdicts["success"].astype(bool)]
    reasons: dict[tuple[str, str], list[str]] = {}
    for row in failed.itertuples(index=False):
        if isinstance(row.reason, str) and row.reason:
            reasons.setdefault((row.update_id, row.metric or row.expectation), []).append(row.reason)
    return {key: "; ".join(dict.fromkeys(texts)) for key, texts in reasons.items()}


def _charts(history: pd.DataFrame, verdicts: pd.DataFrame) -> list[dict[str, Any]]:
    metrics = sorted(m for m in verdicts["metric"].dropna().unique() if m and m in history)
    incidents = history[LABEL].eq("incident") if LABEL in history else pd.Series(False, index=history.index)
    charts = []
    with cyclic_gc_paused():
        for metric in metrics:
            rows = verdicts[verdicts["metric"] == metric]
            # A metric judged by several rules (an anomaly rule and a seasonal range, a
            # stricter second rule): the first rule draws the band, a failure of any is marked.
            judged = rows.drop_duplicates("update_id").set_index("update_id")
            failed = rows["status"].eq("fail").groupby(rows["update_id"]).any()
            points = pd.DataFrame({
                "timestamp": history[TIMESTAMP].to_numpy(),
                "value": pd.to_numeric(history[metric], errors="coerce").to_numpy(),
                "lower": history[UPDATE_ID].map(judged["lower"]).to_numpy(dtype=float),
                "upper": history[UPDATE_ID].map(judged["upper"]).to_numpy(dtype=float),
                "failed": history[UPDATE_ID].map(failed).eq(True).to_numpy(),
                "incident": incidents.to_numpy(),
            })
            if points["value"].notna().any():
                charts.append({"metric": metric, "svg": metric_chart_svg(points),
                               "anomalies": int(points["failed"].sum()), "failing_now": bool(points["failed"].iloc[-1])})
    # What failed in the newest check first, then the busiest metrics.
    return sorted(charts, key=lambda c: (not c["failing_now"], -c["anomalies"], c["metric"]))


def _summary(store: ArchiveStore, dataset: str, owner: str) -> DatasetSummary:
    columns = set(store.history(dataset, last=1).columns)
    wanted = [UPDATE_ID, TIMESTAMP] + [c for c in (HEALTH_STATUS, HEALTH_CHECKED_AT) if c in columns]
    history = store.history(dataset, columns=wanted)
    checked = history[history[HEALTH_STATUS].notna()] if HEALTH_STATUS in history else history.iloc[0:0]
    latest = checked.iloc[-1] if len(checked) else None
    return DatasetSummary(
        name=dataset,
        page=page_name(dataset),
        status=latest[HEALTH_STATUS] if latest is not None else "not checked",
        update_id=latest[UPDATE_ID] if latest is not None else "",
        checked_at=(latest.get(HEALTH_CHECKED_AT) or "") if latest is not None else "",
        checks=len(checked),
        owner=owner,
    )


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
