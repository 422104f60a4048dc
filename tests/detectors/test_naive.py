"""Naive detectors: z-score, IQR, rate of change, absolute change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _synthetic import FAULTS, daily_archive, healthy_verdicts, judge_fault

from dataset_health.detectors import (
    FAIL,
    PASS,
    AbsoluteChange,
    IQRDetector,
    RateOfChange,
    ZScore,
)

NAIVE = [ZScore, IQRDetector, RateOfChange, AbsoluteChange]


@pytest.mark.parametrize("cls", NAIVE, ids=lambda c: c.name)
def test_healthy_weekdays_weekends_holidays_and_growth_pass(cls) -> None:
    verdicts = healthy_verdicts(lambda: cls(holidays="us_federal"))
    assert [v.reason for v in verdicts if v.status != PASS] == []


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("cls", NAIVE, ids=lambda c: c.name)
def test_injected_faults_fail(cls, fault: str) -> None:
    verdict = judge_fault(cls, fault)
    assert verdict.status == FAIL, verdict.reason


def test_zscore_is_the_classic_one_with_its_usual_sensitivity() -> None:
    assert ZScore().sensitivity == 3.0
    history = [100.0, 104, 98, 101, 99, 103, 97, 102, 100]
    verdict = ZScore(min_history=5, scale="linear").check(history + [112])
    assert verdict.status == FAIL and verdict.expected == pytest.approx(np.mean(history))


def test_iqr_score_is_tukeys_k() -> None:
    history = [10.0, 11, 12, 13, 14, 15, 16, 17, 18]  # quartiles 12 and 16, IQR 4
    verdict = IQRDetector(min_history=5, scale="linear").check(history + [28])
    assert verdict.score == pytest.approx(3.0)  # (28 - 16) / 4
    assert verdict.status == PASS  # k must exceed 3, Tukey's "far out"
    assert IQRDetector(min_history=5, scale="linear").check(history + [29]).status == FAIL


def test_rate_of_change_judges_a_cumulative_count_by_its_change() -> None:
    archive = daily_archive()
    detector = RateOfChange(holidays="us_federal")
    assert detector.check(archive["row_count"], archive["timestamp"]).status == PASS
    dropped = archive["row_count"].to_numpy().copy()
    dropped[-1] *= 0.8  # a mass delete of a fifth
    verdict = detector.check(dropped, archive["timestamp"], metric="row_count")
    assert verdict.status == FAIL and "from the Tuesday before" in verdict.reason


def test_rate_of_change_compares_a_monday_with_the_monday_before() -> None:
    archive = daily_archive(end="2024-11-25")
    verdict = RateOfChange().check(archive["rows_created"], archive["timestamp"], metric="rows_created")
    assert verdict.status == PASS and "from the Monday before" in verdict.reason
    plain = RateOfChange(seasonality="none").check(archive["rows_created"], archive["timestamp"])
    assert plain.status == FAIL  # Monday after Sunday: a x15 jump without the weekly view


def test_absolute_change_reads_a_null_explosion_in_the_metrics_units() -> None:
    verdict = judge_fault(AbsoluteChange, "null_explosion")
    assert verdict.reason.startswith("null_fraction 0.7 is ")
    assert verdict.upper < 0.05 and verdict.lower > 0


@pytest.mark.parametrize("cls", NAIVE, ids=lambda c: c.name)
def test_direction_down_ignores_a_duplicate_load(cls) -> None:
    assert judge_fault(lambda: cls(direction="down"), "duplicate_load").status == PASS
    assert judge_fault(lambda: cls(direction="up"), "duplicate_load").status == FAIL


@pytest.mark.parametrize("cls", NAIVE, ids=lambda c: c.name)
@pytest.mark.parametrize(("param", "value"), [("direction", "sideways"), ("training_window", 1),
                                              ("seasonality", "weekly"), ("scale", "sqrt")])
def test_bad_parameters_raise_a_clear_value_error(cls, param: str, value) -> None:
    with pytest.raises(ValueError, match=f"parameter '{param}' must be .*; got {value!r}"):
        cls(**{param: value}).fit([1.0, 2.0, 3.0])


@pytest.mark.parametrize("name", ["robust_z", "iqr"])
def test_pure_noise_is_rarely_flagged_when_eight_values_a_weekday_are_all_the_window_holds(name: str) -> None:
    # A median deviation of eight Mondays is so shaky that 3-4% of plain noise failed; the
    # deviations pooled over the week are not.
    from dataset_health.backtest import backtest

    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"timestamp": pd.date_range("2024-01-01 06:00", periods=400, freq="D"),
                          "orders": 1000 + 30 * rng.standard_normal(400)})
    assert backtest(frame, detector=name)["is_anomaly"][60:].mean() < 0.015
