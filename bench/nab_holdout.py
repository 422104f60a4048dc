"""Held-out labelled archives: NAB series that are not in ../shared/benchmark.

The default detector was chosen on the shared cases, so its scores there
flatter it. This builds further cases, the way ../shared/benchmark built
its NAB ones (MANIFEST.csv), from a local copy of the Numenta Anomaly
Benchmark (https://github.com/numenta/NAB, MIT licence), so that
``bench/quality.py --holdout NAB_DIR`` can score every contestant on
series nobody tuned on. Nothing is downloaded: point it at a clone.

- a series of more than 6,000 rows is cut into hourly buckets (the mean
  of a gauge, the sum of a count: tweets), as the shared tweet and
  machine-temperature cases are; shorter ones keep their rows;
- a row (bucket) is anomalous when it overlaps a window of
  ``labels/combined_windows.json``;
- a series of the shared benchmark is left out (``SHARED_SOURCES``).

    python bench/nab_holdout.py NAB_DIR OUTDIR   # write the cases as CSV files
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

#: NAB files the shared benchmark already holds (its MANIFEST.csv ``source``).
SHARED_SOURCES = frozenset({
    "realKnownCause/cpu_utilization_asg_misconfiguration.csv",
    "realKnownCause/ec2_request_latency_system_failure.csv",
    "realKnownCause/machine_temperature_system_failure.csv",
    "realKnownCause/rogue_agent_key_hold.csv",
    "realAdExchange/exchange-2_cpc_results.csv",
    "realAdExchange/exchange-3_cpc_results.csv",
    "realAdExchange/exchange-4_cpm_results.csv",
    *(f"realTweets/Twitter_volume_{ticker}.csv" for ticker in ("AAPL", "AMZN", "CRM", "CVS", "FB")),
})
#: NAB's corpora of real series; the artificial ones are not update histories.
REAL_CORPORA = ("realAdExchange", "realAWSCloudwatch", "realKnownCause", "realTraffic", "realTweets")
LONG = 6_000
BUCKET = pd.Timedelta(hours=1)


def cases(nab_dir: str | Path) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """(name, archive, labels) of every real NAB series found under ``nab_dir`` and not shared."""
    root = Path(nab_dir)
    windows_path = root / "labels" / "combined_windows.json"
    if not windows_path.is_file():
        raise SystemExit(f"{windows_path} not found: --holdout wants a NAB checkout (data/ and labels/)")
    windows = json.loads(windows_path.read_text(encoding="utf-8"))
    found = []
    for source in sorted(windows):
        path = root / "data" / source
        if source in SHARED_SOURCES or source.split("/")[0] not in REAL_CORPORA or not path.is_file():
            continue
        frame, labels = build(pd.read_csv(path), windows[source], counts=source.startswith("realTweets/"))
        found.append((f"nab_{Path(source).stem}", frame, labels))
    return found


def build(raw: pd.DataFrame, windows: list[list[str]], *, counts: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The archive and labels of one NAB series (``timestamp, value``) and its windows."""
    stamps = pd.to_datetime(raw["timestamp"])
    values = pd.to_numeric(raw["value"], errors="coerce")
    if len(raw) > LONG:
        grouped = pd.Series(values.to_numpy(), index=stamps).resample(BUCKET)
        series = grouped.sum(min_count=1) if counts else grouped.mean()
        series = series.dropna()
        starts, stops = series.index, series.index + BUCKET
    else:
        series = pd.Series(values.to_numpy(), index=stamps)
        starts = stops = series.index
    window_id = np.full(len(series), -1)
    for number, (begin, end) in enumerate(windows):
        # A bucket overlaps [begin, end] when it starts before the end and stops after the begin.
        inside = (starts <= pd.Timestamp(end)) & (stops >= pd.Timestamp(begin))
        window_id[np.asarray(inside) & (window_id < 0)] = number
    text = series.index.strftime("%Y-%m-%dT%H:%M:%S")
    frame = pd.DataFrame({"timestamp": text, "value": series.to_numpy()})
    labels = pd.DataFrame({"timestamp": text, "is_anomaly": (window_id >= 0).astype(int), "window_id": window_id})
    return frame, labels


def main(nab_dir: str, out: str) -> None:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame, labels in cases(nab_dir):
        frame.to_csv(folder / f"{name}.csv", index=False)
        labels.to_csv(folder / f"{name}.labels.csv", index=False)
        print(f"{name}: {len(frame)} rows, {int(labels['is_anomaly'].sum())} labelled")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    main(sys.argv[1], sys.argv[2])
