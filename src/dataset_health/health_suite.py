"""Health suites: the GX expectation suite that judges one dataset's archive.

A suite *template* (``suites/*.json`` in this package) lists expectations
by archive column; a column ending in ``*`` stands for every archive column
with that prefix. A rule with ``columns`` (a multivariate expectation) keeps
the columns the archive has, and is skipped when fewer than two remain. :func:`build_health_suite` turns a template into a real GX
suite for one dataset by matching it against the columns its archive has.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
from importlib import resources
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.compatibility import pydantic
from great_expectations.exceptions import DataContextError

from dataset_health.archive.schema import KEY_COLUMNS, slug
from dataset_health.errors import ConfigError
from dataset_health.project import DEFAULT_SUITE

import dataset_health.expectations  # noqa: F401  (the template's types must be registered)

logger = logging.getLogger(__name__)

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
        return _template_file(Path(root or ".") / Path(name).expanduser(), name)
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
                          defaults: dict[str, Any] | None = None, *, source: str | None = None) -> list[Any]:
    """The expectations ``template`` asks for on an archive with these columns.

    ``defaults`` (the dataset's settings, e.g. ``holidays``) fill the
    parameters a rule leaves out, for the expectations that take them.
    Every expectation is checked as it is built, its detector included,
    so a bad rule is a :class:`ConfigError` naming the template
    (``source``: where it came from) before any suite holds it.
    """
    from great_expectations.expectations.registry import get_expectation_impl

    where = f"health suite template {source or template.get('name')!r}"
    metrics = [c for c in archive_columns if c not in KEY_COLUMNS]
    expectations = []
    for rule in template.get("expectations", []):
        kwargs = rule.get("kwargs", {})
        if not isinstance(kwargs, dict):
            raise ConfigError(f"{where}, rule {rule.get('type')}: 'kwargs' must be a mapping; got {kwargs!r}")
        kwargs = dict(kwargs)
        try:
            expectation_class = get_expectation_impl(rule["type"])
        except Exception as exc:  # GX raises its own not-found error type
            raise ConfigError(f"{where}: unknown expectation {rule.get('type')!r}") from exc
        taken = getattr(expectation_class, "__fields__", {})
        kwargs = {**{k: v for k, v in (defaults or {}).items() if k in taken and v is not None}, **kwargs}
        if "columns" in kwargs:  # a multivariate rule: one expectation over the columns present
            kwargs["columns"] = _present(metrics, kwargs["columns"])
            if len(kwargs["columns"]) >= _MIN_JOINT_COLUMNS:
                expectations.append(_build(expectation_class, kwargs, rule, where))
            continue
        pattern = kwargs.get("column")
        for column in fnmatch.filter(metrics, pattern) if pattern else [None]:
            if column is not None:
                kwargs["column"] = column
            expectations.append(_build(expectation_class, kwargs, rule, where))
    return expectations


def _build(expectation_class: Any, kwargs: dict[str, Any], rule: dict[str, Any], where: str) -> Any:
    """One expectation of a template rule; its detector must accept the rule's parameters."""
    column = f", column {kwargs['column']!r}" if "column" in kwargs else ""
    try:
        expectation = expectation_class(**kwargs, meta=rule.get("meta", {}))
        if hasattr(expectation, "_make_detector"):
            expectation._make_detector()._validate_params()
    except pydantic.ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{where}, rule {rule['type']}{column}: {problems}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}, rule {rule['type']}{column}: {exc}") from None
    return expectation


def _present(metrics: list[str], patterns: list[str]) -> list[str]:
    """The archive columns ``patterns`` name (``*`` expands), in pattern order, each once."""
    return list(dict.fromkeys(column for pattern in patterns for column in fnmatch.filter(metrics, pattern)))


def ensure_configured_suite(context: Any, dataset: str, archive_columns: list[str], suite: str,
                            root: str | Path, defaults: dict[str, Any] | None = None) -> Any:
    """:func:`ensure_health_suite` from the template a dataset's ``suite`` setting names
    (relative to the project directory ``root``); errors name the dataset."""
    try:
        return ensure_health_suite(context, dataset, archive_columns, load_template(suite, root), defaults,
                                   source=suite)
    except ConfigError as exc:
        raise ConfigError(f"dataset {dataset!r}: {exc}") from None


def ensure_health_suite(context: Any, dataset: str, archive_columns: list[str], template: dict[str, Any],
                        defaults: dict[str, Any] | None = None, *, source: str | None = None) -> Any:
    """``dataset``'s health suite in ``context``, created from ``template``.

    An existing suite is the user's: it is kept as it is, and only gains the
    template's expectations for archive columns it does not cover yet (the
    monitored dataset gained a column). Edits and removals of the template's
    other expectations stay. ``source`` is where the template came from
    (``suite`` in ``dataset_health.yml``). When the suite was built from
    another template, or from an earlier version of this template file
    (``compete --write-suite`` wrote a new winner to it), the user chose
    new rules, and the suite's expectations are replaced by the template's.
    A template that would leave the suite empty is refused: a suite that
    judges nothing passes every update. A suite that records no template
    (made by hand, or by a version before templates were recorded) is never
    replaced; when ``source`` names another template than the default, a
    warning says so, at every check until the suite is deleted.
    """
    name = suite_name(dataset)
    source = source or template.get("name")
    settings = {k: v for k, v in (defaults or {}).items() if v is not None}
    meta = _meta(dataset, source, template)
    meta["dataset_health"]["settings"] = settings
    wanted = template_expectations(archive_columns, template, defaults, source=source)
    try:
        suite = context.suites.get(name)
    except DataContextError:
        suite = None
    built = (suite.meta or {}).get("dataset_health", {}) if suite is not None else {}
    rebuild = built.get("template") is not None and _built_from(built) != _built_from(meta["dataset_health"])
    if suite is not None and built.get("template") is None and source not in (None, DEFAULT_SUITE):
        logger.warning("dataset %r: suite %r records no template, so it is kept as it is and the template %r "
                       "only adds expectations for archive columns it does not cover; delete the suite "
                       "(the next check builds it from the template) to use the template's rules",
                       dataset, name, source)
    if not wanted and (suite is None or rebuild or not suite.expectations):
        raise ConfigError(f"health suite template {source!r} gives no expectation for an archive with columns "
                          f"{', '.join(c for c in archive_columns if c not in KEY_COLUMNS) or '(none)'}")
    if suite is None:
        suite = context.suites.add(gx.ExpectationSuite(name=name, meta=meta))
    elif rebuild:
        # One write: replaced one by one, a killed check would leave half a suite behind.
        suite.expectations = wanted
        suite.meta = {**(suite.meta or {}), **meta}
        suite.save()
        return suite
    if built.get("settings", {}) != settings:
        _follow_settings(suite, built.get("settings", {}), settings)
    covered = {_key(e) for e in suite.expectations}
    for expectation in wanted:
        if _key(expectation) not in covered:
            suite.add_expectation(expectation)  # saved at once: the suite belongs to the context
    return suite


def _follow_settings(suite: Any, before: dict[str, Any], now: dict[str, Any]) -> None:
    """Give ``suite`` a dataset's changed settings (``timezone:``, ``holidays:``) in one write.

    A parameter still at the value the old settings gave it (or unset, in a
    suite built before settings were recorded) takes the new one; one a rule
    or a user set to something else keeps it.
    """
    replaced = []
    for expectation in suite.expectations:
        fields = getattr(type(expectation), "__fields__", {})
        kwargs = dict(expectation.configuration.kwargs)
        for key in (set(before) | set(now)) & set(fields):
            if kwargs.get(key) == before.get(key):
                kwargs[key] = now.get(key)
        replaced.append(type(expectation)(**kwargs, meta=expectation.meta, notes=expectation.notes))
    suite.expectations = replaced
    meta = dict(suite.meta or {})
    suite.meta = {**meta, "dataset_health": {**meta.get("dataset_health", {}), "settings": now}}
    suite.save()


def _meta(dataset: str, source: str | None, template: dict[str, Any]) -> dict[str, Any]:
    recorded: dict[str, Any] = {"dataset": dataset, "template": source}
    if source is not None and source.endswith(".json"):
        # A file's rules change when compete writes a new winner to it; a
        # shipped template's change with the package, and must not wipe edits.
        canonical = json.dumps(template.get("expectations", []), sort_keys=True)
        recorded["template_sha256"] = hashlib.sha256(canonical.encode()).hexdigest()
    return {"dataset_health": recorded}


def _built_from(recorded: dict[str, Any]) -> tuple[str, str | None]:
    template = str(recorded.get("template"))
    if template.endswith(".json"):
        template = os.path.normpath(os.path.expanduser(template))
    return template, recorded.get("template_sha256")


def _key(expectation: Any) -> tuple[str, Any]:
    return expectation.expectation_type, getattr(expectation, "column", None)
