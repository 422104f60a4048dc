"""mad_sigma, the robust spread most detectors judge by, and the median beneath it."""

from __future__ import annotations

import numpy as np
import pytest

import pandas as pd

from dataset_health.detectors._robust import MAD_TO_SIGMA, mad_sigma, median
from dataset_health.detectors._seasons import _pooled_deviations, season_mask
from dataset_health.detectors.robust_z import RobustZScore


def test_it_estimates_a_normal_sigma_and_ignores_an_outlier() -> None:
    values = np.random.default_rng(0).normal(50, 2, 20_000)
    assert mad_sigma(values) == pytest.approx(2, rel=0.03)
    assert mad_sigma(np.append(values, 1e9)) == pytest.approx(2, rel=0.03)
    assert np.std(np.append(values, 1e9)) > 1e6


def test_the_center_can_be_given_as_a_number_or_a_moving_baseline() -> None:
    assert mad_sigma([1.0, -1.0, 3.0], 0.0) == MAD_TO_SIGMA * 1.0
    baseline = np.array([10.0, 20.0, 30.0])
    assert mad_sigma(baseline + [1.0, -2.0, 3.0], baseline) == MAD_TO_SIGMA * 2.0


def test_one_spread_per_column_with_an_axis_and_zero_without_values() -> None:
    columns = np.array([[1.0, 10.0], [2.0, 30.0], [3.0, 50.0]])
    np.testing.assert_allclose(mad_sigma(columns, axis=0), [MAD_TO_SIGMA * 1.0, MAD_TO_SIGMA * 20.0])
    assert mad_sigma([]) == 0.0


def test_the_fast_median_is_numpys_to_the_bit() -> None:
    # Detectors' verdicts must not move by a rounding: the walk-forward speed-up is exact.
    rng = np.random.default_rng(3)
    for size in range(1, 300):
        values = rng.normal(size=size) * 10 ** rng.uniform(-6, 9)
        assert median(values) == float(np.median(values))
    gaps = rng.integers(10**12, 10**16, size=40)  # int64 nanoseconds, as cadence passes them
    assert median(gaps) == float(np.median(gaps)) and median(gaps[:-1]) == float(np.median(gaps[:-1]))
    assert median([[4.0, 1.0], [3.0, 2.0]]) == 2.5
    assert np.isnan(median([1.0, np.nan, 2.0]))
    with pytest.warns(RuntimeWarning):  # as numpy's
        assert np.isnan(median(np.array([])))


def test_pooled_deviations_are_each_seasons_own_in_key_then_time_order() -> None:
    rng = np.random.default_rng(4)
    z, keys = rng.normal(size=500), rng.integers(0, 168, size=500)
    for center in (np.median, np.mean):
        expected = np.concatenate([z[keys == k] - center(z[keys == k])
                                   for k in np.unique(keys) if (keys == k).sum() >= 2])
        assert np.array_equal(_pooled_deviations(z, keys, median if center is np.median else center), expected)


def test_season_keys_follow_the_calendar_weekday_and_holidays() -> None:
    stamps = pd.date_range("1969-12-22 06:00", periods=40, freq="D")  # across the epoch: floor division
    detector = RobustZScore(holidays=["1970-01-01"]).fit(np.arange(40.0), stamps)
    monday = pd.Timestamp("1970-01-05 06:00")
    mask, label = season_mask(detector, monday)
    assert label == "Monday" and (stamps[mask].dayofweek == 0).all() and mask.sum() == 6
    mask, label = season_mask(detector, pd.Timestamp("1970-01-01 09:00"))
    assert label == "weekend or holiday"
    assert set(stamps[mask].strftime("%a")) == {"Sat", "Sun", "Thu"} and (stamps[mask].dayofweek == 3).sum() == 1
