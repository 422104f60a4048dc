"""A team's archive in PostgreSQL: many datasets in one database, checked
at the same time by processes of different project directories (say, two
Airflow workers), and one Data Docs site built from it."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from dataset_health.archive import ArchiveStore
from dataset_health.check_all import HEALTHY, UNHEALTHY, run_all_health_checks
from dataset_health.docs.history import SITE_FOLDER, page_name, render_history_site
from dataset_health.init_project import init_project
from dataset_health.project import Project

from .conftest import history

pytestmark = pytest.mark.postgres

DATASETS = {"sales": "steady", "filings": "partial", "permits": "steady", "inspections": "partial"}


def _check(root: str, datasets: list[str]) -> dict[str, str]:
    result = run_all_health_checks(Project.load(root), datasets)
    return {check.dataset: check.status if check.status != "error" else check.error for check in result.checks}


def test_two_projects_check_different_datasets_of_one_archive_at_once(postgres_url: str, tmp_path: Path) -> None:
    store = ArchiveStore(postgres_url)
    for name, kind in DATASETS.items():
        store.append(name, history(kind))
    assert store.datasets() == sorted(DATASETS)
    # Two project directories, as two machines of a team would have, one archive.
    roots = [init_project(tmp_path / f"worker{i}", archive_url=postgres_url).root for i in (1, 2)]
    shares = [["sales"], ["filings"]]  # the other two stay unchecked: fewer checks, same proof

    # Forked processes: GX is imported already, and each child has its own context.
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
        outcomes = list(pool.map(_check, [str(r) for r in roots], shares))

    assert outcomes == [{"sales": HEALTHY}, {"filings": UNHEALTHY}]
    with store.engine.connect() as conn:
        checked = set(conn.execute(sa.text("SELECT DISTINCT dataset FROM dh_verdicts")).scalars())
    assert checked == {"sales", "filings"}
    assert store.history("sales", last=1).iloc[-1]["health_status"] == "healthy"
    assert store.history("filings", last=1).iloc[-1]["health_status"] == "unhealthy"

    # Any member can build the whole team's health pages from the archive alone.
    site = tmp_path / "site"
    index = render_history_site(store, site)
    assert index == site / SITE_FOLDER / "index.html"
    html = index.read_text()
    for name in DATASETS:
        assert (site / SITE_FOLDER / page_name(name)).is_file()
        assert name in html
    assert "unhealthy" in html and "not checked" in html
    store.engine.dispose()
