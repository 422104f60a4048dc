"""Detection-quality benchmark: every detector, walk-forward, on labelled archives.

Runs every registered detector, the recommended default ("auto") and the
baselines (what Elementary and Deequ do) over

- every case of the shared benchmark (``$DATASET_HEALTH_SHARED/benchmark``,
  default ``../shared`` beside the repository), and
- the synthetic fault-injection cases of ``bench/synthetic.py``,
- with ``--holdout NAB_DIR``, the real NAB series the shared benchmark does
  not hold (``bench/nab_holdout.py``): cases nothing was tuned on,

scores them by the benchmark's rules (event F1, precision, recall, false
alarms per 100 healthy updates; ``dataset_health.scoring``) and writes
``bench/RESULTS.md``. Before comparing anything it checks that the baseline
reimplementations reproduce ``BASELINES.md``.

    python bench/quality.py [--jobs 2] [--only shared|synthetic] [--holdout NAB_DIR] [--output bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/synthetic.py, run from anywhere

import nab_holdout  # noqa: E402
import synthetic  # noqa: E402

from dataset_health.archive.schema import infer_text_fields  # noqa: E402
from dataset_health.backtest import prepare, read_csv  # noqa: E402
from dataset_health.competition import compete, default_contestants  # noqa: E402
from dataset_health.detector_config import DetectorConfig  # noqa: E402
from dataset_health.detectors.baselines import BASELINES as BASELINE_DETECTORS  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DATASET_HEALTH_SHARED") or REPO.parent / "shared")
BENCHMARK = SHARED / "benchmark"

#: BASELINES.md's names for our reimplementations.
BASELINES = {
    "Deequ OnlineNormal": DetectorConfig("deequ_online_normal"),
    "Deequ RelativeRateOfChange": DetectorConfig("deequ_relative_rate_of_change"),
    "Elementary z3": DetectorConfig("elementary_z"),
    "Elementary z3 day_of_week": DetectorConfig("elementary_z", {"seasonality": "day_of_week"},
                                                label="elementary_z_day_of_week"),
}
SCORES = ("f1", "precision", "recall", "false_alarms_per_100")
GROUPS = ("shared", "synthetic", "holdout")
PROBE_ROWS = 200
FLOOR = "Deequ OnlineNormal"  # what the probe's times are ratios to
TOLERANCE = 0.005  # BASELINES.md rounds to three decimals


def contestants() -> list[DetectorConfig]:
    """"auto", every registered detector, and Elementary's day-of-week variant."""
    return [*default_contestants(), BASELINES["Elementary z3 day_of_week"]]


def load_cases(only: str | None, holdout: Path | None = None) -> list[tuple[str, str, pd.DataFrame, pd.DataFrame]]:
    """(group, name, archive, labels) of every case; ``holdout``: a NAB checkout (``nab_holdout``)."""
    cases = []
    if only in (None, "shared"):
        if not BENCHMARK.is_dir():
            sys.exit(f"shared benchmark not found at {BENCHMARK}: set DATASET_HEALTH_SHARED")
        for labels_path in sorted(BENCHMARK.glob("*.labels.csv")):
            name = labels_path.name.removesuffix(".labels.csv")
            cases.append(("shared", name, read_csv(BENCHMARK / f"{name}.csv"), read_csv(labels_path, what="labels")))
    if only in (None, "synthetic"):
        for case in synthetic.CASES:
            frame, labels = synthetic.generate(case)
            cases.append(("synthetic", case.name, frame, labels))
    if holdout is not None:
        cases += [("holdout", name, frame, labels) for name, frame, labels in nab_holdout.cases(holdout)]
    return cases


# ------------------------------------------------------------ reproduction
def reproduce(cases: list[tuple[str, str, pd.DataFrame, pd.DataFrame]]) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Our baselines against BASELINES.md, per case (F1) and on the mean.

    BASELINES.md was computed with empty cells read as 0; we run that way
    for the comparison, and also with empty cells as missing (what the tools
    and this library do) to show what that changes. It tested the numeric
    columns only, so date columns (which a backtest watches as their
    freshness lag) are left out here.
    """
    published, published_mean = _read_baselines(SHARED / "benchmark" / "BASELINES.md")
    rows, means = [], []
    for group, name, frame, labels in cases:
        if group != "shared":
            continue
        numeric = _numeric_only(frame)
        for empty, data in (("0", _empty_as_zero(numeric)), ("missing", numeric)):
            result = compete(data, labels, detectors=list(BASELINES.values()))
            for (title, config), contestant in zip(BASELINES.items(), result.contestants):
                rows.append({"case": name, "baseline": title, "empty": empty, **{k: contestant.scores[k] for k in SCORES},
                             "published_f1": published.get(name, {}).get(title, math.nan)})
    table = pd.DataFrame(rows)
    as_zero = table[table["empty"] == "0"]
    for title in BASELINES:
        ours = as_zero[as_zero["baseline"] == title][list(SCORES)].mean()
        means.append({"baseline": title, **{f"{k}": ours[k] for k in SCORES},
                      **{f"published_{k}": published_mean.get(title, {}).get(k, math.nan) for k in SCORES}})
    mean_table = pd.DataFrame(means)
    worst = float((as_zero["f1"] - as_zero["published_f1"]).abs().max())
    verdict = (f"agree: every per-case F1 within {TOLERANCE} of BASELINES.md (largest difference {worst:.4f})"
               if worst <= TOLERANCE else f"DISAGREE: largest per-case F1 difference {worst:.4f} > {TOLERANCE}")
    return table, mean_table, verdict


def _points(frame: pd.DataFrame) -> int:
    series = prepare(frame)
    return series.rows * len(series.metrics)


def _numeric_only(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the text columns (dates among them), as the backtest tells them apart."""
    return frame.drop(columns=[c for c in infer_text_fields(frame) if c != "timestamp"])


def _empty_as_zero(frame: pd.DataFrame) -> pd.DataFrame:
    filled = frame.copy()
    for column in frame.columns:
        if column == "timestamp":
            continue
        numbers = pd.to_numeric(frame[column].replace("", np.nan), errors="coerce")
        if numbers.notna().any():
            filled[column] = numbers.fillna(0.0)
    return filled


def _read_baselines(path: Path) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    tables = [t for t in _markdown_tables(path.read_text(encoding="utf-8")) if t]
    per_case = {row["case"]: {k: float(v) for k, v in row.items() if k != "case"} for row in tables[0]}
    mean = {row["detector"]: {k: float(v) for k, v in row.items() if k != "detector"} for row in tables[1]}
    return per_case, mean


def _markdown_tables(text: str) -> list[list[dict[str, str]]]:
    tables, current, header = [], [], None
    for line in text.splitlines() + [""]:
        if not line.startswith("|"):
            if header:
                tables.append(current)
            current, header = [], None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not re.fullmatch(r"[:\- ]+", "".join(cells)):
            current.append(dict(zip(header, cells)))
    return tables


# ------------------------------------------------------------------ budget
def affordable(candidates: list[DetectorConfig], max_slowdown: float) -> tuple[list[DetectorConfig], dict, dict]:
    """The contestants fast enough for this run, why the others are not, and the probe's
    seconds per judged value of each contestant timed and of the floor.

    The baselines always run: they are what everything is compared with.
    Every other contestant is timed on a probe (``PROBE_ROWS`` updates of
    one synthetic metric, after an untimed warm-up) and left out when it
    needs more than ``max_slowdown`` times what Deequ OnlineNormal needs per
    judged value on the same probe, timed in this run: a ratio, so a slow
    machine leaves out what a fast one does. A detector that needs a second
    per point would hold the whole run hostage. One that is clearly too
    slow on the first fifth of the probe is not timed further.
    """
    frame, _ = synthetic.generate(synthetic.CASES[0])

    def per_point(config: DetectorConfig, rows: int) -> float:
        return compete(frame.iloc[:rows], detectors=[config], metrics=["rows_created"]).contestants[0].seconds / rows

    floor_config = BASELINES[FLOOR]
    per_point(floor_config, 16)  # imports, caches: not timed
    floor = min(per_point(floor_config, PROBE_ROWS) for _ in range(5))  # a few milliseconds: the least noisy of five
    baselines = {cls.name for cls in BASELINE_DETECTORS}
    admitted, left_out, probed = [], {}, {FLOOR: floor}
    for config in candidates:
        if config.detector in baselines:
            admitted.append(config)
            continue
        per_point(config, 16)
        cost = math.inf
        for rows, allowance in ((PROBE_ROWS // 5, 5.0), (PROBE_ROWS, 1.0)):
            cost = per_point(config, rows)
            if cost > allowance * max_slowdown * floor:
                break
        probed[config.name] = cost
        if cost <= max_slowdown * floor:
            admitted.append(config)
        else:
            left_out[config.name] = (f"{cost / floor:.0f}x {FLOOR}'s time per point on the probe "
                                     f"({1000 * cost:.2f} ms against {1000 * floor:.3f} ms; limit {max_slowdown:g}x)")
    return admitted, left_out, probed


# ------------------------------------------------------------- competition
def run_case(case: tuple[str, str, pd.DataFrame, pd.DataFrame], configs: list[DetectorConfig]) -> list[dict]:
    """Every contestant on one case: one dict per contestant."""
    group, name, frame, labels = case
    cpu = time.process_time()
    result = compete(frame, labels, detectors=configs)
    cpu = time.process_time() - cpu
    rows = []
    for contestant in result.contestants:
        rows.append({"group": group, "case": name, "detector": contestant.name,
                     **{k: contestant.scores.get(k, math.nan) for k in SCORES},
                     "seconds": contestant.seconds, "points": contestant.judgements,
                     "case_cpu_seconds": cpu, "skipped": contestant.skipped or ""})
    return rows


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean scores per detector and group, and points per second over all cases."""
    ran = results[results["skipped"] == ""]
    rows = []
    for detector, runs in ran.groupby("detector", sort=False):
        row = {"detector": detector}
        for group in GROUPS:
            part = runs[runs["group"] == group]
            if group == "holdout" and not len(part):
                continue
            for key in SCORES:
                row[f"{group}_{key}"] = part[key].mean() if len(part) else math.nan
        row["all_f1"] = runs.loc[runs["group"] != "holdout", "f1"].mean()
        row["points_per_second"] = runs["points"].sum() / runs["seconds"].sum() if runs["seconds"].sum() else math.nan
        rows.append(row)
    return pd.DataFrame(rows).sort_values("all_f1", ascending=False, kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------- output
def markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    def cell(value: object) -> str:
        if isinstance(value, (float, np.floating)):
            return "" if math.isnan(value) else (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}f}")
        return str(value)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |",
             "|" + "|".join(":--" if i == 0 else "--:" for i in range(len(frame.columns))) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def _cpu_minutes(results: pd.DataFrame) -> float:
    return float(results.groupby("case")["case_cpu_seconds"].first().sum()) / 60


def _budget(probed: dict[str, float], max_slowdown: float) -> str:
    if not probed:
        return "Every registered detector ran (`--max-slowdown 0`)."
    floor = probed[FLOOR]
    costs = ", ".join(f"{name} {cost / floor:,.0f}x" for name, cost in sorted(probed.items(), key=lambda kv: kv[1])
                      if name != FLOOR)
    return (f"A detector ran when a probe of {PROBE_ROWS} updates, timed in this run, found it at most "
            f"{max_slowdown:g}x slower per point than {FLOOR} ({1000 * floor:.3f} ms per point); on the probe: {costs}.")


def write_results(path: Path, results: pd.DataFrame, summary: pd.DataFrame, reproduction: tuple | None,
                  left_out: dict[str, str], seconds: float, jobs: int, probed: dict[str, float],
                  max_slowdown: float) -> None:
    out = ["# Detection quality: walk-forward backtests", "",
           f"Generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC} by `python bench/quality.py` "
           f"in {seconds / 60:.1f} min wall clock, {_cpu_minutes(results):.1f} CPU-minutes of competition "
           f"({jobs} worker processes, {os.cpu_count()} cores). The wall clock depends on what else runs on "
           "the machine; the CPU-minutes do not. " + _budget(probed, max_slowdown), "",
           "Every update is judged from the updates before it only. Single-metric detectors judge every numeric "
           "column on its own and an update is flagged when any column fails (the default combiner). Scores "
           "follow ../shared/benchmark/README.md: events are runs of labelled updates; recall = events with an "
           "alarm; precision = alarms on labelled updates / alarms; false alarms per 100 healthy updates; the "
           "first min(30, rows/10) updates are warm-up. `auto` is `DEFAULT_CONFIG` "
           "(src/dataset_health/detector_config.py).", ""]
    if reproduction is not None:
        table, mean_table, verdict = reproduction
        as_zero = table[table["empty"] == "0"].pivot(index="case", columns="baseline", values="f1")
        published = table[table["empty"] == "0"].pivot(index="case", columns="baseline", values="published_f1")
        missing = table[table["empty"] == "missing"].pivot(index="case", columns="baseline", values="f1")
        side = pd.DataFrame({"case": as_zero.index})
        for title in BASELINES:
            side[f"{title} (ours)"] = as_zero[title].to_numpy()
            side[f"{title} (BASELINES.md)"] = published[title].to_numpy()
        out += ["## Baselines reproduce BASELINES.md", "",
                f"**{verdict}.** Each numeric column tested on its own, alarms OR-ed per row. BASELINES.md's "
                "numbers come out exactly when empty cells are read as 0 (how they were computed: the NYC case has "
                "columns that are empty before a rename); with empty cells as *missing*, as the tools and this "
                "library treat them, the two dataset-update cases change (table below).", "",
                "Event F1 per case, ours (empty = 0) against BASELINES.md:", "", markdown(side), "",
                "Mean over cases, ours (empty = 0) against BASELINES.md:", "", markdown(mean_table), "",
                "Event F1 with empty cells as missing (what the rest of this file uses):", "",
                markdown(missing.reset_index()), ""]
    out += ["## Mean over cases", "",
            "Shared = the 14 cases of ../shared/benchmark; synthetic = bench/synthetic.py (fault injection on "
            "weekday, holiday, month-end and trend patterns)"
            + ("; holdout = the real NAB series not in ../shared/benchmark (bench/nab_holdout.py), nothing "
               "tuned on them" if (results["group"] == "holdout").any() else "")
            + ". Points per second: metric values judged per second of walk-forward, over all cases; all_f1 "
            "over the shared and synthetic cases.", "", markdown(summary), ""]
    cases = results.drop_duplicates("case")
    order = cases.assign(rank=cases["group"].map(GROUPS.index)).sort_values(["rank", "case"])["case"].tolist()
    for key, title in (("f1", "Event F1"), ("precision", "Precision"), ("recall", "Recall"),
                       ("false_alarms_per_100", "False alarms per 100 healthy updates")):
        grid = results.pivot_table(index="case", columns="detector", values=key, sort=False)
        grid = grid.loc[order, [d for d in summary["detector"] if d in grid.columns]]
        out += [f"## {title} per case", "", markdown(grid.reset_index()), ""]
    if left_out:
        out += ["## Not run: too slow for this run", "",
                f"Registered detectors more than `--max-slowdown` times slower per judged value than {FLOOR} on a "
                f"probe of {PROBE_ROWS} updates, timed in this run (`--max-slowdown 0` runs them anyway; the "
                "baselines always run):", ""]
        out += [f"- `{name}`: {why}" for name, why in left_out.items()] + [""]
    skipped = results[results["skipped"] != ""]
    if len(skipped):
        out += ["## Skipped", "", markdown(skipped[["case", "detector", "skipped"]]), ""]
    out += ["## Notes", "",
            "- `deequ_holt_winters` refits its smoothing parameters when the history has grown 10% since the "
            "last fit (Deequ refits on every check; `refit_growth=0` does that, at many times the cost).",
            "- Without labels there is no winner: `dataset-health compete` reports alarm rates only.", ""]
    path.write_text("\n".join(out), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--only", choices=["shared", "synthetic"])
    parser.add_argument("--holdout", type=Path, metavar="NAB_DIR",
                        help="Also score the real NAB series the shared benchmark lacks, from a NAB checkout.")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "RESULTS.md")
    parser.add_argument("--max-slowdown", type=float, default=2000.0,
                        help=f"Leave out detectors more than this many times slower per judged value than {FLOOR} "
                             "on a probe timed in the same run (0: run all).")
    args = parser.parse_args()

    start = time.perf_counter()
    cases = load_cases(args.only, args.holdout)
    points = sum(_points(frame) for _, _, frame, _ in cases)
    print(f"{len(cases)} cases, {points} metric values to judge, {len(contestants())} contestants, {args.jobs} workers")
    reproduction = None
    if args.only in (None, "shared"):
        reproduction = reproduce(cases)
        print(f"baselines vs BASELINES.md: {reproduction[2]}")
    configs, left_out, probed = contestants(), {}, {}
    if args.max_slowdown > 0:
        configs, left_out, probed = affordable(configs, args.max_slowdown)
        print(f"probe: {FLOOR} needs {1000 * probed[FLOOR]:.3f} ms per point; limit {args.max_slowdown:g}x that")
        for name, why in left_out.items():
            print(f"not run (too slow for this run): {name}: {why}")
    rows: list[dict] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        # Largest cases first, so that the last one to finish is a short one.
        ordered = sorted(cases, key=lambda c: -len(c[2]) * len(c[2].columns))
        running = {pool.submit(run_case, case, configs): case[1] for case in ordered}
        for done in as_completed(running):
            rows += done.result()
            print(f"  {time.perf_counter() - start:6.0f}s  {running[done]}", flush=True)
    results = pd.DataFrame(rows)
    summary = summarise(results)
    seconds = time.perf_counter() - start
    write_results(args.output, results, summary, reproduction, left_out, seconds, args.jobs,
                  probed, args.max_slowdown)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        print("\nMean over cases (best first):")
        shown = ["detector", "shared_f1", "shared_false_alarms_per_100", "synthetic_f1", "synthetic_false_alarms_per_100",
                 "holdout_f1", "holdout_false_alarms_per_100", "all_f1", "points_per_second"]
        print(summary[[c for c in shown if c in summary.columns]].to_string(index=False))
    print(f"\nwrote {args.output} in {seconds / 60:.1f} min ({_cpu_minutes(results):.1f} CPU-minutes of competition)")


if __name__ == "__main__":
    main()
