"""The contract every library detector keeps, and the quirks handled once for all.

scikit-learn conventions, the three outcomes, junk and NaN, ``exclude``,
walk-forward, and the archive quirks the shared base handles: constant
metrics, sparse counts, zeros, level shifts, calendars, cadences.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _synthetic import daily_archive
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from dataset_health.detectors._univariate import UnivariateDetector
from dataset_health.detectors import (
    DETECTORS,
    FAIL,
    INSUFFICIENT_HISTORY,
    LIBRARY,
    PASS,
    BaseMultivariateDetector,
    RateOfChange,
    RobustZScore,
    make_detector,
)
from dataset_health.detectors._counts import CountModel, is_discrete_count
from dataset_health.detectors.baselines import BASELINES
from dataset_health.detectors.cadence import infer_cadence, period_from_data
from dataset_health.detectors.calendar import day_kind, resolve_holidays

UNIVARIATE = [cls for cls in LIBRARY if not issubclass(cls, BaseMultivariateDetector)]


def test_every_library_detector_is_registered_by_its_name() -> None:
    for cls in LIBRARY:
        assert DETECTORS[cls.name] is cls
        assert isinstance(make_detector(cls.name, sensitivity=5), cls)
    with pytest.raises(ValueError, match="unknown detector 'prophet'; known: .*robust_z"):
        make_detector("prophet")
    with pytest.raises(ValueError, match="detector 'stl'"):
        make_detector("stl", colour="blue")


@pytest.mark.parametrize("cls", LIBRARY, ids=lambda c: c.name)
def test_init_only_stores_and_bad_parameters_are_named_at_fit(cls) -> None:
    detector = cls(sensitivity=-1)  # accepted by __init__, which only stores
    assert clone(detector).get_params()["sensitivity"] == -1
    data = pd.DataFrame({"a": np.arange(30.0)}) if issubclass(cls, BaseMultivariateDetector) else np.arange(30.0)
    with pytest.raises(ValueError, match=rf"{cls.__name__}: parameter 'sensitivity' must be a number in \(0, inf\); got -1"):
        detector.fit(data)


@pytest.mark.parametrize("cls", [c for c in LIBRARY if "training_window" in c().get_params()], ids=lambda c: c.name)
def test_a_training_window_below_min_history_is_refused_by_name(cls) -> None:
    detector = cls(training_window=5, min_history=20)
    data = pd.DataFrame({"a": np.arange(30.0)}) if issubclass(cls, BaseMultivariateDetector) else np.arange(30.0)
    with pytest.raises(ValueError, match=rf"{cls.__name__}: training_window 5 is smaller than min_history 20"):
        detector.fit(data)


SEASONAL_NEEDS = [c for c in UNIVARIATE if issubclass(c, UnivariateDetector) and c.name in ("holt_winters", "isolation_forest", "mlp")]


@pytest.mark.parametrize("cls", SEASONAL_NEEDS, ids=lambda c: c.name)
def test_a_training_window_too_small_for_the_model_says_so_and_how_to_fix_it(cls) -> None:
    archive = daily_archive(days=200)
    values, stamps = archive["rows_created"], archive["timestamp"]
    window, rounds = 3, []
    while len(rounds) < 4:
        verdict = cls(min_history=2, training_window=window).check(values, stamps, metric="rows_created")
        rounds.append((window, verdict.status))
        if verdict.status != INSUFFICIENT_HISTORY:
            break
        # The need can grow with the window (a period found in more timestamps): advice is followed again.
        advice = re.search(r"its training_window of (\d+) never holds that many: set it to (\d+) or more", verdict.reason)
        assert advice and int(advice.group(1)) == window, verdict.reason
        window = int(advice.group(2))
    assert rounds[-1][1] != INSUFFICIENT_HISTORY and len(rounds) <= 3, rounds
    assert "training_window" not in cls(min_history=2).check(values[:8], stamps[:8]).reason  # too young, not misconfigured


@pytest.mark.parametrize("cls", UNIVARIATE, ids=lambda c: c.name)
def test_fit_returns_self_and_a_week_of_history_is_insufficient(cls) -> None:
    archive = daily_archive(days=8)
    detector = cls()
    assert detector.fit(archive["rows_created"][:-1], archive["timestamp"][:-1]) is detector
    assert hasattr(detector, "history_")
    if isinstance(detector, UnivariateDetector):  # it picks a scale per metric; the others have one
        assert hasattr(detector, "scale_")
    verdict = detector.check(list(archive["rows_created"][:7]) + [0.0], archive["timestamp"])
    assert verdict.status == INSUFFICIENT_HISTORY  # a new dataset: never a false alarm
    assert verdict.score is None and verdict.history_size == 7
    assert "fewer than the" in verdict.reason


@pytest.mark.parametrize("cls", UNIVARIATE, ids=lambda c: c.name)
def test_junk_and_nan_are_missing_values_never_learned(cls) -> None:
    archive = daily_archive(days=90)
    values = archive["rows_created"].astype(object).to_numpy()
    values[[10, 40, 70]] = ["n/a", np.inf, None]
    detector = cls()
    verdict = detector.check(values, archive["timestamp"], metric="rows_created")
    assert verdict.status == PASS
    assert detector.history_.size <= 86 and np.isfinite(detector.history_).all()
    junk = detector.check(list(values[:-1]) + ["oops"], archive["timestamp"])
    assert junk.status == INSUFFICIENT_HISTORY and junk.reason.endswith("has no numeric value to judge")


@pytest.mark.parametrize("cls", [c for c in LIBRARY if issubclass(c, BaseMultivariateDetector)], ids=lambda c: c.name)
def test_a_row_with_no_number_in_any_column_is_not_judged_usual(cls) -> None:
    archive = daily_archive(days=90)
    frame = archive[["rows_created", "rows_updated"]].astype(object)
    frame.iloc[-1] = ["n/a", None]
    verdict = cls().check(frame, archive["timestamp"])
    assert verdict.status == INSUFFICIENT_HISTORY and "no numeric value in any of its 2 columns" in verdict.reason
    assert cls().walk_forward(frame, archive["timestamp"])[-1].status == INSUFFICIENT_HISTORY


@pytest.mark.parametrize("cls", LIBRARY, ids=lambda c: c.name)
def test_a_missing_update_time_is_named_not_a_crash(cls) -> None:
    archive = daily_archive(days=40)
    stamps = archive["timestamp"].astype(object).tolist()
    stamps[-1] = None
    data = archive[["rows_created"]] if issubclass(cls, BaseMultivariateDetector) else archive["rows_created"]
    with pytest.raises(ValueError, match="timestamps has no time at position 39"):
        cls().check(data, stamps)


@pytest.mark.parametrize("cls", UNIVARIATE, ids=lambda c: c.name)
def test_verdict_is_json_safe_and_score_non_negative(cls) -> None:
    archive = daily_archive(days=90)
    verdict = cls().check(archive["rows_created"], archive["timestamp"], metric="rows_created")
    data = verdict.to_dict()
    assert all(not isinstance(v, (np.floating, np.integer)) for v in data.values())
    assert data["score"] >= 0 and data["detector"] == cls.name
    assert data["reason"].startswith("rows_created ")


def test_exclude_leaves_labelled_incidents_out_of_training() -> None:
    values = [100.0] * 20 + [10.0] * 8 + [100.0] * 20 + [10.0]
    labelled = [False] * 20 + [True] * 8 + [False] * 21
    # Unlabelled, eight partial loads became a "new level" the ninth matches.
    assert RobustZScore().check(values).status == PASS
    assert RobustZScore().check(values, exclude=labelled).status == FAIL


def test_walk_forward_gives_the_verdicts_of_check_on_every_prefix() -> None:
    archive = daily_archive(days=60)
    values, stamps = archive["rows_created"].to_numpy(), archive["timestamp"]
    values[45] *= 0.1
    detector = RateOfChange(holidays="us_federal")
    fast = detector.walk_forward(values, stamps)
    slow = [RateOfChange(holidays="us_federal").check(values[: t + 1], stamps[: t + 1]) for t in range(1, 60)]
    assert fast[0].status == INSUFFICIENT_HISTORY and len(fast) == 60
    assert [v.to_dict() for v in fast[1:]] == [v.to_dict() for v in slow]
    assert [t for t, v in enumerate(fast) if v.status == FAIL][:1] == [45]


# ------------------------------------------------------------- archive quirks
def test_metric_constant_for_months_fails_once_on_a_change_then_follows_it() -> None:
    counts = [14.0] * 60
    assert RobustZScore().check(counts + [15.0]).status == FAIL
    # Changed legitimately: the repeats are not new alarms.
    assert RobustZScore().check(counts + [15.0, 15.0]).status == PASS
    later = counts + [15.0] * 10
    verdict = RobustZScore().check(later + [15.0])
    assert verdict.status == PASS and "constant over the last 10 updates" in verdict.reason


def test_a_float_level_shift_alarms_twice_then_is_the_new_normal() -> None:
    rng = np.random.default_rng(3)
    before, after = 18_000 * rng.lognormal(0, 0.005, 40), 52_000 * rng.lognormal(0, 0.005, 6)
    statuses = [RobustZScore().check(np.concatenate([before, after[: k + 1]])).status for k in range(6)]
    assert statuses == [FAIL, FAIL, PASS, PASS, PASS, PASS]
    verdict = RobustZScore().check(np.concatenate([before, after[:3]]))
    assert "level shift" in verdict.reason
    # Back to the old level is normal too, and a partial load fails against both levels.
    assert RobustZScore().check(np.concatenate([before, after[:3], [18_000]])).status == PASS
    assert RobustZScore().check(np.concatenate([before, after[:3], [1_800]])).status == FAIL


def test_sparse_counts_get_a_count_model_not_a_standard_deviation() -> None:
    archive = daily_archive(days=120)
    deleted = archive["rows_deleted"].to_numpy()
    assert is_discrete_count(deleted)
    detector = RobustZScore(training_window=None)
    detector.fit(deleted)
    assert detector.scale_ == "count"
    assert detector.check(np.append(deleted, 450)).status == PASS  # an ordinary purge
    mass = detector.check(np.append(deleted, 7_600_000), metric="rows_deleted")
    assert mass.status == FAIL and "past updates non-zero" in mass.reason
    # One past mass delete does not hide the next.
    again = np.concatenate([deleted[:60], [7_600_000], deleted[60:], [6_000_000]])
    assert RobustZScore(training_window=None).check(again).status == FAIL


def test_count_model_tails() -> None:
    model = CountModel.fit(np.array([0] * 50 + [3, 120, 40, 300]), sensitivity=4)
    assert model.overdispersed and model.signed_score(0) <= 0
    assert model.signed_score(500) < 4 < model.signed_score(100_000)
    nearly_one = CountModel.fit(np.array([1] * 40 + [0, 2]), sensitivity=4)
    assert not nearly_one.overdispersed
    assert nearly_one.signed_score(2) < 4 < nearly_one.signed_score(124)


def test_zero_inflated_gauge_judges_zeros_by_how_common_they_are() -> None:
    rng = np.random.default_rng(0)
    values = np.where(rng.random(200) < 0.5, 0.0, rng.normal(0.07, 0.005, 200))
    assert RobustZScore().check(np.append(values, 0.0)).status == PASS
    assert RobustZScore().check(np.append(values, 0.071)).status == PASS
    assert RobustZScore().check(np.append(values, 0.3)).status == FAIL


def test_a_stale_zero_fails_where_zeros_never_happen_even_if_weekends_are_zero() -> None:
    archive = daily_archive(days=90, end="2024-11-26")  # a Tuesday
    created = archive["rows_created"].where(archive["timestamp"].dt.dayofweek < 5, 0.0).to_numpy()
    assert RobustZScore().check(np.append(created[:-1], 0.0), archive["timestamp"]).status == FAIL
    sunday = daily_archive(days=90, end="2024-11-24")
    created = sunday["rows_created"].where(sunday["timestamp"].dt.dayofweek < 5, 0.0)
    assert RobustZScore().check(created, sunday["timestamp"]).status == PASS


# -------------------------------------------------------- calendar, cadence
def test_holidays_us_federal_and_custom_dates() -> None:
    stamps = pd.DatetimeIndex(["2024-07-04 06:00", "2024-07-05 06:00", "2024-07-06 06:00"])
    assert day_kind(stamps, resolve_holidays("us_federal", stamps)).tolist() == [7, 4, 5]
    assert day_kind(stamps, resolve_holidays(["2024-07-05"], stamps)).tolist() == [3, 7, 5]
    with pytest.raises(ValueError, match="parameter 'holidays' must be None or 'us_federal' or a list of dates"):
        RobustZScore(holidays="christmas").fit([1.0, 2.0])


def test_cadence_and_period_from_timestamps_or_data() -> None:
    daily = pd.date_range("2024-01-01 06:00", periods=60, freq="D")
    missed = daily.delete([10, 11, 30])  # missed runs keep it daily
    assert infer_cadence(missed).name == "daily" and infer_cadence(missed).periods == (7,)
    hourly = infer_cadence(pd.date_range("2024-01-01", periods=500, freq="h"))
    assert hourly.periods == (24, 168)
    irregular = pd.DatetimeIndex(np.cumsum(np.random.default_rng(0).exponential(5, 50)) * 86400e9)
    assert infer_cadence(irregular).name == "irregular"
    # Walk-forward detectors pass int64 nanoseconds: the same answer without building an index.
    assert infer_cadence(missed.asi8) == infer_cadence(missed)
    assert infer_cadence(irregular.asi8).name == "irregular"
    assert infer_cadence(missed.to_numpy().astype("datetime64[s]")) == infer_cadence(missed)  # not read as ns
    six_hourly = np.tile([5.0, 9.0, 7.0, 1.0], 30) + np.random.default_rng(0).normal(0, 0.2, 120)
    assert period_from_data(six_hourly, 20) == 4


@pytest.mark.parametrize("cls", [*LIBRARY, *BASELINES], ids=lambda c: c.name)
def test_judging_before_fit_raises_not_fitted_error(cls) -> None:
    row = pd.Series({"a": 1.0}) if issubclass(cls, BaseMultivariateDetector) else 1.0
    with pytest.raises(NotFittedError, match=f"This {cls.__name__} instance is not fitted yet"):
        cls().judge(row)


# Passes that a band cannot show: the value is like past months' same day, or holds a change already judged.
_EXPLAINED_PASS = ("a monthly event", "which was already as far out")


@pytest.mark.parametrize("cls", UNIVARIATE, ids=lambda c: c.name)
def test_a_value_passes_exactly_when_it_is_inside_its_band(cls) -> None:
    archive = daily_archive(days=200, seed=4)
    values = archive["rows_created"].to_numpy().copy()
    values[[120, 150, 170]] *= [0.3, 2.5, 0.0]  # some failures to judge as well
    for verdict, value in zip(cls().walk_forward(values, archive["timestamp"]), values):
        if verdict.status not in (PASS, FAIL) or any(why in verdict.reason for why in _EXPLAINED_PASS):
            continue
        lower = -np.inf if verdict.lower is None else verdict.lower
        upper = np.inf if verdict.upper is None else verdict.upper
        assert lower <= upper, verdict.reason
        assert (lower <= value <= upper) == (verdict.status == PASS), verdict.reason


def test_a_reason_says_times_the_usual_from_ten_times_up() -> None:
    from dataset_health.detectors._reason import reason

    assert reason("rows_deleted", 48_210, 100, 0, 400) == "rows_deleted 48,210 is 482 times the usual 100 (expected 0 to 400)"
    assert reason("rows_deleted", 990, 100, 0, 400).startswith("rows_deleted 990 is 890% above the usual 100")
    assert reason("rows_created", 705, 21_400, 18_708, 24_022).startswith("rows_created 705 is 97% below")


@pytest.mark.parametrize("cls", UNIVARIATE, ids=lambda c: c.name)
def test_a_negative_value_of_a_metric_never_negative_before_gets_a_band_that_agrees(cls) -> None:
    stamps = pd.date_range("2024-01-01", periods=61, freq="D")
    noisy = np.random.default_rng(0).normal(10, 5, 60).clip(0)  # wide enough that some detectors pass -2
    verdict = cls().check(np.append(noisy, -2.0), stamps, metric="lag_hours")
    if verdict.status in (PASS, FAIL):
        lower = -np.inf if verdict.lower is None else verdict.lower
        assert (lower <= -2.0) == (verdict.status == PASS), verdict.reason


@pytest.mark.parametrize("cls", UNIVARIATE, ids=lambda c: c.name)
def test_a_constant_metric_fails_exactly_outside_its_band(cls) -> None:
    stamps = pd.date_range("2024-01-01", periods=61, freq="D")
    band = cls().check(np.append(np.full(60, 7.0), 7.0001), stamps, metric="column_count")
    assert band.status == PASS
    for value in (band.upper * 0.999 + 7.0 * 0.001, band.upper * 1.001, band.lower * 1.003, band.lower * 0.997):
        verdict = cls().check(np.append(np.full(60, 7.0), value), stamps, metric="column_count")
        inside = verdict.lower <= value <= verdict.upper
        assert inside == (verdict.status == PASS), (value, verdict.reason)


@pytest.mark.parametrize("min_relative_change", [0.0, 0.5])
def test_a_band_of_width_zero_fails_any_move(min_relative_change) -> None:
    stamps = pd.date_range("2024-01-01", periods=61, freq="D")
    for level, value in ((0.0, 5.0), (7.0, 8.0)):
        verdict = RobustZScore(min_relative_change=min_relative_change).check(
            np.append(np.full(60, level), value), stamps, metric="rows_deleted")
        if verdict.lower == verdict.upper:
            assert verdict.status == FAIL, verdict.reason
        inside = verdict.lower <= value <= verdict.upper
        assert inside == (verdict.status == PASS), verdict.reason
