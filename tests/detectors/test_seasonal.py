"""Seasonal detectors: STL / MSTL residuals and Holt-Winters prediction intervals."""

from __future__ import annotations

import numpy as np
import pytest
from _synthetic import FAULTS, daily_archive, healthy_verdicts, hourly_series, judge_fault

from dataset_health.detectors import FAIL, INSUFFICIENT_HISTORY, PASS, HoltWinters, STLDetector

SEASONAL = [STLDetector, HoltWinters]


@pytest.mark.parametrize("cls", SEASONAL, ids=lambda c: c.name)
def test_healthy_weekdays_weekends_holidays_and_growth_pass(cls) -> None:
    verdicts = healthy_verdicts(lambda: cls(holidays="us_federal"))
    assert [v.reason for v in verdicts if v.status != PASS] == []


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("cls", SEASONAL, ids=lambda c: c.name)
def test_injected_faults_fail(cls, fault: str) -> None:
    verdict = judge_fault(cls, fault)
    assert verdict.status == FAIL, verdict.reason


@pytest.mark.parametrize("cls", SEASONAL, ids=lambda c: c.name)
def test_a_holiday_is_judged_like_a_weekend_when_the_calendar_is_known(cls) -> None:
    thanksgiving = daily_archive(end="2024-11-28")
    told = cls(holidays="us_federal").check(thanksgiving["rows_created"], thanksgiving["timestamp"])
    untold = cls().check(thanksgiving["rows_created"], thanksgiving["timestamp"])
    assert (told.status, untold.status) == (PASS, FAIL)
    # A custom calendar works the same way.
    custom = cls(holidays=["2024-11-28"]).check(thanksgiving["rows_created"], thanksgiving["timestamp"])
    assert custom.status == PASS


def test_stl_infers_daily_and_weekly_periods_of_hourly_updates() -> None:
    values, stamps = hourly_series(days=21)
    detector = STLDetector(robust=False).fit(values[:-1], stamps[:-1])
    assert detector.cadence_.name == "hourly" and detector.periods_ == (24, 168)  # MSTL
    short = STLDetector(robust=False).check(values[:200], stamps[:200])
    assert short.status == INSUFFICIENT_HISTORY and "two full cycles of 168 updates" in short.reason
    verdict = detector.judge(values[-1] * 0.1, stamps[-1], metric="rows_per_hour")
    assert verdict.status == FAIL and "period 24+168" in verdict.reason


def test_holt_winters_uses_the_cadence_period_or_the_given_one() -> None:
    archive = daily_archive()
    detector = HoltWinters().fit(archive["rows_created"], archive["timestamp"])
    assert detector.period_ == 7 and set(detector.params_) >= {"smoothing_level", "smoothing_seasonal"}
    assert HoltWinters(seasonality="none").fit(archive["rows_created"], archive["timestamp"]).period_ is None


@pytest.mark.parametrize("cls", SEASONAL, ids=lambda c: c.name)
def test_missed_runs_keep_the_weekly_cycle_in_place(cls) -> None:
    archive = daily_archive().drop(index=[60, 61, 90, 105]).reset_index(drop=True)  # four missed runs
    assert cls().check(archive["rows_created"], archive["timestamp"]).status == PASS
    values = archive["rows_created"].to_numpy().copy()
    values[-1] *= 0.1
    assert cls().check(values, archive["timestamp"]).status == FAIL


@pytest.mark.parametrize("cls", SEASONAL, ids=lambda c: c.name)
def test_two_weeks_are_needed_to_learn_a_weekly_cycle(cls) -> None:
    archive = daily_archive(days=12)
    verdict = cls().check(archive["rows_created"], archive["timestamp"])
    assert verdict.status == INSUFFICIENT_HISTORY and "two full cycles of 7 updates" in verdict.reason


@pytest.mark.parametrize("cls", SEASONAL, ids=lambda c: c.name)
def test_walk_forward_over_hourly_history_refits_rarely_and_stays_quiet(cls) -> None:
    values, stamps = hourly_series(days=35)
    values[700] *= 0.1  # one partial hour
    verdicts = cls(robust=False).walk_forward(values, stamps) if cls is STLDetector else \
        cls().walk_forward(values, stamps)
    fails = [t for t, v in enumerate(verdicts) if v.status == FAIL]
    assert len(verdicts) == values.size and 700 in fails
    assert len(fails) <= 0.01 * values.size


def test_stl_bad_period_is_named() -> None:
    with pytest.raises(ValueError, match=r"parameter 'period' must be None or an int >= 2 or a list of them; got 1"):
        STLDetector(period=1).fit(np.arange(30.0))
    with pytest.raises(ValueError, match=r"parameter 'refit_every' must be None or a number in \[1, inf\]; got 0"):
        HoltWinters(refit_every=0).fit(np.arange(30.0))
