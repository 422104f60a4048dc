"""The baselines reproduce the tools' arithmetic, on series small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dataset_health.detectors import DETECTORS, FAIL, INSUFFICIENT_HISTORY, PASS, make_detector
from dataset_health.detectors.baselines import (
    DeequHoltWinters,
    DeequOnlineNormal,
    DeequRelativeRateOfChange,
    ElementaryZScore,
    _HoltWintersState,
)

BASELINE_NAMES = ("elementary_z", "deequ_online_normal", "deequ_relative_rate_of_change", "deequ_holt_winters")


def test_every_baseline_is_registered() -> None:
    assert set(BASELINE_NAMES) <= set(DETECTORS)


# ------------------------------------------------------------ Elementary
def test_elementary_keeps_the_tested_point_in_its_training_set() -> None:
    # Training set: the six past values and 40. Mean 100/7; sample std 11.339.
    verdict = ElementaryZScore().check([10, 10, 10, 10, 10, 10, 40])
    mean = 100 / 7
    std = math.sqrt((6 * (10 - mean) ** 2 + (40 - mean) ** 2) / 6)
    assert verdict.expected == pytest.approx(mean)
    assert verdict.score == pytest.approx((40 - mean) / std, abs=1e-4)  # 2.268: inside 3
    assert verdict.status == PASS
    assert verdict.upper == pytest.approx(mean + 3 * std)
    assert verdict.lower == 0.0  # a count's band stops at zero, as Elementary shows it


def test_elementary_z_can_never_exceed_the_cap_of_its_window() -> None:
    history = [100.0 + (i % 3) for i in range(40)]
    for outlier in (1e3, 1e6, 1e12):
        score = ElementaryZScore().check(history + [outlier]).score
        assert score <= 13 / math.sqrt(14) + 1e-4  # 14 values, the tested one among them (score is rounded)


def test_elementary_trains_on_the_newest_training_window_values() -> None:
    old = [1000.0] * 20
    recent = [10.0, 11.0, 9.0, 10.0, 12.0, 8.0, 10.0, 11.0, 9.0, 10.0, 12.0, 8.0, 10.0]
    verdict = ElementaryZScore().check(old + recent + [10.0])
    assert verdict.history_size == 13
    assert verdict.expected == pytest.approx(np.mean(recent + [10.0]))


def test_elementary_zero_deviation_scores_zero() -> None:
    verdict = ElementaryZScore().check([5.0] * 10)
    assert (verdict.status, verdict.score) == (PASS, 0.0)


def test_elementary_day_of_week_uses_the_same_weekday_of_the_last_training_window_weeks() -> None:
    stamps = pd.date_range("2024-01-01", periods=21 * 7 + 1, freq="D")  # ends on a Monday
    values = np.where(stamps.dayofweek == 0, 100.0, 10.0)
    values[:7 * 7] = np.where(stamps[:7 * 7].dayofweek == 0, 5000.0, 10.0)  # old Mondays, out of the window
    values[-1] = 100.0
    verdict = ElementaryZScore(seasonality="day_of_week").check(values, stamps)
    assert "same weekday (Monday)" in verdict.reason
    # 14 weeks back: Mondays strictly later than 98 days before the newest one.
    assert verdict.history_size == 13
    assert (verdict.expected, verdict.score) == (100.0, 0.0)


def test_elementary_hour_of_day_uses_the_same_hour() -> None:
    stamps = pd.date_range("2024-03-01", periods=24 * 20 + 1, freq="h")
    values = np.where(stamps.hour == 0, 50.0, 1.0)
    verdict = ElementaryZScore(seasonality="hour_of_day").check(values, stamps)
    assert verdict.expected == 50.0 and verdict.history_size == 13


def test_elementary_direction_down_ignores_spikes() -> None:
    history = [10.0, 11.0, 9.0] * 10
    assert ElementaryZScore(direction="down", training_window=30).check(history + [100.0]).status == PASS
    assert ElementaryZScore(direction="up", training_window=30).check(history + [100.0]).status == FAIL


def test_elementary_needs_timestamps_for_seasonality() -> None:
    with pytest.raises(ValueError, match="needs timestamps"):
        ElementaryZScore(seasonality="day_of_week").check([1.0] * 10)


# ----------------------------------------------------- Deequ OnlineNormal
def test_elementary_refuses_a_min_history_its_window_cannot_hold() -> None:
    # The tested value is one of the window's 14, so 13 past values at most.
    with pytest.raises(ValueError, match="training_window 14 holds at most 13 past values .* min_history 14"):
        ElementaryZScore(training_window=14, min_history=14).check(list(range(40)))
    judged = ElementaryZScore(training_window=14, min_history=13).check(list(range(40)))
    assert judged.status == "pass" and judged.history_size == 13


def test_online_normal_includes_the_new_point_in_a_population_deviation() -> None:
    # Values 1, 2, 3 and the new 10: mean 4, population variance 12.5.
    verdict = DeequOnlineNormal().check([1.0, 2.0, 3.0, 10.0])
    assert verdict.expected == pytest.approx(4.0)
    assert verdict.upper == pytest.approx(4 + 3 * math.sqrt(12.5))
    assert verdict.status == PASS


def test_online_normal_keeps_past_anomalies_in_the_running_mean() -> None:
    # isNewPointAnomalous searches only the new point: the old spike stays in.
    history = [10.0] * 30 + [1000.0] + [10.0] * 30
    verdict = DeequOnlineNormal().check(history + [10.0])
    assert verdict.expected == pytest.approx(np.mean(history + [10.0]))


def test_online_normal_fails_beyond_three_deviations() -> None:
    history = [10.0, 11.0, 9.0] * 10
    values = history + [30.0]
    mean, std = np.mean(values), np.std(values)
    verdict = DeequOnlineNormal().check(values)
    assert verdict.status == FAIL
    assert verdict.score == pytest.approx((30 - mean) / std, abs=1e-4)


def test_online_normal_one_sided() -> None:
    values = [10.0, 11.0, 9.0] * 10 + [-20.0]
    assert DeequOnlineNormal(direction="up").check(values).status == PASS
    assert DeequOnlineNormal(direction="down").check(values).status == FAIL


# ------------------------------------------- Deequ RelativeRateOfChange
@pytest.mark.parametrize(("values", "status", "score"), [
    ([100.0, 240.0], FAIL, 1.2),        # ratio 2.4 > 2
    ([100.0, 200.0], PASS, 1.0),        # on the bound: not outside
    ([100.0, 50.0], PASS, 1.0),
    ([100.0, 40.0], FAIL, 1.25),        # ratio 0.4 < 0.5
    ([0.0, 5.0], FAIL, math.inf),       # x / 0 is infinite
    ([0.0, 0.0], PASS, 0.0),            # 0 / 0 is NaN, which no bound catches
    ([100.0, math.nan, 30.0], FAIL, 0.5 / 0.3),  # missing values are dropped
])
def test_relative_rate_of_change_by_hand(values, status, score) -> None:
    verdict = DeequRelativeRateOfChange().check(values)
    assert verdict.status == status
    assert verdict.score == pytest.approx(score, abs=1e-4)


def test_relative_rate_of_change_band_is_in_metric_units() -> None:
    verdict = DeequRelativeRateOfChange().check([100.0, 120.0])
    assert (verdict.expected, verdict.lower, verdict.upper) == (100.0, 50.0, 200.0)


def test_relative_rate_of_change_needs_one_bound() -> None:
    with pytest.raises(ValueError, match="max_rate_decrease"):
        DeequRelativeRateOfChange(max_rate_decrease=None, max_rate_increase=None).check([1.0, 2.0])
    assert DeequRelativeRateOfChange(max_rate_decrease=None).check([100.0, 1.0]).status == PASS


# ------------------------------------------------- Deequ HoltWinters
def test_holt_winters_recursion_by_hand() -> None:
    # Period 2, series 1, 3, 2, 4: level0 = 2, trend0 = (6 - 4) / 4 = 0.5,
    # seasonality0 = [-1, 1]. With alpha = beta = gamma = 0.5:
    # t=0: forecast 2 + 0.5 - 1 = 1.5, residual -0.5; level 2.25, trend 0.375, s0 -1.25
    # t=1: forecast 2.25 + 0.375 + 1 = 3.625, residual -0.625
    state = _HoltWintersState.start([1.0, 3.0, 2.0, 4.0], 2)
    assert (state.level, state.trend, state.season) == (2.0, 0.5, [-1.0, 1.0])
    residuals: list[float] = []
    state.run([1.0, 3.0], (0.5, 0.5, 0.5), residuals)
    assert residuals == pytest.approx([-0.5, -0.625])


def test_holt_winters_needs_two_full_periods() -> None:
    week = [10.0, 12.0, 11.0, 13.0, 12.0, 4.0, 3.0]
    assert DeequHoltWinters().check(week * 2).status == INSUFFICIENT_HISTORY  # 13 past values
    assert DeequHoltWinters().check(week * 2 + [10.0]).status != INSUFFICIENT_HISTORY


def test_holt_winters_on_an_exact_season_forecasts_exactly() -> None:
    week = [10.0, 12.0, 11.0, 13.0, 12.0, 4.0, 3.0]
    verdict = DeequHoltWinters().check(week * 4 + [10.0])
    assert (verdict.status, verdict.score, verdict.expected) == (PASS, 0.0, pytest.approx(10.0))
    assert DeequHoltWinters().check(week * 4 + [10.5]).status == FAIL  # no residual spread at all


def test_holt_winters_refit_schedule_depends_on_history_length_only() -> None:
    detector = DeequHoltWinters(series_periodicity=7, refit_growth=0.1)
    lengths = [detector._fit_length(n) for n in range(14, 60)]
    assert lengths[0] == 14 and lengths == sorted(lengths)
    assert all(n - length <= max(1, math.ceil(0.1 * length)) for n, length in zip(range(14, 60), lengths))
    assert DeequHoltWinters(refit_growth=0.0)._fit_length(40) == 40  # Deequ: refit on every check


# ------------------------------------------------------------ all four
def _series(rows: int = 80, seed: int = 3) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = rng.lognormal(3, 0.4, rows)
    values[rng.random(rows) < 0.1] = np.nan
    values[40], values[55:58] = 400.0, 0.0
    stamps = pd.date_range("2024-01-01", periods=rows, freq="D") + pd.to_timedelta(rng.integers(0, 7200, rows), "s")
    return values, stamps, rng.random(rows) < 0.1


@pytest.mark.parametrize(("name", "params"), [
    ("elementary_z", {}),
    ("elementary_z", {"seasonality": "day_of_week"}),
    ("elementary_z", {"seasonality": "hour_of_day"}),
    ("deequ_online_normal", {}),
    ("deequ_relative_rate_of_change", {}),
    ("deequ_holt_winters", {"refit_growth": 0.5}),
])
@pytest.mark.parametrize("with_exclude", [False, True])
def test_walk_forward_equals_check_on_every_prefix(name: str, params: dict, with_exclude: bool) -> None:
    values, stamps, exclude = _series()
    mask = exclude if with_exclude else None
    fast = make_detector(name, **params).walk_forward(values, stamps, mask, metric="m")
    for t in range(len(values)):
        slow = make_detector(name, **params).check(
            values[: t + 1], stamps[: t + 1], metric="m", exclude=None if mask is None else mask[: t + 1]
        )
        assert fast[t] == slow, t


@pytest.mark.parametrize("name", BASELINE_NAMES)
def test_missing_value_is_not_judged(name: str) -> None:
    values = [10.0, 12.0, 11.0, 13.0, 12.0, 4.0, 3.0] * 3 + [math.nan]
    stamps = pd.date_range("2024-01-01", periods=len(values), freq="D")
    verdict = make_detector(name).check(values, stamps, metric="rows")
    assert verdict.status == INSUFFICIENT_HISTORY and "no numeric value" in verdict.reason
    assert verdict.to_dict()["observed"] is None


@pytest.mark.parametrize("name", BASELINE_NAMES)
def test_verdicts_are_json_safe_and_name_the_detector(name: str) -> None:
    values = [10.0, 12.0, 11.0, 13.0, 12.0, 4.0, 3.0] * 3 + [60.0]
    stamps = pd.date_range("2024-01-01", periods=len(values), freq="D")
    verdict = make_detector(name).check(values, stamps, metric="rows_created")
    assert verdict.detector == name and verdict.reason.startswith("rows_created 60")
    assert all(not isinstance(v, float) or math.isfinite(v) for v in verdict.to_dict().values())


@pytest.mark.parametrize(("name", "param", "value"), [
    ("elementary_z", "sensitivity", 0),
    ("elementary_z", "seasonality", "auto"),
    ("deequ_online_normal", "direction", "sideways"),
    ("deequ_holt_winters", "series_periodicity", 1),
])
def test_bad_parameters_are_named(name: str, param: str, value) -> None:
    with pytest.raises(ValueError, match=f"parameter {param!r} must be"):
        make_detector(name, **{param: value}).check([1.0, 2.0, 3.0])
