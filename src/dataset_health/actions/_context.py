"""What our checkpoint actions share: config substitution and failure reporting.

An exception raised by a GX checkpoint action aborts the run and skips the
actions after it, so every action of ours catches its own failure, logs it
and returns it in its result dict instead.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger("dataset_health.actions")


def substitute(value: str) -> str:
    """Resolve ``${VARS}`` in an action field the way GX resolves its config."""
    from great_expectations.data_context.data_context.context_factory import project_manager

    try:
        provider = project_manager.get_config_provider()
    except Exception:  # no current GX project: plain environment substitution
        from dataset_health.project import expand_variables

        return expand_variables(value, "action field")
    return provider.substitute_config(value)


def local_docs_site() -> Path | None:
    """The directory of the current project's local Data Docs site."""
    from great_expectations.data_context.data_context.context_factory import project_manager

    try:
        # The index page may not exist yet: `check --all` writes it after the last check.
        sites = project_manager.get_docs_sites_urls(only_if_exists=False)
    except Exception:
        return None
    for site in sites:
        url = site.get("site_url") or ""
        if url.startswith("file://"):
            return Path(url.removeprefix("file://")).parent
    return None


def report_failure(action: str, dataset: str, exc: BaseException) -> dict[str, Any]:
    logger.error("dataset-health action %s failed for dataset %r: %s", action, dataset, exc)
    return {"success": False, "error": f"{type(exc).__name__}: {exc}"}
