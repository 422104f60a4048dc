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
from pathlib import Path
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


def load_template(name: str, root: str | Path | None = None) -> dict[str, Any]:
    """A suite template: shipped with the package (by name), or a JSON file
    (a name ending in ``.json``, relative to ``root``), such as the one
    ``dataset-health compete --write-suite`` writes."""
    if name.endswith(".json"):
        return _template_file(Path(root or ".") / name, name)
    resource = resources.files("dataset_health") / "suites" / f"{name}.json"
    if not resource.is_file():
        shipped = sorted(p.name.removesuffix(".json") for p in (resources.files("dataset_health") / "suites").iterdir())
        raise ConfigError(f"unknown health suite template {name!r}; shipped: {', '.join(shipped)}, "
                          "or give a template file ending in .json")
    return json.loads(resource.read_text(encoding="utf-8"))


def _template_file(path: Path, name: str) -> dict[str, Any]:
    try:
        template = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"health suite template file {name!r} not found (looked at {path})") from None
    except OSError as exc:
        raise ConfigError(f"health suite template file {name!r}: cannot read it: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"health suite template file {name!r}: not JSON: {exc}") from None
    rules = template.get("expectations") if isinstance(template, dict) else None
    if not isinstance(rules, list) or not all(isinstance(r, dict) and "type" in r for r in rules):
        raise ConfigError(f"health suite template file {name!r}: needs an 'expectations' list of rules, "
                          "each with a 'type' and its 'kwargs'")
    return template


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
                        defaults: dict[str, Any] | None = None, *, source: str | None = None) -> Any:
    """``dataset``'s health suite in ``context``, created from ``template``.

    An existing suite is the user's: it is kept as it is, and only gains the
    template's expectations for archive columns it does not cover yet (the
    monitored dataset gained a column). Edits and removals of the template's
    other expectations stay. ``source`` is where the template came from
    (``suite`` in ``dataset_health.yml``); when the suite was built from
    another one, the user chose a new template and the suite's expectations
    are replaced by its own.
    """
    name = suite_name(dataset)
    source = source or template.get("name")
    try:
        suite = context.suites.get(name)
    except DataContextError:
        suite = context.suites.add(gx.ExpectationSuite(name=name, meta=_meta(dataset, source)))
    built_from = (suite.meta or {}).get("dataset_health", {}).get("template")
    if built_from is not None and built_from != source:
        wanted = template_expectations(archive_columns, template, defaults)  # a bad template keeps the old suite
        for expectation in list(suite.expectations):
            suite.delete_expectation(expectation)
        for expectation in wanted:
            suite.add_expectation(expectation)
        # Last: a check killed halfway finds the old template named and rebuilds again.
        suite.meta = {**(suite.meta or {}), **_meta(dataset, source)}
        suite.save()
        return suite
    covered = {_key(e) for e in suite.expectations}
    for expectation in template_expectations(archive_columns, template, defaults):
        if _key(expectation) not in covered:
            suite.add_expectation(expectation)  # saved at once: the suite belongs to the context
    return suite


def _meta(dataset: str, source: str | None) -> dict[str, Any]:
    return {"dataset_health": {"dataset": dataset, "template": source}}


def _key(expectation: Any) -> tuple[str, Any]:
    return expectation.expectation_type, getattr(expectation, "column", None)
