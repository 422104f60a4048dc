"""Fixtures for capture tests: one small frame, and ways to serve it as a GX batch.

``make_batch`` turns a DataFrame into a batch of the monitored dataset on one
engine: the DataFrame itself, a CSV or Parquet file, a SQLite table, or a
PostgreSQL table (in the fresh schema of the shared ``postgres_url``
fixture, dropped after the test). ``source`` is parametrized over all five,
so a test that uses ``make_batch`` checks every engine gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from dataset_health.capture import dataframe_batch, file_batch, sql_batch

DATASET = "court filings"
TABLE = "monitored"

#: Worked by hand in ``expected_profile`` below.
#: id:         1, 2, 3, 4, 4, NULL           key with one duplicate and one NULL
#: Judge Name: Ann, Bob, NULL, Ann, Cy, NULL  text with a space in its name
#: amount-$:   10, 20.5, NULL, 30, 0.5, 4    float with a symbol in its name
#: pages:      5, 0, 7, 1, 2, 3              integer, never NULL
#: sealed:     bool                          not a number, whatever pandas says
#: filed:      datetime, newest 2024-03-02 18:00, one NULL
SAMPLE_NOW = "2024-03-03T06:00:00"


def sample_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 4, None],
            "Judge Name": ["Ann", "Bob", None, "Ann", "Cy", None],
            "amount-$": [10.0, 20.5, None, 30.0, 0.5, 4.0],
            "pages": [5, 0, 7, 1, 2, 3],
            "sealed": [True, False, True, True, False, True],
            "filed": pd.to_datetime(
                [
                    "2024-03-01 06:00",
                    "2024-03-02 18:00",
                    None,
                    "2024-03-02 12:00",
                    "2024-03-01 00:00",
                    "2024-02-28 00:00",
                ]
            ),
        }
    )


def expected_profile() -> dict[str, Any]:
    """The engine-independent fields of ``sample_frame``, computed by hand."""
    from dataset_health.archive import metric_column as mc

    return {
        "row_count": 6,
        "column_count": 6,
        mc("null_fraction", "id"): 1 / 6,
        mc("distinct_count", "id"): 4,
        mc("min", "id"): 1.0,
        mc("max", "id"): 4.0,
        mc("mean", "id"): 14 / 5,
        mc("null_fraction", "Judge Name"): 2 / 6,
        mc("distinct_count", "Judge Name"): 3,
        mc("null_fraction", "amount-$"): 1 / 6,
        mc("distinct_count", "amount-$"): 5,
        mc("min", "amount-$"): 0.5,
        mc("max", "amount-$"): 30.0,
        mc("mean", "amount-$"): 65 / 5,
        mc("null_fraction", "pages"): 0.0,
        mc("distinct_count", "pages"): 6,
        mc("min", "pages"): 0.0,
        mc("max", "pages"): 7.0,
        mc("mean", "pages"): 18 / 6,
        mc("null_fraction", "sealed"): 0.0,
        mc("distinct_count", "sealed"): 2,
        mc("null_fraction", "filed"): 1 / 6,
        mc("distinct_count", "filed"): 5,
    }


SOURCES = ["pandas", "csv", "parquet", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


class BatchMaker:
    """Serve DataFrames as batches of one engine; each call replaces the data."""

    def __init__(self, source: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        self.source = source
        self.tmp_path = tmp_path
        self._request = request
        self._engines: list[sa.Engine] = []
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The database of a SQL source (created on first use)."""
        if self._url is None:
            if self.source == "sqlite":
                self._url = f"sqlite:///{self.tmp_path / 'monitored.db'}"
            elif self.source == "postgresql":
                self._url = self._request.getfixturevalue("postgres_url")
            else:
                raise AttributeError(f"source {self.source!r} has no database")
        return self._url

    def __call__(self, frame: pd.DataFrame, *, dataset: str = DATASET) -> Any:
        if self.source == "pandas":
            return dataframe_batch(frame, dataset=dataset)
        if self.source in ("csv", "parquet"):
            path = self.tmp_path / f"{TABLE}.{self.source}"
            if self.source == "csv":
                frame.to_csv(path, index=False)
            else:
                frame.to_parquet(path, index=False)
            return file_batch(path, dataset=dataset)
        self.write_table(frame)
        return self.table_batch(dataset=dataset)

    def table_batch(self, *, dataset: str = DATASET) -> Any:
        """A batch of the SQL table as it is now."""
        batch = sql_batch(self.url, TABLE, dataset=dataset)
        self._engines.append(batch.data.execution_engine.engine)
        return batch

    def write_table(self, frame: pd.DataFrame) -> None:
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        try:
            frame.to_sql(TABLE, engine, if_exists="replace", index=False)
        finally:
            engine.dispose()

    def execute(self, *statements: str) -> None:
        """Change the SQL table in place (inserts, deletes, updates)."""
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                for statement in statements:
                    conn.execute(sa.text(statement))
        finally:
            engine.dispose()

    def close(self) -> None:
        # GX keeps a pooled engine per batch; close it before the schema is dropped.
        for engine in self._engines:
            engine.dispose()


@pytest.fixture(params=SOURCES)
def source(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_batch(source: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    maker = BatchMaker(source, tmp_path, request)
    yield maker
    maker.close()


@pytest.fixture
def sql_maker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], BatchMaker]]:
    """``sql_maker("sqlite")`` / ``sql_maker("postgresql")``: a BatchMaker for one SQL engine."""
    makers: list[BatchMaker] = []

    def make(kind: str) -> BatchMaker:
        maker = BatchMaker(kind, tmp_path, request)
        makers.append(maker)
        return maker

    yield make
    for maker in makers:
        maker.close()
