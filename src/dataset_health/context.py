"""A GX data context with dataset-health loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def get_context(project_root_dir: str | Path | None = None, **kwargs: Any) -> Any:
    """``great_expectations.get_context`` after registering this plugin.

    Use it instead of ``gx.get_context`` wherever suites or checkpoints that
    name our expectations are loaded: GX drops unknown expectation types
    from a suite without a word, and saving the suite then loses them.
    With ``project_root_dir`` the context is a file context there.
    """
    import great_expectations as gx

    import dataset_health.expectations  # noqa: F401  (registration happens on import)

    if project_root_dir is not None:
        kwargs.setdefault("mode", "file")
        kwargs["project_root_dir"] = str(project_root_dir)
    return gx.get_context(**kwargs)
