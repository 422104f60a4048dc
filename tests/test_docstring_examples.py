"""The examples in docstrings run and show what they say (the reader's first contact with an API)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dataset_health

# The Airflow DAG needs Airflow; the capture metrics module holds GX's placeholders for
# optional engines (pyspark), which break doctest's object inspection when they are absent.
_NOT_HERE = ("dataset_health.airflow", "dataset_health.capture.metrics")


def _with_examples() -> list[str]:
    names = (info.name for info in pkgutil.walk_packages(dataset_health.__path__, "dataset_health.")
             if not info.name.startswith(_NOT_HERE))
    return sorted(name for name in names
                  if any(test.examples for test in doctest.DocTestFinder().find(importlib.import_module(name))))


WITH_EXAMPLES = _with_examples()


def test_the_detectors_the_scoring_and_the_backtest_show_examples() -> None:
    assert {"dataset_health.detectors.consensus_z", "dataset_health.scoring",
            "dataset_health.backtest"} <= set(WITH_EXAMPLES)


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
