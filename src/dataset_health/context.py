"""A GX data context with dataset-health loaded, and guarded.

GX drops expectation types it does not know when it loads a suite: it logs
an error, returns the rest, and saving the suite then deletes them from
disk. A checkpoint over such a suite passes having checked nothing. Every
entry point here imports the plugin first, and :func:`get_context` refuses
a project whose suites name expectations that are not registered, and
makes GX's own file writes atomic (see :mod:`dataset_health.gx_files`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dataset_health.errors import ConfigError


def get_context(project_root_dir: str | Path | None = None, **kwargs: Any) -> Any:
    """``great_expectations.get_context`` after registering this plugin.

    With ``project_root_dir`` the context is a file context there. Raises
    :class:`ConfigError` when a stored suite names an expectation type that
    no imported package registered, instead of letting GX drop it.
    """
    import great_expectations as gx

    import dataset_health.actions  # noqa: F401  (registration happens on import)
    import dataset_health.expectations  # noqa: F401
    from dataset_health import gx_speedups
    from dataset_health.gx_files import install_atomic_writes

    # A process killed mid-write must not leave a half-written GX file behind.
    install_atomic_writes()
    gx_speedups.install()
    if project_root_dir is not None:
        kwargs.setdefault("mode", "file")
        kwargs["project_root_dir"] = str(project_root_dir)
    context = gx.get_context(**kwargs)
    suites_dir = getattr(context, "root_directory", None)
    if suites_dir:
        check_suites_are_loadable(Path(suites_dir) / "expectations")
    return context


# Suite files already found loadable, by path, with the (mtime, size) they had:
# `check --all` opens a context per dataset, and re-reading every suite each
# time made the run quadratic in the number of datasets.
_loadable_suites: dict[Path, tuple[int, int]] = {}


def check_suites_are_loadable(suites_dir: Path) -> None:
    """Raise ConfigError naming the first suite file with an unregistered type."""
    from great_expectations.expectations.registry import _registered_expectations

    for path in sorted(suites_dir.glob("*.json")):
        try:
            stat = path.stat()
            version = (stat.st_mtime_ns, stat.st_size)
            if _loadable_suites.get(path) == version:
                continue
            suite = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"suite file {path}: cannot be read ({exc})") from None
        for expectation in suite.get("expectations", []):
            kind = expectation.get("type") or expectation.get("expectation_type")
            if kind not in _registered_expectations:
                raise ConfigError(
                    f"suite {suite.get('name', path.stem)!r} ({path}) names expectation {kind!r}, which is not "
                    "registered; import the package that defines it before loading the suite "
                    "(GX would drop it silently)"
                )
        _loadable_suites[path] = version
