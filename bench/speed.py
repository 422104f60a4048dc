"""Speed benchmark: dataset-health against the floor, measured in the same run.

Each part compares what dataset-health does with the least a user could do
for the same answer, on the same data, in the same run, and reports the
ratio (bench/SPEED.md). Targets come from issue 7 ("Operate at scale").

    (a) ``check`` of one dataset vs a bare GX checkpoint with one built-in
        expectation on the same archive: fresh process and warm (<= 1.3x)
    (b) capture of an N-row, 20-column PostgreSQL table (generate_series,
        dropped after) vs one hand-written aggregate query (<= 1.5x)
    (c) capture of a 1-million-row DataFrame vs plain pandas (<= 2x)
    (d) years of hourly history: the default's walk-forward backtest at 1 and
        3 years (cost per update should not grow), against Deequ
        OnlineNormal's running mean on the same rows; one ``check`` of a
        3-year hourly archive against one of a year of daily updates
    (e) ``check --all`` over many datasets with a year of daily history each
    (f) Data Docs build time as the history grows to 100/300/1000 checks

    python bench/speed.py [--only a,b,c,d,e,f] [--sql-rows 10000000] [--datasets 100] [--hourly-years 1,3]
                          [--frame-rows 1000000] [--docs-sizes 100,300,1000]
                          [--postgres-url URL] [--output bench/SPEED.md]

The machine is shared: the load average at start and end is recorded, and
every ratio compares runs made minutes apart on the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

import dataset_health  # noqa: F401  (registers the plugin with GX)
from dataset_health.archive import ArchiveStore
from dataset_health.archive.verdicts import record_verdicts
from dataset_health.capture import dataframe_batch, profile_batch, sql_batch
from dataset_health.check_all import run_all_health_checks
from dataset_health.docs.history import render_history_site
from dataset_health.health_check import run_health_check
from dataset_health.init_project import init_project

BENCH = Path(__file__).resolve().parent
DEFAULT_PG = os.environ.get("DATASET_HEALTH_TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FLOOR_CHECKPOINT = "floor"
HISTORY_DAYS = 366


# ----------------------------------------------------------------- helpers
def timed(function: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Fastest wall seconds of ``repeat`` calls, and the last result.

    The fastest, not the median: on a shared machine other work only ever
    adds time, so the fastest run is the one least disturbed by it.
    """
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def fresh_process(code: str, cwd: Path, repeat: int = 3) -> float:
    """Fastest wall seconds of a new Python process running ``code``."""
    def run() -> None:
        done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True)
        if done.returncode not in (0, 1):  # 1: an unhealthy verdict is a normal outcome
            raise RuntimeError(done.stderr[-2000:])
    return timed(run, repeat)[0]


def demo_history() -> pd.DataFrame:
    with resources.as_file(resources.files("dataset_health.demo") / "court_filings_history.csv") as path:
        return pd.read_csv(path)


def year_of_history() -> pd.DataFrame:
    return demo_history().iloc[-HISTORY_DAYS - 1 : -1].reset_index(drop=True)


def load() -> str:
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in ("great_expectations", "pandas", "numpy", "SQLAlchemy", "psycopg", "jinja2", "pyspark"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "-"
    return {"cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(),
            "os": platform.platform(), **versions}


# --------------------------------------------------------------- (a) check
def add_floor_checkpoints(project_root: Path, archive_url: str, table: str) -> None:
    """Bare GX checkpoints: one built-in expectation on the same archive table,
    with (``floor_docs``) and without (``floor``) the Data Docs action."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    context = gx.get_context(mode="file", project_root_dir=str(project_root))
    source = context.data_sources.add_or_update_sqlite(name="floor_source", connection_string=archive_url)
    asset = source.add_table_asset(name="floor_asset", table_name=table)
    batch_definition = asset.add_batch_definition_whole_table("all")
    suite = context.suites.add(gx.ExpectationSuite(name="floor_suite"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="update_id"))
    suite.save()
    validation = context.validation_definitions.add(gx.ValidationDefinition(name="floor", data=batch_definition, suite=suite))
    for name, actions in ((FLOOR_CHECKPOINT, []), (FLOOR_CHECKPOINT + "_docs", [UpdateDataDocsAction(name="update_data_docs")])):
        context.checkpoints.add(gx.Checkpoint(name=name, validation_definitions=[validation], actions=actions,
                                              result_format={"result_format": "SUMMARY"}))


def floor_code(root: Path, name: str) -> str:
    return ("import great_expectations as gx\n"
            f"ctx = gx.get_context(mode='file', project_root_dir={str(root)!r})\n"
            f"ctx.checkpoints.get({name!r}).run()\n")


def plain_gx_warm(root: Path, name: str, repeat: int = 5) -> float:
    """Fastest warm run of checkpoint ``name`` in a new process that imports GX only."""
    code = (floor_code(root, name) + "import time\nbest = float('inf')\n"
            f"for _ in range({repeat}):\n"
            "    started = time.perf_counter()\n"
            f"    gx.get_context(mode='file', project_root_dir={str(root)!r}).checkpoints.get({name!r}).run()\n"
            "    best = min(best, time.perf_counter() - started)\n"
            "print(best)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def part_a(work: Path) -> dict[str, Any]:
    project = init_project(work / "a")
    store = ArchiveStore(project.archive_url)
    store.append("sales", year_of_history())
    table = store.table_name("sales")
    add_floor_checkpoints(project.root, project.archive_url, table)
    run_health_check(project, "sales")  # first run creates the GX objects; not what we time

    def floor_warm(name: str) -> Callable[[], Any]:
        import great_expectations as gx

        return lambda: gx.get_context(mode="file", project_root_dir=str(project.root)).checkpoints.get(name).run()

    results: dict[str, Any] = {}
    results["warm_check"] = timed(lambda: run_health_check(project, "sales"), 5)[0]
    results["warm_floor"] = timed(floor_warm(FLOOR_CHECKPOINT), 5)[0]
    results["warm_floor_docs"] = timed(floor_warm(FLOOR_CHECKPOINT + "_docs"), 5)[0]
    # The same floor warm in a process that never imported dataset_health: GX without our caches.
    results["warm_floor_docs_plain_gx"] = plain_gx_warm(project.root, FLOOR_CHECKPOINT + "_docs")
    # Where the check's time goes: the history page (timeline and SVG charts) alone.
    site = work / "a-site"
    results["history_page"] = timed(lambda: render_history_site(store, site, datasets=["sales"]), 3)[0]
    results["fresh_check"] = fresh_process(
        "from dataset_health.health_check import run_health_check\n"
        "from dataset_health.project import Project\n"
        f"run_health_check(Project.load({str(project.root)!r}), 'sales')\n", project.root)
    results["fresh_floor"] = fresh_process(floor_code(project.root, FLOOR_CHECKPOINT), project.root)
    results["fresh_floor_docs"] = fresh_process(floor_code(project.root, FLOOR_CHECKPOINT + "_docs"), project.root)
    results["import_dataset_health"] = fresh_process("import dataset_health", project.root)
    results["import_gx"] = fresh_process("import great_expectations", project.root)
    store.engine.dispose()
    return results


# ------------------------------------------------------- (b) SQL capture
def part_b(postgres_url: str, rows: int) -> dict[str, Any]:
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    table = "dh_bench_capture"
    numbers = [f"n{i}" for i in range(1, 10)]
    texts = [f"t{i}" for i in range(1, 11)]
    select = ", ".join(
        ["g AS id"]
        + [f"CASE WHEN g % 97 = {i} THEN NULL ELSE (random() * {10 ** (i % 5 + 2)})::int END AS {c}"
           for i, c in enumerate(numbers)]
        + [f"CASE WHEN g % 89 = {i} THEN NULL ELSE 'v' || (g % {10 ** (i % 4 + 1)})::text END AS {c}"
           for i, c in enumerate(texts)]
    )
    results: dict[str, Any] = {"rows": rows, "columns": 1 + len(numbers) + len(texts)}
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        started = time.perf_counter()
        conn.execute(sa.text(f"CREATE TABLE {table} AS SELECT {select} FROM generate_series(1, {rows}) AS g"))
        conn.execute(sa.text(f"ANALYZE {table}"))
        results["build_seconds"] = time.perf_counter() - started
    try:
        columns = ["id", *numbers, *texts]
        parts = ["count(*)"]
        for column in columns:
            parts += [f"count(*) - count({column})", f"count(DISTINCT {column})"]
            if column == "id" or column in numbers:
                parts += [f"min({column})", f"max({column})", f"avg({column})"]
        hand_written = sa.text(f"SELECT {', '.join(parts)} FROM {table}")

        def floor() -> Any:
            with engine.connect() as conn:
                return conn.execute(hand_written).one()

        def capture() -> Any:
            batch = sql_batch(postgres_url, table, dataset="bench")
            try:
                return profile_batch(batch, dataset="bench", key_column="id")
            finally:
                batch.data.execution_engine.engine.dispose()

        repeat = 3 if rows <= 2_000_000 else 1  # a 10M-row pass takes minutes here
        results["floor"], floor_row = timed(floor, repeat)
        results["capture"], fields = timed(capture, repeat)
        assert fields["row_count"] == floor_row[0] == rows
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()
    return results


# -------------------------------------------------- (c) DataFrame capture
def part_c(rows: int = 1_000_000) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"id": np.arange(rows)})
    for i in range(1, 10):
        values = rng.integers(0, 10 ** (i % 5 + 2), rows).astype(float)
        values[rng.random(rows) < 0.01] = np.nan
        frame[f"n{i}"] = values
    for i in range(1, 11):
        frame[f"t{i}"] = pd.Series(rng.integers(0, 10 ** (i % 4 + 1), rows)).map("v{}".format)
        frame.loc[rng.random(rows) < 0.01, f"t{i}"] = None
    numeric = ["id"] + [f"n{i}" for i in range(1, 10)]

    def plain() -> dict[str, Any]:
        out: dict[str, Any] = {"row_count": len(frame), "column_count": frame.shape[1]}
        for column in frame.columns:
            series = frame[column]
            out[f"nulls_{column}"] = int(series.isna().sum())
            out[f"distinct_{column}"] = int(series.nunique())
            if column in numeric:
                out[f"min_{column}"], out[f"max_{column}"], out[f"mean_{column}"] = series.min(), series.max(), series.mean()
        out["duplicates"] = int(frame["id"].notna().sum() - frame["id"].nunique())
        return out

    def capture() -> dict[str, Any]:
        return profile_batch(dataframe_batch(frame, dataset="bench"), dataset="bench", key_column="id")

    floor_s, expected = timed(plain, 3)
    capture_s, fields = timed(capture, 3)
    assert fields["distinct_count__t1"] == expected["distinct_t1"]
    return {"rows": rows, "columns": frame.shape[1], "floor": floor_s, "capture": capture_s}


# ------------------------------------------------ (d) years of hourly history
def hourly_history(years: int) -> pd.DataFrame:
    """An hourly feed: a daily and a weekly cycle, 20% growth a year, counts with Poisson noise."""
    rng = np.random.default_rng(7)
    stamps = pd.date_range("2022-01-03", periods=years * 8_760, freq="h")
    hour, weekday = stamps.hour.to_numpy(), stamps.dayofweek.to_numpy()
    usual = (800 * (1 + 0.6 * np.sin(2 * np.pi * (hour - 6) / 24)) * np.where(weekday >= 5, 0.55, 1.0)
             * (1 + 0.2 * np.arange(stamps.size) / 8_760))
    created = rng.poisson(usual)
    return pd.DataFrame({
        "update_id": [f"h{i:06d}" for i in range(stamps.size)], "timestamp": stamps,
        "rows_created": created, "rows_updated": rng.poisson(usual / 4), "rows_deleted": rng.poisson(3, stamps.size),
        "row_count": 5_000_000 + np.cumsum(created), "null_fraction__email": rng.beta(2, 300, stamps.size),
        "freshness_lag_hours": rng.gamma(4, 0.25, stamps.size),
    })


def part_d(work: Path, years: tuple[int, ...] = (1, 3)) -> dict[str, Any]:
    from dataset_health.backtest import backtest

    walks = []
    for span in years:
        frame = hourly_history(span)
        metrics = len(frame.columns) - 2
        auto_s, verdicts = timed(lambda: backtest(frame, detector="auto"))
        floor_s = timed(lambda: backtest(frame, detector="deequ_online_normal"))[0]
        walks.append({"years": span, "updates": len(frame), "metrics": metrics, "auto": auto_s, "floor": floor_s,
                      "flagged": int(verdicts["is_anomaly"].sum())})
    project = init_project(work / "d")
    store = ArchiveStore(project.archive_url)
    hourly = hourly_history(max(years))
    store.append("hourly", hourly)
    store.append("daily", year_of_history())
    checks = {}
    for dataset in ("hourly", "daily"):
        run_health_check(project, dataset)  # first run creates the GX objects; not what we time
        checks[dataset] = timed(lambda: run_health_check(project, dataset), 3)[0]
    store.engine.dispose()
    return {"walks": walks, "check_hourly": checks["hourly"], "check_daily": checks["daily"],
            "hourly_updates": len(hourly), "daily_updates": HISTORY_DAYS}


# ---------------------------------------------------------- (e) check --all
def part_e(work: Path, datasets: int) -> dict[str, Any]:
    project = init_project(work / "e")
    store = ArchiveStore(project.archive_url)
    history = year_of_history()
    started = time.perf_counter()
    for i in range(datasets):
        store.append(f"dataset_{i:04d}", history)
    build = time.perf_counter() - started
    store.engine.dispose()
    result = run_all_health_checks(project)
    per = [c.seconds for c in result.checks]
    tenth = max(1, len(per) // 10)
    return {
        "datasets": datasets, "archive_build_seconds": build, "wall": result.seconds,
        "per_dataset": result.seconds / datasets, "first_tenth": statistics.mean(per[:tenth]),
        "last_tenth": statistics.mean(per[-tenth:]), "errors": result.count("error"),
        "unhealthy": result.count("unhealthy"),
    }


# ------------------------------------------------------------ (f) Data Docs
def synthetic_history(updates: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    stamps = pd.date_range("2021-01-01 06:00", periods=updates, freq="D")
    created = rng.normal(20_000, 1_500, updates).round()
    return pd.DataFrame({
        "update_id": [f"rev-{i:05d}" for i in range(updates)], "timestamp": stamps,
        "rows_created": created, "rows_updated": rng.normal(7_000, 900, updates).round(),
        "rows_deleted": rng.poisson(2, updates), "row_count": 1_000_000 + np.cumsum(created),
        "column_count": 14, "null_fraction__judge_name": rng.uniform(0.01, 0.03, updates),
        "freshness_lag_hours": rng.uniform(5, 10, updates),
    })


def record_checks(store: ArchiveStore, dataset: str, history: pd.DataFrame, checks: int) -> None:
    """``checks`` stored verdicts (what replay or checks would store), one per update."""
    metrics = [c for c in history.columns if c not in ("update_id", "timestamp")]
    outcomes = {}
    for _, row in history.tail(checks).iterrows():
        outcomes[row["update_id"]] = [{
            "expectation": "expect_column_latest_value_to_not_be_anomalous", "metric": metric,
            "status": "pass", "success": True, "observed": float(row[metric]),
            "lower": float(row[metric]) * 0.8, "upper": float(row[metric]) * 1.2, "score": 0.5, "reason": "in line",
        } for metric in metrics]
    record_verdicts(store, dataset, outcomes)


def part_f(work: Path, sizes: tuple[int, ...] = (100, 300, 1000)) -> list[dict[str, Any]]:
    import great_expectations as gx

    rows = []
    for size in sizes:
        project = init_project(work / f"f{size}")
        store = ArchiveStore(project.archive_url)
        history = synthetic_history(size)
        store.append("sales", history)
        record_checks(store, "sales", history, size)
        run_health_check(project, "sales")  # one real check: GX suite, result and site on disk
        site = project.gx_dir / "uncommitted" / "data_docs" / "local_site"
        history_s = timed(lambda: render_history_site(store, site, datasets=["sales"]), 3)[0]
        # GX keeps one validation result per check: copy the real one to ``size``.
        results_dir = project.gx_dir / "uncommitted" / "validations"
        (original,) = [p for p in results_dir.rglob("*.json")]
        relative = original.relative_to(results_dir).parts  # suite / run_name / run_time / batch.json
        payload = json.loads(original.read_text())
        for i in range(1, size):
            run_name = f"bench-{i:05d}"
            run_time = (datetime(2021, 1, 1, tzinfo=timezone.utc) + pd.Timedelta(days=i)).strftime("%Y%m%dT%H%M%S.%fZ")
            target = results_dir / relative[0] / run_name / run_time / relative[-1]
            target.parent.mkdir(parents=True, exist_ok=True)
            payload["meta"]["run_id"] = {"run_name": run_name, "run_time": run_time}
            target.write_text(json.dumps(payload))
        context = gx.get_context(mode="file", project_root_dir=str(project.root))
        newest = context.validation_results_store.list_keys()[-1]
        per_check_s = timed(lambda: context.build_data_docs(resource_identifiers=[newest]), 3)[0]
        full_s = timed(lambda: context.build_data_docs(), 1)[0]
        rows.append({"checks": size, "history_page": history_s, "gx_per_check": per_check_s, "gx_full": full_s})
        store.engine.dispose()
    return rows


# ----------------------------------------------------------------- report
def ratio(ours: float, floor: float) -> str:
    return f"{ours / floor:.2f}x" if floor else "-"


def verdict(ours: float, floor: float, target: float) -> str:
    return "met" if floor and ours / floor <= target else "**missed**"


def report(results: dict[str, Any], info: dict[str, str], started: str, loads: tuple[str, str]) -> str:
    lines = [
        "# Speed benchmark",
        "",
        f"`python bench/speed.py {' '.join(sys.argv[1:])}`, run {started}. Every ratio compares runs made",
        "in the same invocation on the same machine. Detection quality is in bench/RESULTS.md.",
        "",
        "## Machine",
        "",
        f"- CPU: {info['cpu']}, {info['cores']} cores; Python {info['python']}; {info['os']}",
        "- " + ", ".join(f"{k} {info[k]}" for k in ("great_expectations", "pandas", "numpy", "SQLAlchemy",
                                                   "psycopg", "jinja2", "pyspark")),
        f"- Load average (1/5/15 min) at start: {loads[0]}; at end: {loads[1]}. The machine is shared with",
        "  other work: absolute seconds are inflated by it; ratios much less so.",
        "",
        "## Results",
        "",
        "| part | what | dataset-health | floor | ratio | target |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    a = results.get("a")
    if a:
        lines += [
            f"| (a) | `check`, fresh process | {a['fresh_check']:.2f} s | {a['fresh_floor_docs']:.2f} s | "
            f"{ratio(a['fresh_check'], a['fresh_floor_docs'])} | <= 1.3x: {verdict(a['fresh_check'], a['fresh_floor_docs'], 1.3)} |",
            f"| (a) | `check`, warm, vs the bare GX checkpoint warm in a GX-only process | {a['warm_check']:.2f} s | "
            f"{a['warm_floor_docs_plain_gx']:.2f} s | {ratio(a['warm_check'], a['warm_floor_docs_plain_gx'])} | "
            f"<= 1.3x: {verdict(a['warm_check'], a['warm_floor_docs_plain_gx'], 1.3)} |",
            f"| (a) | `check`, warm, vs the same checkpoint in our process (it shares our GX caches) | "
            f"{a['warm_check']:.2f} s | {a['warm_floor_docs']:.2f} s | {ratio(a['warm_check'], a['warm_floor_docs'])} | "
            f"(reference: {verdict(a['warm_check'], a['warm_floor_docs'], 1.3)} at 1.3x) |",
            f"| (a) | warm, floor without Data Docs action | {a['warm_check']:.2f} s | {a['warm_floor']:.2f} s | "
            f"{ratio(a['warm_check'], a['warm_floor'])} | (reference) |",
        ]
    b = results.get("b")
    if b:
        lines.append(
            f"| (b) | capture, PostgreSQL {b['rows']:,} rows x {b['columns']} columns | {b['capture']:.2f} s | "
            f"{b['floor']:.2f} s | {ratio(b['capture'], b['floor'])} | <= 1.5x: {verdict(b['capture'], b['floor'], 1.5)} |")
    c = results.get("c")
    if c:
        lines.append(
            f"| (c) | capture, DataFrame {c['rows']:,} rows x {c['columns']} columns | {c['capture']:.2f} s | "
            f"{c['floor']:.2f} s | {ratio(c['capture'], c['floor'])} | <= 2x: {verdict(c['capture'], c['floor'], 2.0)} |")
    d = results.get("d")
    if d:
        for walk in d["walks"]:
            lines.append(
                f"| (d) | `backtest` (auto), {walk['years']} year(s) of hourly history, {walk['updates']:,} updates x "
                f"{walk['metrics']} metrics | {walk['auto']:.1f} s | {walk['floor']:.1f} s (Deequ OnlineNormal) | "
                f"{ratio(walk['auto'], walk['floor'])} | (reference) |")
        first, last = d["walks"][0], d["walks"][-1]
        growth = (last["auto"] / last["updates"]) / (first["auto"] / first["updates"])
        lines.append(
            f"| (d) | cost per update at {last['years']} years against {first['years']} | "
            f"{1e6 * last['auto'] / (last['updates'] * last['metrics']):.0f} µs per value | "
            f"{1e6 * first['auto'] / (first['updates'] * first['metrics']):.0f} µs per value | {growth:.2f}x | "
            f"<= 1.5x (no refit over the whole history): {'met' if growth <= 1.5 else '**missed**'} |")
        lines.append(
            f"| (d) | `check`, warm, {d['hourly_updates']:,} hourly updates vs {d['daily_updates']} daily | "
            f"{d['check_hourly']:.2f} s | {d['check_daily']:.2f} s | {ratio(d['check_hourly'], d['check_daily'])} | "
            "(reference) |")
    lines.append("| (d) | backtest quality and throughput per detector | see bench/quality.py and bench/RESULTS.md | | | |")
    e = results.get("e")
    if e:
        lines.append(
            f"| (e) | `check --all`, {e['datasets']} datasets x {HISTORY_DAYS} days | {e['wall']:.0f} s wall, "
            f"{e['per_dataset']:.2f} s per dataset | | | first tenth {e['first_tenth']:.2f} s, last tenth {e['last_tenth']:.2f} s per dataset |")
    lines.append("")
    if a:
        lines += [
            "### (a) details",
            "",
            "- Floor: a GX file context, a SQLite table asset on the same archive table, a suite with one",
            "  `ExpectColumnValuesToNotBeNull`, a checkpoint with `UpdateDataDocsAction` (as ours has). Without",
            f"  that action the floor runs in {a['warm_floor']:.2f} s warm, {a['fresh_floor']:.2f} s in a fresh process.",
            f"- Fresh process includes imports: `import great_expectations` {a['import_gx']:.2f} s, "
            f"`import dataset_health` {a['import_dataset_health']:.2f} s.",
            f"- The health-history page alone (timeline and SVG charts of every judged metric) takes "
            f"{a['history_page']:.2f} s of the warm check's {a['warm_check']:.2f} s "
            f"({a['history_page'] / a['warm_check']:.0%}).",
            "- Warm floors: the bare GX one runs in a new process that imports only great_expectations (one",
            "  run, then the fastest of 5); the other is the same checkpoint in the benchmark process after our",
            "  check ran there, so it has dataset-health's process-wide GX caches (src/dataset_health/gx_speedups.py:",
            "  Data Docs templates compiled once, config_variables.yml parsed once per text), which make GX's own",
            f"  part about {a['warm_floor_docs_plain_gx'] / a['warm_floor_docs']:.1f}x faster: it is no longer bare GX. "
            "The fresh-process floor has none of them.",
            "- What the warm check does beyond the floor: comparing the suite, datasource, validation definition",
            "  and checkpoint with what they should be (new archive columns are picked up; files are rewritten",
            "  only when they differ), ten expectations each fitting a detector on the history instead of one",
            "  null count, a ten-row validation page, writing the verdicts back to the archive, the history page,",
            "  and the owner-alert actions.",
            "",
        ]
    if b:
        lines += ["### (b) details", "",
                  f"- Table built with generate_series in {b['build_seconds']:.0f} s (10 integer columns with 1% NULLs,",
                  "  10 text columns with 1% NULLs and 10 to 10,000 distinct values), dropped after.",
                  "- Floor: one SELECT with count(*), and per column nulls, count(DISTINCT), and min/max/avg for numbers.",
                  "- dataset-health: `profile_batch` of a GX SQL batch (key column `id`): the same numbers from two",
                  "  aggregate SELECTs plus row counts (tests/scale/test_capture_queries.py counts them).",
                  "- Not included: with `--key-column`, `capture_update` also reads every row into pandas to diff",
                  "  created/updated/deleted against the last snapshot; that is O(rows) in Python, not in the database.",
                  ""]
    if e:
        lines += ["### (e) details", "",
                  f"- {e['datasets']} datasets, each a year of daily updates (SQLite archive, built in "
                  f"{e['archive_build_seconds']:.0f} s), checked sequentially in one process.",
                  f"- Mean seconds per check: first tenth {e['first_tenth']:.2f}, last tenth {e['last_tenth']:.2f}"
                  f" (last/first {e['last_tenth'] / e['first_tenth']:.2f}; 1.0 is a cost per dataset that does not"
                  " grow with the number of datasets).",
                  f"- Outcome: {e['unhealthy']} unhealthy, {e['errors']} errors.", ""]
    f = results.get("f")
    if f:
        lines += ["### (f) Data Docs build time as history grows", "",
                  "| checks in history | health-history page | GX docs, per check (index + new result) | GX docs, full rebuild |",
                  "| ---: | ---: | ---: | ---: |"]
        for row in f:
            lines.append(f"| {row['checks']:,} | {row['history_page']:.2f} s | {row['gx_per_check']:.2f} s | {row['gx_full']:.2f} s |")
        first, last = f[0], f[-1]
        growth = last["checks"] / first["checks"]
        lines += ["",
                  f"From {first['checks']} to {last['checks']} checks ({growth:.0f}x): history page x"
                  f"{last['history_page'] / first['history_page']:.2f}, GX per-check build x"
                  f"{last['gx_per_check'] / first['gx_per_check']:.2f}, GX full rebuild x"
                  f"{last['gx_full'] / first['gx_full']:.2f} (linear would be x{growth:.0f}).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="a,b,c,d,e,f")
    parser.add_argument("--sql-rows", type=int, default=10_000_000)
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--frame-rows", type=int, default=1_000_000)
    parser.add_argument("--docs-sizes", default="100,300,1000")
    parser.add_argument("--hourly-years", default="1,3", help="Years of hourly history for part (d), smallest first.")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--output", type=Path, default=BENCH / "SPEED.md")
    parser.add_argument("--report-from-logs", type=Path, nargs="+",
                        help="Only write the report, from the stderr logs of earlier runs (later parts win).")
    args = parser.parse_args()
    if args.report_from_logs:
        results, part, loads = {}, None, []
        for log in args.report_from_logs:
            for line in log.read_text().splitlines():
                if line.startswith("part (") and line.endswith("..."):
                    part = line[len("part (")]
                elif line.startswith("load: "):
                    loads.append(line.removeprefix("load: "))
                elif part and line.startswith(("{", "[")):
                    results[part], part = json.loads(line), None
        note = f"from {len(args.report_from_logs)} runs"
        args.output.write_text(report(results, machine(), note, (", ".join(loads[::2]) or "-", ", ".join(loads[1::2]) or "-"))
                               + "\n", encoding="utf-8")
        return
    parts = set(args.only.split(","))
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    start_load = load()
    print(f"load: {start_load}", file=sys.stderr, flush=True)
    work = Path(tempfile.mkdtemp(prefix="dh-speed-"))
    results: dict[str, Any] = {}
    try:
        for part, run in (("a", lambda: part_a(work)), ("c", lambda: part_c(args.frame_rows)),
                          ("f", lambda: part_f(work, tuple(int(n) for n in args.docs_sizes.split(",")))),
                          ("d", lambda: part_d(work, tuple(int(n) for n in args.hourly_years.split(",")))),
                          ("b", lambda: part_b(args.postgres_url, args.sql_rows)),
                          ("e", lambda: part_e(work, args.datasets))):
            if part in parts:
                print(f"part ({part})...", file=sys.stderr, flush=True)
                results[part] = run()
                print(json.dumps(results[part], default=str), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    end_load = load()
    print(f"load: {end_load}", file=sys.stderr, flush=True)
    args.output.write_text(report(results, machine(), started, (start_load, end_load)) + "\n", encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
