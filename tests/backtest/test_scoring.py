"""Scoring by the benchmark's rules, on label vectors small enough to count by hand."""

from __future__ import annotations

import math

import pytest

from dataset_health.scoring import alarm_rate, events, score_events, warmup_rows


@pytest.mark.parametrize(("rows", "warmup"), [(5, 0), (10, 1), (224, 22), (299, 29), (300, 30), (4032, 30)])
def test_warmup_is_min_of_30_and_a_tenth_of_the_rows(rows: int, warmup: int) -> None:
    assert warmup_rows(rows) == warmup


def test_events_are_maximal_runs_of_labels() -> None:
    assert events([1, 1, 0, 1, 0, 0, 1, 1, 1]) == [(0, 2), (3, 4), (6, 9)]
    assert events([0, 0]) == []


def test_scores_counted_by_hand() -> None:
    # 20 rows: the first 2 are warm-up (an alarm there does not count).
    labels = [0, 0] + [0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0]
    alarms = [1, 0] + [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]
    scores = score_events(alarms, labels)
    # Events: rows 3-5, row 10, rows 16-17; found: the first and the third.
    assert (scores["events"], scores["events_detected"]) == (3, 2)
    assert scores["recall"] == pytest.approx(2 / 3)
    # Alarms after warm-up: rows 4, 7, 17, 19; on labels: 4 and 17.
    assert (scores["alarms"], scores["true_alarms"], scores["false_alarms"]) == (4, 2, 2)
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    # 12 unlabelled rows after warm-up, 2 false alarms.
    assert scores["false_alarms_per_100"] == pytest.approx(100 * 2 / 12)
    assert (scores["rows"], scores["warmup"]) == (18, 2)


def test_several_alarms_in_one_event_count_once_for_recall_and_each_for_precision() -> None:
    scores = score_events([0, 1, 1, 1, 0], [0, 1, 1, 1, 0])
    assert scores["recall"] == 1.0 and scores["precision"] == 1.0 and scores["f1"] == 1.0
    assert scores["false_alarms_per_100"] == 0.0


def test_a_detector_that_never_fires_scores_zero_not_nothing() -> None:
    scores = score_events([0] * 10, [0, 0, 0, 1, 1, 0, 0, 0, 0, 0])
    assert (scores["precision"], scores["recall"], scores["f1"]) == (0.0, 0.0, 0.0)


def test_without_events_recall_and_f1_are_undefined() -> None:
    scores = score_events([0, 0, 1, 0], [0, 0, 0, 0])
    assert math.isnan(scores["recall"]) and math.isnan(scores["f1"])
    assert scores["false_alarms_per_100"] == pytest.approx(100 / 4)


def test_labels_in_the_warmup_are_not_events() -> None:
    labels = [1] * 3 + [0] * 27
    assert score_events([0] * 30, labels)["events"] == 0


def test_alarm_rate_without_labels() -> None:
    rate = alarm_rate([1] + [0] * 9 + [1] * 2 + [0] * 8)  # 20 rows, 2 warm-up
    assert rate == {"alarms_per_100": pytest.approx(100 * 2 / 18), "alarms": 2, "rows": 18, "warmup": 2}


@pytest.mark.parametrize(("alarms", "labels", "message"), [
    ([0, 1], [0, 1, 0], "one value per row"),
    ([0, 2, 0], [0, 1, 0], "0 or 1"),
    ([0, float("nan"), 0], [0, 1, 0], "0 or 1"),
])
def test_bad_inputs_say_what_is_wrong(alarms, labels, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_events(alarms, labels)
