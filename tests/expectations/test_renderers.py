"""Renderers of every dataset-health expectation: atomic and legacy, words not kwargs, escaped."""

from __future__ import annotations

import string

import pytest

from archives import daily_archive
from dataset_health.expectations import (
    ExpectColumnLatestValueToBeWithinSeasonalRange,
    ExpectColumnLatestValueToNotBeAnomalous,
    ExpectTableLatestRowToNotBeAnomalous,
    ExpectTableSchemaToMatchPreviousUpdate,
    ExpectTableToBeUpdatedOnSchedule,
)

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

EXPECTATIONS = [
    (ExpectColumnLatestValueToNotBeAnomalous(column=HOSTILE),
     f"{ESCAPED} of the newest update must not be anomalous against its history"),
    (ExpectColumnLatestValueToBeWithinSeasonalRange(column=HOSTILE, seasonality="weekly", sensitivity=3),
     f"{ESCAPED} of the newest update must lie within its weekly seasonal range (STL, sensitivity 3.0,"),
    (ExpectTableLatestRowToNotBeAnomalous(columns=[HOSTILE, "rows_updated"], detector="pca"),
     f"The newest update must not be anomalous in {ESCAPED}, rows_updated taken together (PCA, sensitivity 4.0,"),
    (ExpectTableToBeUpdatedOnSchedule(), "The newest update must arrive on the dataset's usual cadence"),
    (ExpectTableSchemaToMatchPreviousUpdate(), "The newest update must keep the columns and types"),
]


def filled(content) -> str:
    """An atomic string block as a front end shows it: the template with its params."""
    value = content.to_json_dict()["value"]
    return string.Template(value["template"]).substitute({k: p["value"] for k, p in value["params"].items()})


@pytest.mark.parametrize(("expectation", "words"), EXPECTATIONS)
def test_atomic_prescriptive_summary_states_the_rule_escaped(expectation, words: str) -> None:
    expectation.render()
    [summary] = expectation.rendered_content
    assert summary.name == "atomic.prescriptive.summary"
    text = filled(summary)
    assert text.startswith(words)
    assert HOSTILE not in text and "expect_" not in text


@pytest.mark.parametrize(
    "expectation",
    [ExpectColumnLatestValueToBeWithinSeasonalRange(column=HOSTILE),
     ExpectTableLatestRowToNotBeAnomalous(columns=[HOSTILE, "rows_updated"]),
     ExpectColumnLatestValueToNotBeAnomalous(column=HOSTILE)],
)
@pytest.mark.parametrize("validate_on", ["pandas"], indirect=True)
def test_atomic_observed_value_is_the_escaped_reason(validate_on, expectation) -> None:
    frame = daily_archive(fault="partial_load").rename(columns={"rows_created": HOSTILE})
    result = validate_on(frame, expectation)
    assert result.success is False
    result.render()
    [observed] = [c for c in result.rendered_content if c.name == "atomic.diagnostic.observed_value"]
    text = filled(observed)
    assert text.startswith(ESCAPED) or text.startswith("update rev-069 is unusual")
    assert ESCAPED in text and HOSTILE not in text


def test_legacy_prescriptive_renderer_joins_column_lists() -> None:
    [block] = ExpectTableLatestRowToNotBeAnomalous._prescriptive_renderer(
        configuration=ExpectTableLatestRowToNotBeAnomalous(columns=["a", "b"]).configuration
    )
    params = block.to_json_dict()["string_template"]["params"]
    assert params["columns"] == "a, b" and params["detector_name"] == "isolation forest"
