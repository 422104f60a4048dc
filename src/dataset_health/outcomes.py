"""Expectation outcomes: a checkpoint result flattened for people and stores.

A GX checkpoint result nests run results, validation results and
expectation results; terminals, alerts, Data Docs pages and the verdict
store all want the same flat view of it: one :class:`ExpectationOutcome`
per expectation, with the detector's verdict fields when it has them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict on the newest update."""

    expectation: str
    metric: str | None
    success: bool
    status: str
    observed: Any
    expected: Any
    lower: Any
    upper: Any
    score: Any
    reason: str
    update_id: str | None = None
    update_timestamp: str | None = None
    columns: tuple[str, ...] = ()  # the metrics a multivariate expectation judged together

    @property
    def column(self) -> str | None:
        return self.metric

    @property
    def label(self) -> str:
        """What a person calls it: the metric, the metrics judged together, or the expectation type."""
        return self.metric or " + ".join(self.columns) or self.expectation

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def outcome_from_result(result: Any) -> ExpectationOutcome:
    """Flatten one GX ExpectationValidationResult."""
    config = result.expectation_config
    payload = result.result or {}
    details = payload.get("details") or {}
    exception = _raised(result.exception_info)
    if exception is not None:
        message = exception.get("exception_message") or "the expectation raised an error"
        status, reason = "error", str(message).strip().splitlines()[0]
    else:
        status = details.get("status") or ("pass" if result.success else "fail")
        reason = details.get("reason") or ""
    return ExpectationOutcome(
        expectation=config.type,
        metric=config.kwargs.get("column"),
        success=bool(result.success),
        status=status,
        observed=details.get("observed", payload.get("observed_value")),
        expected=details.get("expected"),
        lower=details.get("lower"),
        upper=details.get("upper"),
        score=details.get("score"),
        reason=reason,
        update_id=details.get("update_id"),
        update_timestamp=details.get("update_timestamp"),
        columns=tuple(config.kwargs.get("columns") or ()),
    )


def _raised(exception_info: Any) -> dict[str, Any] | None:
    """The exception an expectation raised, or None. GX reports one raised in the
    expectation itself at the top level, and one raised computing a metric (a rule on
    a column the archive lacks) under that metric's id."""
    info = exception_info or {}
    if info.get("raised_exception"):
        return info
    return next((v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")), None)


def outcomes_from_checkpoint_result(checkpoint_result: Any) -> list[ExpectationOutcome]:
    """Every expectation outcome of a GX CheckpointResult, in suite order, each
    repeated rule named apart (:func:`numbered_expectations`)."""
    outcomes = [outcome_from_result(result)
                for run in checkpoint_result.run_results.values() for result in run.results]
    names = numbered_expectations([(o.expectation, o.metric) for o in outcomes])
    return [o if o.expectation == name else replace(o, expectation=name) for o, name in zip(outcomes, names)]


def numbered_expectations(checks: list[tuple[str, str | None]]) -> list[str]:
    """The name of each ``(expectation type, metric)`` check, with the second and later
    rule of one type on one metric (a stricter rule for drops beside the default)
    named ``type#2``, ``type#3``: the verdict store, the alert log and the history
    page key checks by type and metric, and two under one key overwrite each other.

    >>> numbered_expectations([("e", "rows"), ("e", "rows"), ("e", "nulls")])
    ['e', 'e#2', 'e']
    """
    seen: dict[tuple[str, str | None], int] = {}
    names = []
    for expectation, metric in checks:
        seen[(expectation, metric)] = count = seen.get((expectation, metric), 0) + 1
        names.append(expectation if count == 1 else f"{expectation}#{count}")
    return names


def tested_update_id(outcomes: list[ExpectationOutcome]) -> str | None:
    """The update the outcomes judged (the archive's newest row)."""
    return next((o.update_id for o in outcomes if o.update_id), None)
