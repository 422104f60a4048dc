"""Multivariate detectors: several archive columns judged at once, with the columns to blame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _synthetic import FAULTS, daily_archive, with_fault

from dataset_health.detectors import (
    FAIL,
    INSUFFICIENT_HISTORY,
    PASS,
    IsolationForestMulti,
    MultivariateVerdict,
    PCADetector,
)

MULTI = [IsolationForestMulti, PCADetector]


def metrics(archive: pd.DataFrame) -> pd.DataFrame:
    return archive.drop(columns="timestamp")


@pytest.mark.parametrize("cls", MULTI, ids=lambda c: c.name)
def test_healthy_updates_pass(cls) -> None:
    for end in ("2024-11-24", "2024-11-25", "2024-11-28", "2024-11-29"):
        archive = daily_archive(end=end)
        verdict = cls(holidays="us_federal").check(metrics(archive), archive["timestamp"])
        assert verdict.status == PASS, verdict.reason


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("cls", MULTI, ids=lambda c: c.name)
def test_faults_fail_and_the_verdict_names_the_column(cls, fault: str) -> None:
    broken, metric = with_fault(daily_archive(seed=1), fault)
    verdict = cls().check(metrics(broken), broken["timestamp"], metric="update 120")
    assert isinstance(verdict, MultivariateVerdict)
    assert verdict.status == FAIL, verdict.reason
    assert max(verdict.contributions, key=verdict.contributions.get) in {metric, "row_count", "rows_updated"}
    assert verdict.reason.startswith("update 120 is unusual") and metric in verdict.reason
    assert sum(verdict.contributions.values()) == pytest.approx(1, abs=0.01)


@pytest.mark.parametrize("cls", MULTI, ids=lambda c: c.name)
def test_short_history_junk_columns_and_nan(cls) -> None:
    archive = daily_archive(days=8)
    assert cls().check(metrics(archive), archive["timestamp"]).status == INSUFFICIENT_HISTORY
    archive = daily_archive()
    frame = metrics(archive).assign(max_key_date="2024-01-01", notes=None)  # non-numeric columns
    frame["null_fraction"] = frame["null_fraction"].astype(object)
    frame.loc[[10, 50], "null_fraction"] = ["n/a", np.nan]
    detector = cls()
    verdict = detector.check(frame, archive["timestamp"])
    assert verdict.status == PASS and "max_key_date" not in detector.columns_
    assert set(verdict.to_dict()["contributions"]) == set(detector.columns_)


@pytest.mark.parametrize("cls", MULTI, ids=lambda c: c.name)
def test_exclude_and_walk_forward(cls) -> None:
    archive = daily_archive(days=70)
    frame = metrics(archive)
    frame.loc[50, "rows_created"] *= 0.1
    verdicts = cls().walk_forward(frame, archive["timestamp"])
    assert len(verdicts) == 70 and verdicts[0].status == INSUFFICIENT_HISTORY
    assert verdicts[50].status == FAIL
    labelled = np.zeros(70, dtype=bool)
    labelled[50] = True
    later = cls().check(frame, archive["timestamp"], exclude=labelled)
    assert later.status == PASS


def test_pca_reports_which_statistic_and_columns_drove_it() -> None:
    broken, _ = with_fault(daily_archive(), "partial_load")
    detector = PCADetector()
    verdict = detector.check(metrics(broken), broken["timestamp"])
    assert 0 < detector.n_components_ < len(detector.columns_)
    top = sorted(verdict.contributions, key=verdict.contributions.get, reverse=True)[:2]
    assert "rows_created" in top  # a partial load moves creates (and updates with them)


@pytest.mark.parametrize(("cls", "param", "value", "wanted"), [
    (PCADetector, "explained_variance", 1.5, r"a number in \(0, 1\)"),
    (IsolationForestMulti, "min_history", 1, r"a number in \[2, inf\]"),
    (IsolationForestMulti, "seasonality", "hourly", "'auto' or 'none' or 'day_of_week'"),
])
def test_bad_parameters_raise_a_clear_value_error(cls, param: str, value, wanted: str) -> None:
    with pytest.raises(ValueError, match=f"parameter '{param}' must be {wanted}; got {value!r}"):
        cls(**{param: value}).fit(pd.DataFrame({"a": np.arange(30.0)}))


@pytest.mark.parametrize("cls", MULTI, ids=lambda c: c.name)
def test_a_mass_delete_after_an_update_with_a_missing_row_count_fails(cls) -> None:
    archive = daily_archive(seed=2)
    frame = metrics(archive).drop(columns="rows_deleted")  # a source that reports no deletes
    frame.loc[frame.index[-2], "row_count"] = np.nan  # one capture lost the count
    frame.loc[frame.index[-1], "row_count"] *= 0.8
    verdict = cls().check(frame, archive["timestamp"], metric="update 120")
    assert verdict.status == FAIL, verdict.reason
    assert max(verdict.contributions, key=verdict.contributions.get) == "row_count"


@pytest.mark.parametrize("cls", MULTI, ids=lambda c: c.name)
def test_history_is_read_in_time_order_whatever_the_row_order(cls) -> None:
    archive = daily_archive(seed=3)
    frame = metrics(archive)
    frame.loc[frame.index[-1], "rows_created"] *= 0.1
    in_order = cls().check(frame, archive["timestamp"])
    shuffled = np.random.default_rng(0).permutation(len(frame) - 1).tolist() + [len(frame) - 1]
    mixed = cls().check(frame.iloc[shuffled], archive["timestamp"].iloc[shuffled])
    assert (mixed.status, mixed.score) == (in_order.status, in_order.score) and mixed.status == FAIL

    walked = cls().walk_forward(frame, archive["timestamp"])
    walked_mixed = cls().walk_forward(frame.iloc[shuffled], archive["timestamp"].iloc[shuffled])
    assert [v.status for v in walked_mixed] == [walked[i].status for i in shuffled]


@pytest.mark.parametrize("cls", MULTI, ids=lambda c: c.name)
def test_a_column_the_newest_row_cannot_give_a_number_for_is_named_as_not_judged(cls) -> None:
    archive = daily_archive()
    frame = metrics(archive)
    frame["null_fraction"] = frame["null_fraction"].astype(object)
    frame.loc[frame.index[-1], "null_fraction"] = "#VALUE!"
    verdict = cls().check(frame, archive["timestamp"])
    assert verdict.status == PASS
    assert verdict.reason.endswith("not judged, no numeric value: null_fraction"), verdict.reason
