"""RobustZScore: the verdicts a data owner relies on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataset_health.detectors import (
    FAIL,
    INSUFFICIENT_HISTORY,
    PASS,
    RobustZScore,
    make_detector,
)


def weekly_volumes(weeks: int = 10, seed: int = 0) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Daily counts: ~20k on weekdays, ~2k on weekends, 5% noise."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range("2024-01-01 06:00", periods=weeks * 7, freq="D")
    level = np.where(stamps.dayofweek < 5, 20_000, 2_000)
    return level * rng.lognormal(0, 0.05, len(stamps)), stamps


def test_partial_load_fails_with_a_reason_a_person_understands() -> None:
    values, stamps = weekly_volumes()
    monday = max(i for i, s in enumerate(stamps) if s.dayofweek == 0)
    values, stamps = values[: monday + 1], stamps[: monday + 1]
    values[-1] = 900
    verdict = RobustZScore().check(values, stamps, metric="rows_created")
    assert verdict.status == FAIL
    assert verdict.reason.startswith("rows_created 900 is 96% below the usual Monday 20,")
    assert verdict.lower > 900 and verdict.expected == pytest.approx(20_000, rel=0.05)
    assert verdict.history_size >= 8


def test_weekend_dip_is_normal_when_compared_with_the_same_weekday() -> None:
    values, stamps = weekly_volumes()
    sunday = max(i for i, s in enumerate(stamps) if s.dayofweek == 6)
    verdict = RobustZScore().check(values[: sunday + 1], stamps[: sunday + 1], metric="rows_created")
    assert verdict.status == PASS
    assert "usual Sunday" in verdict.reason
    # Without seasonality the same Sunday looks like a partial load.
    flat = RobustZScore(seasonality="none").check(values[: sunday + 1], stamps[: sunday + 1])
    assert flat.status == FAIL


def test_duplicate_load_fails_up_but_not_when_only_down_counts() -> None:
    history = [10_000, 10_200, 9_900, 10_100, 9_950, 10_050, 10_000, 20_100]
    assert RobustZScore(min_history=5).check(history).status == FAIL
    assert RobustZScore(min_history=5, direction="down").check(history).status == PASS
    assert RobustZScore(min_history=5, direction="up").check(history).status == FAIL


def test_short_history_is_its_own_outcome_not_a_pass() -> None:
    verdict = RobustZScore(min_history=7).check([10, 11, 12, 0])
    assert verdict.status == INSUFFICIENT_HISTORY
    assert verdict.score is None
    assert "3 past values, fewer than the 7 needed" in verdict.reason


def test_junk_and_infinite_values_are_ignored_not_learned() -> None:
    history = [100, "n/a", 101, np.inf, 99, None, 100, 102, 98, 100, 5]
    verdict = RobustZScore(min_history=5).check(history)
    assert verdict.status == FAIL
    assert verdict.history_size == 7


def test_metric_constant_for_months_fails_on_a_real_change_only() -> None:
    constant = [14.0] * 60
    assert RobustZScore(scale="linear").check(constant + [13.0]).status == FAIL
    assert RobustZScore(scale="linear").check(constant + [14.0]).status == PASS


def test_one_past_incident_does_not_widen_the_band() -> None:
    history = [1000.0 + i % 3 for i in range(30)]
    history[20] = 10.0  # an old partial load
    assert RobustZScore().check(history + [500.0]).status == FAIL


def test_fit_returns_self_and_learned_state_ends_in_underscore() -> None:
    detector = RobustZScore()
    assert detector.fit([1, 2, 3]) is detector
    assert hasattr(detector, "history_") and hasattr(detector, "log_scale_")
    assert detector.get_params()["sensitivity"] == 4.0


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("direction", "sideways", "parameter 'direction' must be 'both' or 'up' or 'down'; got 'sideways'"),
        ("sensitivity", 0, "parameter 'sensitivity' must be a number in (0, inf)"),
        ("training_window", 1, "parameter 'training_window' must be None or a number in [2, inf]"),
    ],
)
def test_bad_parameters_are_named_when_fit_starts(param: str, value, message: str) -> None:
    detector = RobustZScore(**{param: value})  # __init__ only stores
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        detector.fit([1.0, 2.0, 3.0])


def test_registry_names_unknown_detectors() -> None:
    assert isinstance(make_detector("robust_z", sensitivity=3), RobustZScore)
    with pytest.raises(ValueError, match="unknown detector 'prophet'; known: .*robust_z"):
        make_detector("prophet")


def test_verdict_is_json_safe() -> None:
    verdict = RobustZScore(min_history=3).check([1.0, 2.0, 3.0, 2.0])
    data = verdict.to_dict()
    assert all(not isinstance(v, (np.floating, np.integer)) for v in data.values())
    assert data["status"] in (PASS, FAIL)
