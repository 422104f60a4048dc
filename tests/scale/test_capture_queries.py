"""Capture of a SQL table costs a few aggregate SELECTs, not one per metric
per column: GX folds the aggregate metrics of every column into one query.

Counted on the SQLAlchemy engine of the GX batch, on SQLite and PostgreSQL:
the number of statements that read the table must not grow with its width.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from dataset_health.capture import profile_batch, sql_batch

#: table.row_count twice (the first resolution asks for it, the second
#: re-derives it for the null fractions), one SELECT for distinct counts and
#: min/max/mean of every column, one for the null counts of every column.
MAX_TABLE_SCANS = 4


def wide_frame(columns: int, rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    half = columns // 2
    numbers = {f"n{i}": rng.normal(size=rows) for i in range(half)}
    texts = {f"t{i}": rng.choice(["a", "b", None], rows) for i in range(columns - half)}
    return pd.DataFrame({"id": np.arange(rows), **numbers, **texts})


def table_statements(url: str, frame: pd.DataFrame) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        frame.to_sql("wide", engine, if_exists="replace", index=False)
    finally:
        engine.dispose()
    batch = sql_batch(url, "wide", dataset="wide")
    statements: list[str] = []
    gx_engine = batch.data.execution_engine.engine
    sa.event.listen(gx_engine, "before_cursor_execute", lambda _c, _cur, statement, *_: statements.append(statement))
    try:
        fields = profile_batch(batch, dataset="wide", key_column="id")
    finally:
        gx_engine.dispose()
    assert fields["row_count"] == len(frame) and fields["column_count"] == frame.shape[1]
    # Catalog look-ups (column types) do not read the data.
    return [s for s in statements if "wide" in s and "pg_catalog" not in s and "sqlite_master" not in s
            and not s.startswith("PRAGMA")]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_table_scans_do_not_grow_with_the_number_of_columns(kind: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "postgres_url")
    narrow = table_statements(url, wide_frame(4))
    wide = table_statements(url, wide_frame(40))
    assert len(narrow) <= MAX_TABLE_SCANS, narrow
    assert len(wide) == len(narrow), [s[:120] for s in wide]
    # Every per-column metric of the 41 columns went into the aggregate SELECTs.
    aggregates = [s for s in wide if "count(DISTINCT" in s]
    assert len(aggregates) == 1 and aggregates[0].count("count(DISTINCT") == 41


def test_pandas_capture_skips_gx_per_value_decimal_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    # GX's column.mean checks every pandas value for decimal.Decimal in Python,
    # half of a 1M-row capture; capture asks numeric columns for its own mean.
    from great_expectations.expectations.metrics.column_aggregate_metrics import column_mean

    from dataset_health.capture import dataframe_batch

    def scanned(**_: object) -> None:
        raise AssertionError("capture used GX's column.mean and its per-value Decimal scan")

    monkeypatch.setattr(column_mean, "convert_pandas_series_decimal_to_float_dtype", scanned)
    frame = wide_frame(6)
    fields = profile_batch(dataframe_batch(frame, dataset="wide"), dataset="wide")
    assert fields["mean__n0"] == pytest.approx(frame["n0"].mean())
    assert fields["mean__id"] == pytest.approx(frame["id"].mean())
