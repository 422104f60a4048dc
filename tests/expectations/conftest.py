"""Run one expectation over one archive frame on pandas, SQLite or PostgreSQL."""

from __future__ import annotations

from typing import Any, Callable

import great_expectations as gx
import pandas as pd
import pytest

import dataset_health  # noqa: F401  (registers the expectations)
from dataset_health.archive import ArchiveStore
from dataset_health.archive.verdicts import set_label

ENGINES = ["pandas", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _batch(engine: str, frame: pd.DataFrame, request: pytest.FixtureRequest, incidents: tuple[str, ...]):
    context = gx.get_context(mode="ephemeral")
    if engine == "pandas":
        if incidents:
            frame = frame.assign(label=[("incident" if u in incidents else None) for u in frame["update_id"]])
        asset = context.data_sources.add_pandas("archive").add_dataframe_asset("feed")
        return asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame})
    url = request.getfixturevalue("sqlite_url" if engine == "sqlite" else "postgres_url")
    store = ArchiveStore(url)
    store.append("feed", frame)
    for update_id in incidents:
        set_label(store, "feed", update_id, "incident")
    source = context.data_sources.add_sql("archive", connection_string=url)  # generic: any dialect
    asset = source.add_table_asset(name="feed", table_name=store.table_name("feed"))
    return asset.add_batch_definition_whole_table("all").get_batch()


@pytest.fixture(params=ENGINES)
def validate_on(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """``validate_on(frame, expectation, incidents=())`` on this test's engine.

    The rows arrive shuffled: the metrics must order them by timestamp.
    """
    def run(frame: pd.DataFrame, expectation: Any, incidents: tuple[str, ...] = ()) -> Any:
        shuffled = frame.sample(frac=1, random_state=1)
        return _batch(request.param, shuffled, request, incidents).validate(expectation)

    return run
