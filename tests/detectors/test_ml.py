"""Machine-learning detectors of one metric: isolation forest and a small neural network."""

from __future__ import annotations

import pytest
from _synthetic import FAULTS, daily_archive, healthy_verdicts, hourly_series, judge_fault

from dataset_health.detectors import FAIL, INSUFFICIENT_HISTORY, PASS, IsolationForestDetector, MLPForecaster

ML = [IsolationForestDetector, MLPForecaster]


@pytest.mark.parametrize("cls", ML, ids=lambda c: c.name)
def test_healthy_weekdays_weekends_holidays_and_growth_pass(cls) -> None:
    metrics = ["rows_created", "rows_updated", "null_fraction", "freshness_lag_hours"]
    verdicts = healthy_verdicts(lambda: cls(holidays="us_federal"), metrics=metrics)
    assert [v.reason for v in verdicts if v.status != PASS] == []


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("cls", ML, ids=lambda c: c.name)
def test_injected_faults_fail(cls, fault: str) -> None:
    verdict = judge_fault(cls, fault)
    assert verdict.status == FAIL, verdict.reason


@pytest.mark.parametrize("cls", ML, ids=lambda c: c.name)
def test_verdicts_are_reproducible_and_carry_a_band(cls) -> None:
    broken = judge_fault(cls, "partial_load")
    assert broken.to_dict() == judge_fault(cls, "partial_load").to_dict()  # seeded
    assert broken.lower < broken.expected < broken.upper and broken.lower > broken.observed


@pytest.mark.parametrize("cls", ML, ids=lambda c: c.name)
def test_a_few_weeks_are_needed_before_a_model_is_trained(cls) -> None:
    archive = daily_archive(days=21)
    verdict = cls().check(archive["rows_created"], archive["timestamp"])
    assert verdict.status == INSUFFICIENT_HISTORY and "needed" in verdict.reason


@pytest.mark.parametrize("cls", ML, ids=lambda c: c.name)
def test_walk_forward_over_hourly_history_retrains_by_the_day(cls) -> None:
    values, stamps = hourly_series(days=28)
    values[600] *= 0.1
    verdicts = cls().walk_forward(values, stamps)
    fails = [t for t, v in enumerate(verdicts) if v.status == FAIL]
    assert 600 in fails and len(fails) <= 0.02 * values.size


def test_mlp_forecasts_from_its_lags_and_says_so() -> None:
    verdict = judge_fault(MLPForecaster, "partial_load")
    assert verdict.reason.startswith("rows_created ") and "neural network on the last 7 values" in verdict.reason


@pytest.mark.parametrize(("cls", "param", "value"), [(IsolationForestDetector, "n_estimators", 0),
                                                     (MLPForecaster, "hidden", 0),
                                                     (MLPForecaster, "lags", 0.5)])
def test_bad_parameters_raise_a_clear_value_error(cls, param: str, value) -> None:
    with pytest.raises(ValueError, match=rf"parameter .{param}. must be (None or )?a number in \[1, inf\]; got {value}"):
        cls(**{param: value}).fit(list(range(60)))
