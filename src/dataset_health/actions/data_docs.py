"""DataDocsPagesAction: GX's UpdateDataDocsAction, with the index left to the end of a
``check --all``, and pages that render offline."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Literal

from great_expectations.checkpoint import UpdateDataDocsAction

from dataset_health.docs.history import index_pages_deferred
from dataset_health.docs.offline import make_site_offline

logger = logging.getLogger(__name__)


class DataDocsPagesAction(UpdateDataDocsAction):
    """Write the new validation page and the suite page, and GX's index page
    unless index pages are deferred (:func:`~dataset_health.docs.history.deferred_index_pages`).

    GX's index loads every suite and every listed validation result of the
    project, so a thousand checks each rebuilding it cost O(n^2); ``check
    --all`` builds it once after the last check. Later actions find this
    action's pages as they find UpdateDataDocsAction's (it is one).

    The pages it writes load local copies of GX's CDN assets
    (:mod:`dataset_health.docs.offline`), so they render without a network.
    """

    type: Literal["dataset_health_update_data_docs"] = "dataset_health_update_data_docs"  # type: ignore[assignment]

    def _build_data_docs(self, site_names: list[str] | None = None, resource_identifiers: list | None = None) -> dict:
        started = time.time()
        sites = self._resolve_context().context.build_data_docs(
            site_names=site_names,
            resource_identifiers=resource_identifiers,
            dry_run=False,
            build_index=not index_pages_deferred(),
        )
        offline_local_sites(sites, since=started)
        return sites


def offline_local_sites(sites: dict, *, since: float) -> None:
    """Rewrite the pages GX just wrote in the local sites of ``sites`` (``build_data_docs``'s
    answer: site name -> index URL) to load local assets. A failure is logged, not raised:
    the pages are still there, they only need a network."""
    for url in sites.values():
        if not isinstance(url, str) or not url.startswith("file://"):
            continue  # a hosted site (S3, GCS, Azure) is read online anyway
        site = Path(url.removeprefix("file://")).parent
        try:
            make_site_offline(site, since=since)
        except OSError as exc:
            logger.warning("could not make the Data Docs pages in %s load local assets: %s", site, exc)
