"""Health-history pages: content, escaping, and a real render in headless Chromium."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from dataset_health.archive import ArchiveStore
from dataset_health.archive.verdicts import read_verdicts, record_verdicts, set_label
from dataset_health.docs.history import SITE_FOLDER, page_name, render_history_site

HOSTILE = "filings <script>document.title='pwned'</script> \"q\" & 'x'"


def verdict(metric: str, *, fail: bool = False, observed: float = 100.0) -> dict:
    return {
        "expectation": "expect_column_latest_value_to_not_be_anomalous",
        "metric": metric,
        "status": "fail" if fail else "pass",
        "success": not fail,
        "score": 9.0 if fail else 0.5,
        "observed": observed,
        "expected": 100.0,
        "lower": 80.0,
        "upper": 120.0,
        "reason": f"{metric} <b>{observed}</b>",
    }


@pytest.fixture
def site(tmp_path: Path) -> tuple[ArchiveStore, Path]:
    store = ArchiveStore(f"sqlite:///{tmp_path / 'archive.db'}")
    stamps = pd.date_range("2024-01-01 06:00", periods=40, freq="D")
    frame = pd.DataFrame({
        "update_id": [f"u{i:02d}" for i in range(40)],
        "timestamp": stamps,
        "rows_created": [100.0] * 39 + [5.0],
        "null_fraction__judge": 0.01,
    })
    store.append(HOSTILE, frame)
    record_verdicts(store, HOSTILE, {f"u{i:02d}": [verdict("rows_created")] for i in range(30, 39)})
    record_verdicts(store, HOSTILE, {"u39": [verdict("rows_created", fail=True, observed=5.0)]})
    set_label(store, HOSTILE, "u39", "incident", note="<i>partial</i> load")
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    (site_dir / "index.html").write_text("<html><body><p>GX index</p></body></html>")
    render_history_site(store, site_dir, owners={HOSTILE: "Ada <Admin>"})
    return store, site_dir


def test_verdicts_and_summary_are_stored(site) -> None:
    store, _ = site
    history = store.history(HOSTILE)
    newest = history.iloc[-1]
    assert (newest["health_status"], newest["health_failed"], newest["label"]) == ("unhealthy", "rows_created", "incident")
    assert history["health_status"].notna().sum() == 10
    verdicts = read_verdicts(store, HOSTILE)
    assert len(verdicts) == 10 and verdicts["status"].eq("fail").sum() == 1


def test_two_rules_on_one_metric_each_keep_their_verdict(site) -> None:
    store, site = site
    # The default rule and a stricter one for drops, as docs/expectations.md shows.
    record_verdicts(store, HOSTILE, {"u39": [verdict("rows_created", fail=True, observed=5.0),
                                             verdict("rows_created", observed=5.0)]})
    stored = read_verdicts(store, HOSTILE)
    newest = stored[stored["update_id"] == "u39"].sort_values("expectation")
    assert newest["expectation"].tolist() == ["expect_column_latest_value_to_not_be_anomalous",
                                              "expect_column_latest_value_to_not_be_anomalous#2"]
    assert newest["success"].tolist() == [False, True]
    render_history_site(store, site)  # the chart of a metric with two verdicts per update
    page = (site / SITE_FOLDER / page_name(HOSTILE)).read_text(encoding="utf-8")
    assert "rows_created" in page


def test_a_check_whose_expectations_only_raised_is_an_error_not_unhealthy(site) -> None:
    store, _ = site
    raised = {**verdict("rows_created"), "status": "error", "success": False, "score": None}
    record_verdicts(store, HOSTILE, {"u38": [raised, verdict("null_fraction__judge")]})
    row = store.history(HOSTILE).set_index("update_id").loc["u38"]
    assert row["health_status"] == "error" and row["health_failed"] == "rows_created"



def test_a_failure_without_a_reason_is_named_alone_and_repeated_reasons_once(site) -> None:
    store, site_dir = site
    silent = {**verdict("rows_created", fail=True, observed=5.0), "reason": None}
    stricter = {**verdict("null_fraction__judge", fail=True), "reason": "nulls doubled"}
    record_verdicts(store, HOSTILE, {"u38": [silent, stricter, stricter]})
    render_history_site(store, site_dir)
    html = (site_dir / SITE_FOLDER / page_name(HOSTILE)).read_text()
    cell = re.search(r'<td>u38</td>.*?<td class="failed">(.*?)</td>', html, re.S).group(1)
    assert cell == "<div><strong>null_fraction__judge</strong>: nulls doubled</div><div><strong>rows_created</strong></div>"


def test_page_lists_checks_latest_first_and_escapes_dataset_strings(site) -> None:
    _, site_dir = site
    html = (site_dir / SITE_FOLDER / page_name(HOSTILE)).read_text()
    rows = re.findall(r'<tr class="check (\w+)">\s*<td>(u\d+)</td>', html)
    assert [u for _, u in rows] == [f"u{i:02d}" for i in range(39, 29, -1)]
    assert rows[0][0] == "unhealthy" and {s for s, _ in rows[1:]} == {"healthy"}
    assert "<script>document.title" not in html
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in html
    assert "&lt;i&gt;partial&lt;/i&gt; load" in html and "Ada &lt;Admin&gt;" in html
    # Why the newest update failed, in the detector's words (escaped), on the row of that check only.
    assert html.count('<td class="failed"><div>') == 1
    assert "<div><strong>rows_created</strong>: rows_created &lt;b&gt;5.0&lt;/b&gt;</div>" in html
    assert html.count("<svg") == 1  # one judged metric, one chart
    # Self-contained: nothing loaded from elsewhere.
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<link" not in html and "<script" not in html


def test_gx_index_links_to_the_health_pages_once(site) -> None:
    store, site_dir = site
    render_history_site(store, site_dir)  # a second check refreshes, never duplicates, the link
    index = (site_dir / "index.html").read_text()
    assert index.count('href="dataset_health/index.html"') == 1
    health_index = (site_dir / SITE_FOLDER / "index.html").read_text()
    assert f'href="{page_name(HOSTILE)}"' in health_index and "unhealthy" in health_index


def test_page_renders_in_headless_chromium_without_errors(site, chromium: str, tmp_path: Path) -> None:
    _, site_dir = site
    page = site_dir / SITE_FOLDER / page_name(HOSTILE)
    completed = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    console = [line for line in completed.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    dom = completed.stdout
    # The hostile name is text in the heading, and its script never ran.
    assert "pwned</title>" not in dom
    assert re.search(r'<h1 id="dataset-name">filings &lt;script&gt;', dom)
    assert dom.count('class="check ') == 10
    assert '<div class="chart" data-metric="rows_created">' in dom and "<svg" in dom
