"""Create a dataset-health project: config file, archive, GX file context."""

from __future__ import annotations

from pathlib import Path

from great_expectations.data_context.types.base import ProgressBarsConfig

from dataset_health.context import get_context
from dataset_health.errors import ConfigError
from dataset_health.gx_files import project_lock
from dataset_health.project import (
    CONFIG_FILE,
    DEFAULT_ARCHIVE_URL,
    DatasetConfig,
    Project,
    check_no_literal_password,
)

# Validation results listed on GX's index page (newest first).
GX_INDEX_VALIDATION_RESULTS = 100


def init_project(
    root: str | Path,
    *,
    archive_url: str | None = None,
    datasets: list[DatasetConfig] | None = None,
) -> Project:
    """Create (or complete) a project in ``root`` and its GX file context.

    ``archive_url`` defaults to a SQLite file in the project. An existing
    ``dataset_health.yml`` is kept: init never overwrites settings, and an
    ``archive_url`` other than the file's is an error rather than ignored.
    """
    if archive_url is not None:
        check_no_literal_password(archive_url)  # before anything is written
    root = Path(root).resolve()
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} exists and is not a directory")
    if (root / CONFIG_FILE).exists():
        project = Project.load(root)
        if archive_url is not None and archive_url != project.archive_url_template:
            raise ConfigError(f"{root / CONFIG_FILE} already uses archive_url {project.archive_url_template!r} "
                              "(its own or the default); init never overwrites settings: edit the file to use "
                              "another archive")
    else:
        root.mkdir(parents=True, exist_ok=True)
        project = Project(root=root, archive_url_template=archive_url or DEFAULT_ARCHIVE_URL)
    added = [d for d in datasets or [] if d.name not in project.datasets]
    for dataset in added:
        project.datasets[dataset.name] = dataset
    if added or not project.config_path.exists():
        project.save()  # only then: a user's own file keeps its comments and layout
    with project_lock(project.gx_dir):
        context = get_context(project.root)  # creates gx/ with its stores and Data Docs site
        # GX's per-metric progress bars drown our own output; a user may turn them back on.
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        _limit_gx_index(context)
        context.variables.save()
    return project


def _limit_gx_index(context: object) -> None:
    """List only the newest validation results on GX's index page, unless the
    user chose a limit: GX loads every listed result on every check, so an
    unlimited index grows each check's cost with the project's whole history.
    The health pages keep the complete pass/fail history."""
    raw_config = context.variables.config  # type: ignore[attr-defined]  # unsubstituted: ${VARS} stay
    for site in (raw_config["data_docs_sites"] or {}).values():
        index_builder = site.setdefault("site_index_builder", {"class_name": "DefaultSiteIndexBuilder"})
        index_builder.setdefault("validation_results_limit", GX_INDEX_VALIDATION_RESULTS)
