"""A Socrata dataset as it is now: its rows (a GX batch) and its current metadata."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dataset_health.sources.socrata import SocrataClient
from dataset_health.sources.views import typed_frame, view_fields


def current_fields(client: SocrataClient, fourfour: str) -> dict[str, Any]:
    """Archive fields describing the dataset now, without downloading its rows.

    Column statistics come from the views API's ``cachedContents``; the row
    count from SODA's ``count(*)``, which is exact where cached counts may lag.
    """
    fields = view_fields(client.view(fourfour))
    fields["row_count"] = client.row_count(fourfour)
    return fields


def soda_frame(client: SocrataClient, fourfour: str, *, page_size: int | None = None) -> pd.DataFrame:
    """Every row of the dataset, paged with ``$limit``/``$offset``, typed by the view's columns."""
    view = client.view(fourfour)
    rows = [row for page in client.rows(fourfour, page_size=page_size) for row in page]
    return typed_frame(rows, view)


def soda_batch(client: SocrataClient, fourfour: str, *, dataset: str, page_size: int | None = None) -> Any:
    """A GX batch of the dataset's rows, for :func:`dataset_health.capture.capture_update`."""
    from dataset_health.capture import dataframe_batch

    return dataframe_batch(soda_frame(client, fourfour, page_size=page_size), dataset=dataset)
