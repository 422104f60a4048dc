"""Health suites: the GX expectation suite that judges one dataset's archive.

A suite *template* (``suites/*.json`` in this package) lists expectations
by archive column; a column ending in ``*`` stands for every archive column
with that prefix. A rule with ``columns`` (a multivariate expectation) keeps
the columns the archive has, and is skipped when fewer than two remain. :func:`build_health_suite` turns a template into a real GX
suite for one dataset by matching it against the columns its archive has.
"""

from __future__ import annotations

import fnmatch
import json
from importlib import resources
from typing import Any

import great_expectations as gx
from great_expectations.exceptions import DataContextError

from dataset_health.archive.schema import KEY_COLUMNS, slug
from dataset_health.errors import ConfigError

import dataset_health.expectations  # noqa: F401  (the template's types must be registered)

# Fewer columns than this present in an archive: a multivariate rule is skipped.
_MIN_JOINT_COLUMNS = 2


def suite_name(dataset: str) -> str:
    """The GX suite name of ``dataset``'s health suite (safe as a file name)."""
    return f"dataset_health__{slug(dataset)}"


def load_template(name: str) -> dict[str, Any]:
    """A suite template shipped with the package, by name."""
    resource = resources.files("dataset_health") / "suites" / f"{name}.json"
    if not resource.is_file():
        shipped = sorted(p.name.removesuffix(".json") for p in (resources.files("dataset_health") / "suites").iterdir())
        raise ConfigError(f"unknown health suite template {name!r}; shipped: {', '.join(shipped)}")
    return json.loads(resource.read_text(encoding="utf-8"))


def template_expectations(archive_columns: list[str], template: dict[str, Any],
                          defaults: dict[str, Any] | None = None) -> list[Any]:
    """The expectations ``template`` asks for on an archive with these columns.

    ``defaults`` (the dataset's settings, e.g. ``holidays``) fill the
    parameters a rule leaves out, for the expectations that take them.
    """
    from great_expectations.expectations.registry import get_expectation_impl

    metrics = [c for c in archive_columns if c not in KEY_COLUMNS]
    expectations = []
    for rule in template.get("expectations", []):
        kwargs = dict(rule.get("kwargs", {}))
        try:
            expectation_class = get_expectation_impl(rule["type"])
        except Exception as exc:  # GX raises its own not-found error type
            raise ConfigError(
                f"health suite template {template.get('name')!r}: unknown expectation {rule.get('type')!r}"
            ) from exc
        taken = getattr(expectation_class, "__fields__", {})
        kwargs = {**{k: v for k, v in (defaults or {}).items() if k in taken and v is not None}, **kwargs}
        if "columns" in kwargs:  # a multivariate rule: one expectation over the columns present
            kwargs["columns"] = _present(metrics, kwargs["columns"])
            if len(kwargs["columns"]) >= _MIN_JOINT_COLUMNS:
                expectations.append(expectation_class(**kwargs, meta=rule.get("meta", {})))
            continue
        pattern = kwargs.get("column")
        for column in fnmatch.filter(metrics, pattern) if pattern else [None]:
            if column is not None:
                kwargs["column"] = column
            expectations.append(expectation_class(**kwargs, meta=rule.get("meta", {})))
    return expectations


def _present(metrics: list[str], patterns: list[str]) -> list[str]:
    """The archive columns ``patterns`` name (``*`` expands), in pattern order, each once."""
    return list(dict.fromkeys(column for pattern in patterns for column in fnmatch.filter(metrics, pattern)))


def ensure_health_suite(context: Any, dataset: str, archive_columns: list[str], template: dict[str, Any],
                        defaults: dict[str, Any] | None = None) -> Any:
    """``dataset``'s health suite in ``context``, created from ``template``.

    An existing suite is the user's: it is kept as it is, and only gains the
    template's expectations for archive columns it does not cover yet (the
    monitored dataset gained a column). Edits and removals of the template's
    other expectations stay.
    """
    name = suite_name(dataset)
    try:
        suite = context.suites.get(name)
    except DataContextError:
        suite = context.suites.add(
            gx.ExpectationSuite(name=name, meta={"dataset_health": {"dataset": dataset, "template": template.get("name")}})
        )
    covered = {_key(e) for e in suite.expectations}
    for expectation in template_expectations(archive_columns, template, defaults):
        if _key(expectation) not in covered:
            suite.add_expectation(expectation)  # saved at once: the suite belongs to the context
    return suite


def _key(expectation: Any) -> tuple[str, Any]:
    return expectation.expectation_type, getattr(expectation, "column", None)
