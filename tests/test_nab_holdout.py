"""bench/nab_holdout.py builds held-out cases from a NAB checkout the way the shared benchmark built its own."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import nab_holdout  # noqa: E402


def _write_series(root, source, stamps, values):
    path = root / "data" / source
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"), "value": values}).to_csv(path, index=False)


@pytest.fixture
def nab_dir(tmp_path):
    short = pd.date_range("2015-09-01", periods=200, freq="5min")
    long = pd.date_range("2015-09-01", periods=7_200, freq="5min")  # 600 hours
    windows = {
        "realTraffic/speed_short.csv": [[str(short[50]), str(short[59])]],
        "realTweets/Twitter_volume_XYZ.csv": [[str(long[1_210]), str(long[1_230])]],
        "realTweets/Twitter_volume_AAPL.csv": [[str(short[10]), str(short[20])]],  # shared: left out
        "artificialWithAnomaly/art_spike.csv": [[str(short[10]), str(short[20])]],  # not a real series
        "realAWSCloudwatch/missing_file.csv": [],
    }
    _write_series(tmp_path, "realTraffic/speed_short.csv", short, np.arange(200.0))
    _write_series(tmp_path, "realTweets/Twitter_volume_XYZ.csv", long, np.ones(7_200))
    _write_series(tmp_path, "realTweets/Twitter_volume_AAPL.csv", short, np.ones(200))
    _write_series(tmp_path, "artificialWithAnomaly/art_spike.csv", short, np.ones(200))
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "combined_windows.json").write_text(json.dumps(windows), encoding="utf-8")
    return tmp_path


def test_only_real_unshared_series_present_on_disk_become_cases(nab_dir):
    names = [name for name, _, _ in nab_holdout.cases(nab_dir)]
    assert names == ["nab_speed_short", "nab_Twitter_volume_XYZ"]


def test_a_short_series_keeps_its_rows_and_labels_its_window_inclusively(nab_dir):
    frame, labels = dict((name, (f, l)) for name, f, l in nab_holdout.cases(nab_dir))["nab_speed_short"]
    assert len(frame) == len(labels) == 200
    assert list(frame.columns) == ["timestamp", "value"]
    assert frame["timestamp"].tolist() == labels["timestamp"].tolist()
    assert labels.index[labels["is_anomaly"] == 1].tolist() == list(range(50, 60))
    assert set(labels.loc[labels["is_anomaly"] == 1, "window_id"]) == {0}
    assert set(labels.loc[labels["is_anomaly"] == 0, "window_id"]) == {-1}


def test_a_long_count_series_is_summed_into_hourly_buckets_labelled_by_overlap(nab_dir):
    frame, labels = dict((name, (f, l)) for name, f, l in nab_holdout.cases(nab_dir))["nab_Twitter_volume_XYZ"]
    assert len(frame) == 600
    assert (frame["value"] == 12).all()  # twelve 5-minute counts of one per hour
    # The window runs from 5-minute row 1,210 (hour 100, minute 50) to row 1,230 (hour 102, minute 30).
    assert labels.index[labels["is_anomaly"] == 1].tolist() == [100, 101, 102]


def test_a_folder_without_nab_labels_is_refused_by_name(tmp_path):
    with pytest.raises(SystemExit, match="combined_windows.json"):
        nab_holdout.cases(tmp_path)
