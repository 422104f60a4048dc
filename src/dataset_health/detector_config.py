"""Detector configurations: which detector judges each metric, and how.

A :class:`DetectorConfig` names a registered detector, the parameters it
uses for every metric, and overrides for the metrics matching a column
pattern (``null_fraction__*``; the first matching pattern wins). The
backtest, the competition and the suites written from a competition all
speak it, so a configuration that won a backtest is exactly the one a
health suite runs.

:data:`DEFAULT_CONFIG` is the recommended configuration, what ``"auto"``
means everywhere. It is defined here and nowhere else.
"""

from __future__ import annotations

import fnmatch
import glob
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dataset_health.detectors import DETECTORS, BaseDetector, make_detector
from dataset_health.detectors.base import BaseMultivariateDetector
from dataset_health.errors import ConfigError

AUTO = "auto"

#: The expectation a health suite judges one archive metric with.
SUITE_EXPECTATION = "expect_column_latest_value_to_not_be_anomalous"

#: The detector parameters that expectation passes to ``make_detector``; a
#: detector must take all of them to be run from a health suite.
SUITE_DETECTOR_PARAMS = ("sensitivity", "direction", "min_history", "training_window", "seasonality")
#: Parameters the health expectation passes only to a detector that takes them.
SUITE_OPTIONAL_PARAMS = ("scale",)
#: The holiday calendar: a suite rule sets it only when a calendar was given,
#: else the dataset's ``holidays:`` setting fills it.
SUITE_CALENDAR_PARAM = "holidays"


@dataclass(frozen=True)
class DetectorConfig:
    """A detector and its parameters, for every metric of an archive.

    Parameters
    ----------
    detector : str
        Registry name (``dataset_health.detectors.DETECTORS``).
    params : mapping, optional
        Parameters for every metric; the detector's defaults fill the rest.
    overrides : tuple of (pattern, mapping), optional
        Parameters for the metrics whose name matches ``pattern``
        (``fnmatch``, case-sensitive), laid over ``params``; the first
        matching pattern wins.
    label : str, optional
        The name shown in results (default: ``detector``).
    from_settings : tuple of str, optional
        The parameters filled from a dataset's settings (:meth:`with_settings`),
        not chosen by the configuration.

    Examples
    --------
    >>> config = DetectorConfig("robust_z", {"sensitivity": 5.0}, (("rows_deleted", {"direction": "up"}),))
    >>> config.params_for("rows_deleted")
    {'sensitivity': 5.0, 'direction': 'up'}
    """

    detector: str
    params: Mapping[str, Any] = field(default_factory=dict)
    overrides: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    label: str | None = None
    from_settings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.label or self.detector

    @property
    def multivariate(self) -> bool:
        """Whether the detector judges all metrics of a row at once."""
        return issubclass(DETECTORS.get(self.detector, BaseDetector), BaseMultivariateDetector)

    def params_for(self, metric: str) -> dict[str, Any]:
        """The parameters given for ``metric``: ``params`` with its override laid over."""
        for pattern, params in self.overrides:
            if fnmatch.fnmatchcase(metric, pattern):
                return {**self.params, **params}
        return dict(self.params)

    def make(self, metric: str = "") -> Any:
        """A new, unfitted detector for ``metric``, its parameters checked."""
        return self._build(self.params_for(metric))

    def validate(self) -> "DetectorConfig":
        """Check every parameter set once; returns self."""
        self._build(self.params)
        for _, params in self.overrides:
            self._build({**self.params, **params})
        return self

    def _build(self, params: Mapping[str, Any]) -> Any:
        if self.detector not in DETECTORS:
            raise ConfigError(f"unknown detector {self.detector!r}; known: {AUTO} (the default), "
                              f"{', '.join(sorted(DETECTORS))}")
        try:
            detector = make_detector(self.detector, **params)
            detector._validate_params()  # fail now, not at the first fit deep in a backtest
        except ValueError as exc:
            raise ConfigError(f"detector configuration {self.name!r}: {exc}") from None
        return detector

    def with_settings(self, settings: Mapping[str, Any] | None) -> "DetectorConfig":
        """This configuration with a dataset's settings (``holidays``) filled in
        where its single-metric detector takes them and its own parameters are
        silent, as a health suite fills them
        (:func:`dataset_health.health_suite.template_expectations`; the
        multivariate expectation takes no calendar). What was filled is the
        dataset's, so :func:`suite_template` does not write it."""
        given = {k: v for k, v in (settings or {}).items() if v is not None and k not in self.params}
        if not given or self.multivariate:
            return self
        taken = set(self.make().get_params())
        filled = {k: v for k, v in given.items() if k in taken}
        if not filled:
            return self
        return DetectorConfig(self.detector, {**self.params, **filled}, self.overrides, self.label,
                              from_settings=(*self.from_settings, *filled))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        data: dict[str, Any] = {"detector": self.detector, "params": dict(self.params)}
        if self.overrides:
            data["overrides"] = [{"column": pattern, "params": dict(params)} for pattern, params in self.overrides]
        if self.label:
            data["label"] = self.label
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "DetectorConfig":
        """A configuration from ``{"detector": ..., "params": {...}, "overrides": [...]}``."""
        if not isinstance(data, Mapping) or not isinstance(data.get("detector"), str):
            raise ConfigError(f"a detector configuration needs a 'detector' name; got {data!r}")
        unknown = set(data) - {"detector", "params", "overrides", "label"}
        if unknown:
            raise ConfigError(f"detector configuration: unknown key {sorted(unknown)[0]!r}")
        params = data.get("params") or {}
        if not isinstance(params, Mapping):
            raise ConfigError(f"detector configuration: 'params' must be a mapping; got {params!r}")
        overrides = []
        for rule in data.get("overrides") or []:
            if not isinstance(rule, Mapping) or not isinstance(rule.get("column"), str):
                raise ConfigError(f"detector configuration: an override needs a 'column' pattern; got {rule!r}")
            overrides.append((rule["column"], dict(rule.get("params") or {})))
        return cls(data["detector"], dict(params), tuple(overrides), data.get("label"))


#: More metrics that count only when they go up, under names the shipped
#: suite does not use: a backtest's date column watched as its lag
#: (:func:`dataset_health.backtest.prepare`), and null or missing counts as
#: other tools and archives name them (``null_count``, ``null_<column>``,
#: ``missing_percent``; our ``null_count__<column>``), and deletes and
#: duplicate keys as a table diff names them (``rows_removed``,
#: ``duplicate_keys``). Nulls or deletes that fall are a fix or a quiet day,
#: not an incident. Prefixes only, matched case-sensitively, so that
#: ``non_null_count`` (which falls in a null explosion) keeps both directions.
FOREIGN_UPWARD_METRICS = ("freshness_lag_hours__*", "null_*", "missing_*", "rows_removed", "duplicate_keys")

#: The recommended configuration ("auto"): the consensus z-score with the
#: parameters of the shipped health suite (``suites/dataset_health_default.json``),
#: where deletes, duplicate keys, freshness lag and null fractions only
#: count when they go up. Chosen on the benchmark (``bench/RESULTS.md``,
#: ``bench/tune_default.py``). Change the default here.
DEFAULT_CONFIG = DetectorConfig(
    detector="consensus_z",
    params={"sensitivity": 4.0, "direction": "both", "min_history": 7, "training_window": None,
            "seasonality": "auto"},
    overrides=(
        ("rows_deleted", {"direction": "up"}),
        ("duplicate_key_count", {"direction": "up"}),
        ("freshness_lag_hours", {"direction": "up"}),
        ("null_fraction__*", {"direction": "up"}),
        *((pattern, {"direction": "up"}) for pattern in FOREIGN_UPWARD_METRICS),
    ),
    label=AUTO,
)


def resolve_config(spec: str | Mapping[str, Any] | DetectorConfig) -> DetectorConfig:
    """A checked configuration from ``"auto"``, a registry name, a dict or a config."""
    if isinstance(spec, DetectorConfig):
        config = spec
    elif isinstance(spec, str):
        config = DEFAULT_CONFIG if spec == AUTO else DetectorConfig(spec)
    elif isinstance(spec, Mapping):
        config = DetectorConfig.from_dict(spec)
    else:
        raise ConfigError(f"detector must be 'auto', a detector name or a configuration; got {spec!r}")
    return config.validate()


def suite_blockers(config: DetectorConfig) -> str | None:
    """Why ``config`` cannot be written as a health suite, or None when it can."""
    if config.multivariate:
        return f"{config.detector} judges several metrics at once; the health expectation judges one"
    taken = set(config.make().get_params())
    missing = [p for p in SUITE_DETECTOR_PARAMS if p not in taken]
    if missing:
        return (f"the health expectation passes {', '.join(SUITE_DETECTOR_PARAMS)} to its detector, "
                f"and {config.detector} does not take {', '.join(missing)}")
    given = set(config.params).union(*(params for _, params in config.overrides))
    extra = sorted(given - set(SUITE_DETECTOR_PARAMS) - ({*SUITE_OPTIONAL_PARAMS, SUITE_CALENDAR_PARAM} & taken))
    if extra:
        return f"the health expectation cannot set {', '.join(extra)}"
    return None


def suite_template(config: DetectorConfig, columns: list[str], *, name: str, description: str) -> dict[str, Any]:
    """A health-suite template (format of ``suites/*.json``) running ``config`` on ``columns``.

    Every parameter is written, defaults included, so that a later change
    of a default does not silently change the suite.
    """
    blocker = suite_blockers(config)
    if blocker:
        raise ConfigError(f"cannot write {config.name!r} as a health suite: {blocker}")
    rules = []
    for column in columns:
        detector: BaseDetector = config.make(column)
        params = detector.get_params()
        kwargs = {"column": glob.escape(column), "detector": config.detector}
        kwargs.update({p: params[p] for p in SUITE_DETECTOR_PARAMS})
        kwargs.update({p: params[p] for p in SUITE_OPTIONAL_PARAMS if p in params})
        chosen = SUITE_CALENDAR_PARAM in config.params_for(column) and SUITE_CALENDAR_PARAM not in config.from_settings
        if chosen:  # even "no calendar"; else the dataset's holidays: setting fills it
            kwargs[SUITE_CALENDAR_PARAM] = _json_dates(params[SUITE_CALENDAR_PARAM])
        rules.append({"type": SUITE_EXPECTATION, "kwargs": kwargs})
    return {"name": name, "description": description, "expectations": rules}


def _json_dates(holidays: Any) -> Any:
    """A calendar as JSON holds it: a name, None, or ISO dates."""
    if holidays is None or isinstance(holidays, str):
        return holidays
    import pandas as pd

    return [d.strftime("%Y-%m-%d") for d in pd.to_datetime(list(holidays))]
