"""mad_sigma, the robust spread most detectors judge by."""

from __future__ import annotations

import numpy as np
import pytest

from dataset_health.detectors._robust import MAD_TO_SIGMA, mad_sigma


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
