"""The scales consensus_z judges counts on: invertible, 0 kept at 0, slopes true."""

from __future__ import annotations

import numpy as np
import pytest

from dataset_health.detectors._count_scales import LINEAR, LOG, POWER, sides


@pytest.mark.parametrize("scale", [LINEAR, POWER, LOG], ids=lambda s: s.label)
@pytest.mark.parametrize("x", [0.0, 0.02, 1.0, 705.0, 38_000_000.0])
def test_each_scale_inverts_and_its_slope_is_its_derivative(scale, x) -> None:
    assert scale.inverse(float(scale.forward(np.float64(x)))) == pytest.approx(x, rel=1e-9, abs=1e-12)
    step = 1e-6 * max(x, 1.0)
    numeric = (scale.forward(np.float64(x + step)) - scale.forward(np.float64(x))) / step
    assert scale.slope(x) == pytest.approx(numeric, rel=1e-4)
    assert scale.forward(np.float64(0.0)) == 0.0


def test_a_point_below_the_power_scales_range_maps_to_minus_one_not_to_a_complex_number() -> None:
    assert POWER.inverse(-5.0) == -1.0


def test_rises_and_drops_take_their_own_scales_and_direction_filters_them() -> None:
    assert sides("both", True) == [("up", POWER), ("down", LOG)]
    assert sides("down", True) == [("down", LOG)]
    assert sides("both", False) == [("both", LINEAR)]
