"""consensus_z, the default detector: the rules that set it apart from a plain z-score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _synthetic import FAULTS, daily_archive, healthy_verdicts, judge_fault

from dataset_health.detector_config import DEFAULT_CONFIG
from dataset_health.detectors import FAIL, PASS, ConsensusZ
from dataset_health.detectors._prefixes import Prefixes


def test_it_is_the_default() -> None:
    assert DEFAULT_CONFIG.detector == ConsensusZ.name


def test_healthy_weekdays_weekends_holidays_and_growth_pass_with_a_calendar() -> None:
    verdicts = healthy_verdicts(lambda: ConsensusZ(holidays="us_federal"))
    assert [v.reason for v in verdicts if v.status != PASS] == []


@pytest.mark.parametrize("fault", FAULTS)
def test_injected_faults_fail(fault: str) -> None:
    verdict = judge_fault(ConsensusZ, fault)
    assert verdict.status == FAIL, verdict.reason


def test_a_holiday_is_compared_with_days_off_only_when_given_the_calendar() -> None:
    thanksgiving = daily_archive(days=400, end="2024-11-28")  # a Thursday at a tenth of the volume
    values, stamps = thanksgiving["rows_created"], thanksgiving["timestamp"]
    without = ConsensusZ().check(values, stamps, metric="rows_created")
    with_calendar = ConsensusZ(holidays="us_federal").check(values, stamps, metric="rows_created")
    assert without.status == FAIL and "usual Thursday" in without.reason
    assert with_calendar.status == PASS, with_calendar.reason
    assert "usual day off" in with_calendar.reason and "past days off" in with_calendar.reason


def test_a_holiday_at_its_weekday_volume_passes_but_a_holiday_far_from_both_views_fails() -> None:
    columbus = daily_archive(days=400, end="2024-10-14")  # a Monday: a federal holiday, a working day here
    values, stamps = columbus["rows_created"].to_numpy().copy(), columbus["timestamp"]
    values[-1] = np.median(values[-29:-1][stamps[-29:-1].dt.dayofweek.to_numpy() == 0])  # a usual Monday
    worked = ConsensusZ(holidays="us_federal").check(values, stamps, metric="rows_created")
    assert worked.status == PASS and "usual Monday" in worked.reason, worked.reason
    # Four times a day off's volume is far above days off and far below Mondays: neither view calls it usual.
    days_off = values[:-1][stamps[:-1].dt.dayofweek.to_numpy() >= 5]
    values[-1] = 4 * np.median(days_off)
    doubled = ConsensusZ(holidays="us_federal").check(values, stamps, metric="rows_created")
    assert doubled.status == FAIL, doubled.reason


def test_a_worked_holiday_is_no_change_that_the_next_day_continues() -> None:
    days = pd.date_range("2024-07-06 06:00", "2025-07-05 06:00", freq="D")  # 2025-07-04 is a Friday
    values = 7_000 + np.random.default_rng(7).normal(0, 200, days.size)
    weekend = days.dayofweek >= 5
    values[weekend] = 1_400 + np.random.default_rng(8).normal(0, 40, weekend.sum())
    values[-1] = 7_010  # Saturday at a weekday's volume, after a Friday holiday that was worked
    verdicts = ConsensusZ(holidays="us_federal", scale="linear").walk_forward(values, days, metric="rows_created")
    assert verdicts[-2].status == PASS and "usual Friday" in verdicts[-2].reason, verdicts[-2].reason
    assert verdicts[-1].status == FAIL and "usual Saturday" in verdicts[-1].reason, verdicts[-1].reason


def test_the_weekday_view_judges_a_drop_that_weekends_hide_from_the_global_view() -> None:
    archive = daily_archive(days=200, end="2024-11-26")  # a Tuesday
    values = archive["rows_created"].to_numpy().copy()
    values[-1] *= 0.35  # still above a Sunday, far below a Tuesday
    verdict = ConsensusZ(holidays="us_federal").check(values, archive["timestamp"], metric="rows_created")
    assert verdict.status == FAIL and "usual Tuesday" in verdict.reason
    overall = ConsensusZ(seasonality="none").check(values, archive["timestamp"], metric="rows_created")
    assert overall.status == PASS


def test_a_step_fails_once_then_the_held_level_passes() -> None:
    history = [14.0] * 60
    stepped = ConsensusZ().walk_forward(history + [15.0, 15.0, 15.0])
    assert [v.status for v in stepped[-3:]] == [FAIL, PASS, PASS]
    assert stepped[-1].reason == "value 15 is unchanged since the previous update"


def test_a_new_level_that_jitters_fails_once_and_a_further_jump_fails_again() -> None:
    rng = np.random.default_rng(5)
    before = 20_000 + rng.normal(0, 150, 90)  # file size before columns were added
    after = [52_830.0, 52_730.0, 52_830.0, 52_820.0]  # the new level, a little noise
    verdicts = ConsensusZ().walk_forward(np.r_[before, after, 80_000.0])
    assert [v.status for v in verdicts[-5:]] == [FAIL, PASS, PASS, PASS, FAIL]
    assert "holds the previous update's 52,830, which was already as far out" in verdicts[-4].reason
    # A second extreme value far from the first is a new incident, not the same level held.
    spikes = ConsensusZ().walk_forward(np.r_[before, 52_830.0, 5_000.0])
    assert [v.status for v in spikes[-2:]] == [FAIL, FAIL]


def test_a_weekday_at_the_weekend_level_fails_although_sunday_was_as_low() -> None:
    # Sunday's usual volume is far below a Monday's; a Monday partial load at
    # Sunday's level is close to the previous update, which was normal for a Sunday.
    archive = daily_archive(days=200, end="2024-11-25")  # a Monday
    values = archive["rows_created"].to_numpy().copy()
    values[-1] = values[-2] * 1.01
    # (The calendar keeps Monday holidays out of Mondays' spread.)
    verdict = ConsensusZ(holidays="us_federal").check(values, archive["timestamp"], metric="rows_created")
    assert verdict.status == FAIL and "usual Monday" in verdict.reason, verdict.reason


def test_a_constant_metric_fails_on_any_change_with_a_finite_score() -> None:
    verdict = ConsensusZ().check([14.0] * 60 + [15.0], metric="column_count")
    assert verdict.status == FAIL
    assert np.isfinite(verdict.score) and verdict.score > 50  # 1 against a floor of 0.1% of 14
    assert verdict.lower < 14 < verdict.upper and "constant over" in verdict.reason


def test_every_schema_change_fails_though_past_ones_widen_the_spread() -> None:
    # Two schema changes a year: the deviation of all history would pass the second.
    columns = np.r_[[24.0] * 150, [25.0] * 150, 26.0]
    verdict = ConsensusZ().check(columns, metric="column_count")
    assert verdict.status == FAIL and verdict.score > ConsensusZ().sensitivity
    assert verdict.expected == 25.0 and verdict.lower < 25 < verdict.upper < 26
    assert "held 25 for 150 updates and moved 1 time in 300 past updates: a change of level" in verdict.reason
    # The plain z-score of the same value, for contrast: within four deviations.
    assert abs(26.0 - columns[:-1].mean()) / columns[:-1].std() < 4


@pytest.mark.parametrize(("previous", "value", "direction", "status"), [
    ([0.0] * 150 + [7.0], 0.0, "both", PASS),  # back to the usual level after a blip: not a new level
    ([0.1] * 150 + [0.12] * 150, 0.05, "up", PASS),  # nulls that fall, where only a rise counts
    ([0.1] * 150 + [0.12] * 150, 0.2, "up", FAIL),
    ([0.1] * 150 + [0.12] * 150, 0.12005, "both", PASS),  # within the floor: no change of level
    ([0.0] * 100 + [40.0] + [0.0] * 100 + [45.0] + [0.0] * 200, 42.0, "up", PASS),  # rare deletes: judged by size
    (np.tile([24.0] * 40 + [25.0] * 40, 4), 26.0, "both", PASS),  # moved at 7 of 319 updates (2%): judged by spread
])
def test_only_a_rarely_moving_metric_leaving_its_level_is_a_change_of_level(previous, value, direction, status) -> None:
    verdict = ConsensusZ(direction=direction, seasonality="none").check(np.append(previous, value))
    assert verdict.status == status, verdict.reason
    assert "a change of level" not in verdict.reason or status == FAIL


def _growing_row_count(days: int = 400, seed: int = 3) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """A cumulative row count: about 1,000 rows a day (fewer at weekends) on top of 100,000."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range("2024-01-01 06:00", periods=days, freq="D")
    loads = rng.normal(1_000, 60, days) * np.where(stamps.dayofweek >= 5, 0.3, 1.0)
    return 100_000 + np.cumsum(loads), stamps


@pytest.mark.parametrize("share", [0.7, 0.5, 0.97])
def test_a_growing_count_that_falls_fails_though_its_history_spans_the_new_level(share) -> None:
    counts, stamps = _growing_row_count()
    counts[-1] = counts[-2] * share  # a truncation, a mass delete, a replace with a partial file
    verdict = ConsensusZ().check(counts, stamps, metric="row_count")
    assert verdict.status == FAIL, verdict.reason
    assert counts[:-1].min() < counts[-1] or share > 0.9  # the level alone is inside the band of its history
    assert verdict.lower > counts[-2] and verdict.expected > counts[-2]  # a step up was expected
    assert "against its trend: it rose at 100% of 398 past updates" in verdict.reason
    assert f"fell {int(round(counts[-2] - counts[-1])):,}" in verdict.reason


def test_a_growing_count_judged_only_upward_or_growing_as_usual_passes() -> None:
    counts, stamps = _growing_row_count()
    assert ConsensusZ().check(counts, stamps, metric="row_count").status == PASS
    counts[-1] = counts[-2] * 0.5
    assert ConsensusZ(direction="up").check(counts, stamps, metric="row_count").status == PASS


def _growing_size(rate: float, days: int = 400, seed: int = 0) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """A table replaced at each load that grows ``rate`` a day, with 2% ups and downs."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range("2024-01-01 06:00", periods=days, freq="D")
    return 50_000 * (1 + rate) ** np.arange(days) * rng.lognormal(0, 0.02, days), stamps


@pytest.mark.parametrize("rate", [0.005, 0.01])
@pytest.mark.parametrize("factor", [0.5, 1.6])
def test_a_load_off_a_growth_trend_fails_though_a_year_of_levels_spans_it(rate, factor) -> None:
    sizes, stamps = _growing_size(rate)
    assert np.mean(np.diff(sizes) > 0) < 0.9, "not a steady rise: the steps rule does not apply"
    sizes[-1] = sizes[-2] * factor  # a partial load, or one loaded on top of the last
    verdict = ConsensusZ().check(sizes, stamps, metric="row_count")
    assert verdict.status == FAIL, verdict.reason
    assert "below its trend line's" in verdict.reason if factor < 1 else "above its trend line's" in verdict.reason
    assert f"trend of +{rate:.2%} a day over 200 past updates" in verdict.reason
    assert verdict.lower < sizes[-2] * (1 + rate) < verdict.upper  # the band is about the line, not the year
    assert verdict.upper < 1.3 * verdict.lower


def test_healthy_growth_raises_no_alarm_from_its_trend_line() -> None:
    for rate in (0.001, 0.005, 0.01, 0.02):
        for seed in range(5):
            sizes, stamps = _growing_size(rate, seed=seed)
            for end in range(360, 400, 4):
                verdict = ConsensusZ().check(sizes[: end + 1], stamps[: end + 1], metric="row_count")
                assert verdict.status == PASS, (rate, seed, end, verdict.reason)


def test_growth_that_levels_off_is_a_change_of_trend_not_an_incident() -> None:
    sizes, stamps = _growing_size(0.005, seed=1)
    sizes[-30:] = sizes[-31] * np.random.default_rng(9).lognormal(0, 0.02, 30)  # no growth for a month
    verdicts = [ConsensusZ().check(sizes[:end], stamps[:end], metric="row_count") for end in range(371, 401)]
    assert [v.reason for v in verdicts if v.status != PASS] == []


def test_a_trend_line_needs_time_stamps_and_a_trend_that_dominates() -> None:
    sizes, stamps = _growing_size(0.005)
    sizes[-1] = sizes[-2] * 0.5
    without_time = ConsensusZ().check(sizes, metric="row_count")
    assert "trend line" not in without_time.reason
    # Noise as wide as the growth: no line to leave, judged by level alone.
    noisy = 50_000 * (1.0005 ** np.arange(400)) * np.random.default_rng(4).lognormal(0, 0.3, 400)
    noisy[-1] = noisy[-2] * 0.8
    assert "trend line" not in ConsensusZ().check(noisy, stamps, metric="row_count").reason


def test_a_metric_that_dips_now_and_then_is_judged_by_its_level() -> None:
    # Rises at 80% of updates: not a steady trend, so a usual dip passes.
    rng = np.random.default_rng(5)
    steps = np.where(rng.random(300) < 0.8, 10.0, -30.0) + rng.normal(0, 1, 300)
    values = 10_000 + np.cumsum(steps)
    values = np.append(values, values[-1] - 30.0)
    verdict = ConsensusZ(seasonality="none").check(values, metric="row_count")
    assert verdict.status == PASS and "against its trend" not in verdict.reason, verdict.reason


def test_the_band_of_a_count_stops_at_zero() -> None:
    rng = np.random.default_rng(1)
    counts = np.where(rng.random(200) < 0.1, 5_000.0, 50.0)  # rare big loads widen the band
    verdict = ConsensusZ(seasonality="none").check(np.append(counts, 60.0))
    assert verdict.status == PASS and verdict.lower == 0.0


def test_hourly_updates_are_compared_with_the_same_hour() -> None:
    stamps = pd.date_range("2024-01-01", periods=24 * 40, freq="h")
    shape = 100 + 80 * np.sin(np.arange(stamps.size) * 2 * np.pi / 24)
    values = shape * np.random.default_rng(2).lognormal(0, 0.03, stamps.size)
    values[-1] = shape[-1] * 0.5
    verdict = ConsensusZ().check(values, stamps, metric="events")
    assert verdict.status == FAIL and f"usual {stamps[-1].hour:02d}:00" in verdict.reason


def test_twice_daily_updates_are_compared_by_weekday() -> None:
    stamps = pd.date_range("2024-01-01 06:00", periods=2 * 7 * 30, freq="12h")  # ends on a Sunday evening
    usual = np.where(stamps.dayofweek < 5, 5_000.0, 1_000.0)
    values = usual * np.random.default_rng(3).lognormal(0, 0.08, stamps.size)
    sunday = ConsensusZ().check(values, stamps, metric="rows_created")
    assert sunday.status == PASS and "usual Sunday" in sunday.reason
    # A Monday at Sunday's level: within the spread of all history, not of Mondays.
    monday = ConsensusZ().check(np.append(values, 1_000.0), stamps.append(pd.DatetimeIndex(["2024-07-29 06:00"])),
                                metric="rows_created")
    assert monday.status == FAIL and "usual Monday" in monday.reason, monday.reason


def test_a_sparse_count_is_judged_by_the_size_of_past_non_zero_values() -> None:
    rng = np.random.default_rng(3)
    deletes = np.where(rng.random(300) < 0.1, rng.integers(50, 400, 300), 0).astype(float)
    usual = ConsensusZ(seasonality="none").check(np.append(deletes, 300.0), metric="rows_deleted")
    assert usual.status == PASS and "past non-zero updates" in usual.reason
    mass = ConsensusZ(seasonality="none").check(np.append(deletes, 90_000.0), metric="rows_deleted")
    assert mass.status == FAIL


def test_hourly_phases_are_not_mistaken_for_days_off() -> None:
    # Phase 7 is 07:00 for hourly updates and "day off" for daily ones with a calendar.
    stamps = pd.date_range("2024-01-01", periods=24 * 30, freq="h")
    values = np.where(stamps.hour == 7, 10.0, 1000.0) * np.random.default_rng(4).lognormal(0, 0.02, stamps.size)
    verdict = ConsensusZ(holidays="us_federal").check(values, stamps, metric="events")
    assert stamps[-1].hour == 23 and verdict.status == PASS
    at_seven = ConsensusZ(holidays="us_federal").check(values[: 24 * 29 + 8], stamps[: 24 * 29 + 8])
    assert at_seven.status == PASS and at_seven.expected < 20, at_seven.reason


def test_walk_forward_equals_check_on_every_prefix() -> None:
    archive = daily_archive(days=60)
    values, stamps = archive["rows_created"].to_numpy(), archive["timestamp"]
    walked = ConsensusZ(min_history=7).walk_forward(values, stamps)
    for t in (6, 7, 20, 59):
        assert walked[t] == ConsensusZ(min_history=7).check(values[: t + 1], stamps[: t + 1])


def _hourly_metrics() -> tuple[pd.DatetimeIndex, dict[str, np.ndarray]]:
    """Three weeks of hourly updates of every kind of metric the walk keeps running totals for."""
    rng = np.random.default_rng(11)
    stamps = pd.date_range("2024-06-30", periods=24 * 21, freq="h")
    usual = 400 * (1 + 0.5 * np.sin(2 * np.pi * stamps.hour.to_numpy() / 24))
    created = rng.poisson(usual).astype(float)
    created[300] *= 0.2  # a partial load
    deletes = np.where(rng.random(stamps.size) < 0.8, 0.0, rng.poisson(5, stamps.size))
    deletes[400] = 900.0  # a mass delete
    row_count = 1e6 + np.cumsum(created)
    row_count[450:] -= 200_000  # rows went missing
    nulls = rng.beta(2, 300, stamps.size)
    return stamps, {"rows_created": created, "rows_deleted": deletes, "row_count": row_count,
                    "null_fraction__email": nulls}


@pytest.mark.parametrize("holidays", [None, "us_federal"])
def test_walk_forward_reads_running_totals_that_equal_check_on_every_prefix(holidays) -> None:
    # The walk keeps maps, counts and phase sums of the whole history (``_prefixes``);
    # check computes them from the prefix alone. Every verdict must be the same, to the bit.
    stamps, metrics = _hourly_metrics()
    excluded = np.zeros(stamps.size, dtype=bool)
    excluded[300] = True  # the partial load, labelled: later updates train without it
    for metric, values in metrics.items():
        walked = ConsensusZ(holidays=holidays).walk_forward(values, stamps, excluded, metric=metric)
        checked = [ConsensusZ(holidays=holidays).check(values[: t + 1], stamps[: t + 1], exclude=excluded[: t + 1],
                                                       metric=metric) for t in range(stamps.size)]
        assert [v.to_dict() for v in walked] == [v.to_dict() for v in checked], metric
        assert any(v.status == FAIL for v in walked), metric  # the incidents were judged, not skipped


def test_only_a_view_that_starts_where_its_array_starts_is_read_as_a_prefix() -> None:
    whole = np.array([0.0, 3.0, 0.0, -0.5, 4.0, 0.0, 2.0])
    prefixes = Prefixes()
    assert prefixes.past(whole[1:4]).whole is None and prefixes.past(whole[:4].copy()).whole is None
    for size in range(1, whole.size + 1):
        for past in (prefixes.past(whole[:size]), prefixes.past(whole[1:size]), prefixes.past(whole[:size].copy())):
            if past.values.size == 0:
                continue
            assert past.count("zero") == np.count_nonzero(past.values == 0)
            assert past.count("non_whole") == np.count_nonzero(past.values != np.round(past.values))
            assert past.count("positive") == np.count_nonzero(past.values > 0)
            assert past.minimum() == past.values.min()
            assert np.array_equal(past.steps(), np.diff(past.values))
            assert np.array_equal(past.mapped("log", np.log1p), np.log1p(past.values))
        assert prefixes.past(whole[:size]).whole is not None


def test_a_monthly_resync_passes_once_past_months_had_it_but_the_same_spike_mid_month_fails() -> None:
    days = pd.date_range("2024-01-01 06:00", periods=150, freq="D")
    updated = 7_000 + np.random.default_rng(1).normal(0, 300, days.size)
    updated[days.day == 1] = 4_500_000  # a full re-sync on the 1st of every month
    first_of_months = np.flatnonzero(days.day == 1)
    verdicts = ConsensusZ().walk_forward(updated, days, metric="rows_updated")
    assert verdicts[first_of_months[1]].status == FAIL  # February: once is not yet a pattern
    march = verdicts[first_of_months[2]]
    assert march.status == PASS and "like the same day of past months, a monthly event" in march.reason

    spike_mid_month = updated.copy()
    spike_mid_month[-1] = 4_500_000  # 2024-05-29
    assert ConsensusZ().check(spike_mid_month, days, metric="rows_updated").status == FAIL


def _month_end_close(stamps: pd.DatetimeIndex, seed: int) -> np.ndarray:
    """Updates that triple on a month's last day when it is a working day, as a monthly close does."""
    updated = 7_000 + np.random.default_rng(seed).normal(0, 300, stamps.size)
    closing = stamps.is_month_end & (stamps.dayofweek < 5)
    updated[closing] *= 3
    return updated


def test_a_month_end_close_passes_on_the_30th_and_the_31st_alike_but_a_spike_the_day_before_fails() -> None:
    days = pd.date_range("2024-01-01 06:00", "2024-10-31 06:00", freq="D")  # Thursday the 31st
    updated = _month_end_close(days, seed=2)
    verdicts = ConsensusZ().walk_forward(updated, days, metric="rows_updated")
    september = verdicts[days.get_loc(pd.Timestamp("2024-09-30 06:00"))]  # a Monday, the 30th
    assert september.status == PASS and "monthly event" in september.reason, september.reason
    # March 31st, June 30th and August 31st fell on weekends, without a close: October is
    # compared with the month-ends that were working days, as it is one.
    assert verdicts[-1].status == PASS and "monthly event" in verdicts[-1].reason, verdicts[-1].reason

    day_before = updated[:-1].copy()
    day_before[-1] *= 3  # October 30th
    assert ConsensusZ().check(day_before, days[:-1], metric="rows_updated").status == FAIL


def test_a_close_on_the_last_business_day_fails_only_the_first_time() -> None:
    days = pd.date_range("2023-01-02 06:00", "2024-12-31 06:00", freq="D")
    updated = 7_000 + np.random.default_rng(3).normal(0, 300, days.size)
    updated[days.dayofweek >= 5] *= 0.2
    month = pd.Series(days).groupby(days.to_period("M"))
    last_business_day = month.transform(lambda d: d[d.dt.dayofweek < 5].max()).to_numpy()
    closes = np.flatnonzero(days == last_business_day)
    updated[closes] *= 3
    verdicts = ConsensusZ().walk_forward(updated, days, metric="rows_updated")
    failed = [str(days[i].date()) for i in closes if verdicts[i].status == FAIL]
    assert failed == ["2023-01-31"]
    # Before month-ends were one event with working days only, 9 of these 24 closes failed.
    assert sum("monthly event" in verdicts[i].reason for i in closes) >= 12


def test_a_weekend_drop_is_no_monthly_event_because_weekends_are_far_from_weekdays() -> None:
    days = pd.date_range("2024-01-01 06:00", "2024-11-16 06:00", freq="D")  # a Saturday
    values = 7_000 + np.random.default_rng(6).normal(0, 200, days.size)
    values[days.dayofweek >= 5] /= 5
    values[-1] *= 0.65
    verdict = ConsensusZ().check(values, days, metric="rows_created")
    # March 16th and June 16th were weekend days too, far below the weekdays' median, but
    # not below other weekend days: no monthly pattern.
    assert verdict.status == FAIL and "deviations from past Saturdays" in verdict.reason, verdict.reason


def test_a_monthly_rule_on_two_weekly_updates_is_quiet(recwarn) -> None:
    verdict = ConsensusZ(min_history=1).check([5.0, 900.0], pd.to_datetime(["2024-01-01", "2024-01-08"]))
    assert verdict.status == FAIL and not recwarn.list


def test_a_weekly_archive_knows_month_end_closes_too() -> None:
    mondays = pd.date_range("2023-01-02 06:00", periods=156, freq="7D")
    updated = _month_end_close(mondays, seed=5)
    closes = np.flatnonzero(mondays.is_month_end)
    verdicts = ConsensusZ().walk_forward(updated, mondays, metric="rows_updated")
    assert [verdicts[i].status for i in closes[:2]] == [FAIL, FAIL]  # not yet a pattern
    assert all(verdicts[i].status == PASS and "monthly event" in verdicts[i].reason for i in closes[2:])
    assert ConsensusZ(seasonality="none").walk_forward(updated, mondays)[closes[-1]].status == FAIL


def _heavy_tailed_counts() -> np.ndarray:
    # Update sizes spread over an order of magnitude: a linear band reaches 0.
    return np.round(np.random.default_rng(3).lognormal(8, 0.5, 200))


def test_a_partial_load_of_a_heavy_tailed_count_fails_as_a_ratio_where_the_linear_band_reaches_zero() -> None:
    counts = _heavy_tailed_counts()
    partial = np.append(counts, 0.1 * np.median(counts))
    ratio = ConsensusZ(seasonality="none").check(partial, metric="rows_created")
    linear = ConsensusZ(seasonality="none", scale="linear").check(partial, metric="rows_created")
    assert ratio.status == FAIL and "on the log scale" in ratio.reason, ratio.reason
    assert linear.status == PASS and linear.lower == 0.0, linear.reason
    # The band is in the metric's own units: above 0, and the geometric mean within it.
    assert 0 < ratio.lower < ratio.expected < ratio.upper
    assert ratio.expected == pytest.approx(np.expm1(np.log1p(counts).mean()))
    assert "below the usual" in ratio.reason and "the mean" not in ratio.reason.split("(")[0]


def test_rises_of_a_count_are_judged_on_the_power_scale_which_keeps_a_heavy_tail_from_hiding_them() -> None:
    counts = _heavy_tailed_counts()
    for value, status in ((1.5 * np.median(counts), PASS), (5 * np.median(counts), FAIL)):
        verdict = ConsensusZ(seasonality="none").check(np.append(counts, value), metric="rows_created")
        assert verdict.status == status and "on the 2/3 power scale" in verdict.reason, verdict.reason
    # On the log scale the same burst would be within four deviations.
    log = np.log1p(counts)
    assert abs(np.log1p(5 * np.median(counts)) - log.mean()) / log.std() < 4


@pytest.mark.parametrize("history", [[-3.0, 2.0] * 30, [0.0] * 40 + [5.0] * 20])  # negative; mostly zero
def test_metrics_that_are_not_plain_counts_stay_on_the_linear_scale(history) -> None:
    verdict = ConsensusZ(seasonality="none").check(np.append(history, 1.0))
    assert "(expected" in verdict.reason and "scale" not in verdict.reason, verdict.reason  # judged, not skipped


def test_the_spread_floor_of_a_constant_count_is_a_tenth_of_a_percent_on_every_scale() -> None:
    constant = [50_000.0] * 60
    for scale in ("auto", "linear"):
        verdict = ConsensusZ(scale=scale).check(constant + [50_300.0], metric="row_count")
        # The floor is 50 (0.1% of 50,000): 300 is six of them, the band four either side.
        assert verdict.status == FAIL and verdict.score == pytest.approx(6, rel=0.01), verdict.reason
        assert verdict.lower == pytest.approx(49_800, rel=1e-4) and verdict.upper == pytest.approx(50_200, rel=1e-4)


def test_an_unknown_scale_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="scale"):
        ConsensusZ(scale="log").check([1.0] * 20)


def test_a_small_step_of_a_constant_metric_that_fails_is_not_called_in_line() -> None:
    verdict = ConsensusZ().check([1_000_000.0] * 40 + [1_004_500.0], metric="row_count")
    assert verdict.status == FAIL
    assert "in line" not in verdict.reason and "0.45% above" in verdict.reason, verdict.reason


def test_the_band_of_a_step_against_the_trend_is_the_steps_own_not_floored_at_the_previous_value() -> None:
    rng = np.random.default_rng(0)
    counts = 10_000 + np.cumsum(np.clip(rng.normal(100, 40, 60), 1, None))  # always rose, by about 100
    verdict = ConsensusZ(min_history=10, seasonality="none").check(np.append(counts, counts[-1] - 300))
    assert verdict.status == FAIL
    # A step of -40 would be 3.9 deviations: inside the band, which reaches below the previous value.
    assert counts[-1] - 50 < verdict.lower < counts[-1] - 30


def test_the_update_after_a_labelled_mass_delete_is_not_a_fall_from_before_it() -> None:
    rng = np.random.default_rng(0)
    counts = list(10_000 + np.cumsum(np.clip(rng.normal(100, 40, 60), 1, None)))
    values = counts + [counts[-1] / 2, counts[-1] / 2 + 100]  # the delete (labelled incident), then a usual load
    left_out = [False] * len(counts) + [True, False]
    for verdict in (ConsensusZ(min_history=10, seasonality="none").check(values, exclude=left_out),
                    ConsensusZ(min_history=10, seasonality="none").walk_forward(values, exclude=left_out)[-1]):
        assert "against its trend" not in verdict.reason, verdict.reason


def test_an_empty_load_on_a_growth_trend_fails_by_its_level_not_a_linear_line() -> None:
    sizes, stamps = _growing_size(0.005)
    sizes[-1] = 0.0
    verdict = ConsensusZ().check(sizes, stamps, metric="row_count")
    assert verdict.status == FAIL and "trend line" not in verdict.reason, verdict.reason
