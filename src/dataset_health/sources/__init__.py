"""Update sources: where archive rows come from besides a GX profile.

- :mod:`~dataset_health.sources.socrata`: the Socrata HTTP client (timeouts,
  retries, credentials, paging, one error boundary);
- :mod:`~dataset_health.sources.revisions`: publishing-API revisions to
  archive rows;
- :mod:`~dataset_health.sources.views`: view metadata and ``cachedContents``
  to archive fields;
- :mod:`~dataset_health.sources.soda`: the dataset's rows as a GX batch, its
  current metadata as archive fields;
- :mod:`~dataset_health.sources.logs`: "rows update summary" log lines to
  archive rows;
- :mod:`~dataset_health.sources.writeback`: publish an archive to a Socrata
  dataset.

Errors of the HTTP stack surface as :class:`dataset_health.errors.SourceError`.
"""

from dataset_health.sources._transport import TransportSettings
from dataset_health.sources.logs import LogParser, LogReport, open_log
from dataset_health.sources.revisions import RevisionOutcome, log_counts, revision_record
from dataset_health.sources.soda import current_fields, soda_batch, soda_frame
from dataset_health.sources.socrata import SocrataClient, SocrataCredentials, base_url, check_fourfour
from dataset_health.sources.views import data_updated_at, rows_updated_at, typed_frame, view_fields
from dataset_health.sources.writeback import publish_archive

__all__ = [
    "LogParser",
    "LogReport",
    "RevisionOutcome",
    "SocrataClient",
    "SocrataCredentials",
    "TransportSettings",
    "base_url",
    "check_fourfour",
    "current_fields",
    "data_updated_at",
    "log_counts",
    "open_log",
    "publish_archive",
    "revision_record",
    "rows_updated_at",
    "soda_batch",
    "soda_frame",
    "typed_frame",
    "view_fields",
]
