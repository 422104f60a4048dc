"""The detector library: plain numpy/pandas in, a :class:`Verdict` out.

Detectors are looked up by name (``make_detector("robust_z", sensitivity=4)``)
so that expectations, the backtest and suites can name them in JSON.
"""

from __future__ import annotations

from typing import Any

from dataset_health.detectors.base import (
    FAIL,
    INSUFFICIENT_HISTORY,
    PASS,
    BaseDetector,
    BaseMultivariateDetector,
    MultivariateVerdict,
    Verdict,
    as_float_array,
)
from dataset_health.detectors.baselines import BASELINES
from dataset_health.detectors.consensus_z import ConsensusZ
from dataset_health.detectors.change import AbsoluteChange, RateOfChange
from dataset_health.detectors.holt_winters import HoltWinters
from dataset_health.detectors.iqr import IQRDetector
from dataset_health.detectors.isolation_forest import IsolationForestDetector
from dataset_health.detectors.isolation_forest_multi import IsolationForestMulti
from dataset_health.detectors.mlp import MLPForecaster
from dataset_health.detectors.pca import PCADetector
from dataset_health.detectors.robust_z import RobustZScore
from dataset_health.detectors.stl import STLDetector
from dataset_health.detectors.zscore import ZScore

# The detector library; baselines (what today's tools do) are registered beside it.
LIBRARY = (ConsensusZ, RobustZScore, ZScore, IQRDetector, RateOfChange, AbsoluteChange, STLDetector,
           HoltWinters, IsolationForestDetector, MLPForecaster,
           IsolationForestMulti, PCADetector)
DETECTORS: dict[str, type[BaseDetector] | type[BaseMultivariateDetector]] = {
    cls.name: cls for cls in (*LIBRARY, *BASELINES)
}
DEFAULT_DETECTOR = ConsensusZ.name


def make_detector(name: str, **params: Any) -> BaseDetector:
    """A detector by registry name, with its parameters."""
    try:
        cls = DETECTORS[name]
    except KeyError:
        raise ValueError(f"unknown detector {name!r}; known: {', '.join(sorted(DETECTORS))}") from None
    try:
        return cls(**params)
    except TypeError as exc:
        raise ValueError(f"detector {name!r}: {exc}") from None


__all__ = [
    "DEFAULT_DETECTOR",
    "DETECTORS",
    "FAIL",
    "INSUFFICIENT_HISTORY",
    "PASS",
    "BaseDetector",
    "BaseMultivariateDetector",
    "MultivariateVerdict",
    "AbsoluteChange",
    "ConsensusZ",
    "HoltWinters",
    "IQRDetector",
    "IsolationForestDetector",
    "IsolationForestMulti",
    "MLPForecaster",
    "PCADetector",
    "RateOfChange",
    "RobustZScore",
    "STLDetector",
    "ZScore",
    "Verdict",
    "as_float_array",
    "make_detector",
]
