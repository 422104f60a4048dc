"""Capture through GX's Spark engine gives the numbers pandas gives.

Needs pyspark (``pip install -e '.[spark]'``) and a Java runtime; skipped
without them, unless DATASET_HEALTH_REQUIRE_SPARK=1 makes that a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from datetime import datetime

import pandas as pd
import pytest

from dataset_health.capture import dataframe_batch, profile_batch, spark_batch
from capture.conftest import SAMPLE_NOW, expected_profile, sample_frame


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime for Spark (apt-get install openjdk-17-jre-headless)"
    return None


if _missing():
    if os.environ.get("DATASET_HEALTH_REQUIRE_SPARK") == "1":
        pytest.fail(f"{_missing()} (DATASET_HEALTH_REQUIRE_SPARK=1)", pytrace=False)
    pytest.skip(_missing(), allow_module_level=True)


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("dataset-health-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def spark_frame(spark, frame: pd.DataFrame):
    """``frame`` as Spark data: a missing number is NULL (as read from a table
    or Parquet), not the NaN pandas uses; timestamps carry no zone."""
    from pyspark.sql import types as T

    schema = T.StructType([
        T.StructField("id", T.DoubleType()),
        T.StructField("Judge Name", T.StringType()),
        T.StructField("amount-$", T.DoubleType()),
        T.StructField("pages", T.LongType()),
        T.StructField("sealed", T.BooleanType()),
        T.StructField("filed", T.TimestampNTZType()),
    ])
    rows = []
    for record in frame.to_dict(orient="records"):
        rows.append(tuple(
            None if pd.isna(value) else value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
            for value in record.values()
        ))
    return spark.createDataFrame(rows, schema)


def test_spark_capture_matches_pandas(spark) -> None:
    frame = sample_frame()
    now = datetime.fromisoformat(SAMPLE_NOW)
    options = {"dataset": "court filings", "key_column": "id", "freshness_column": "filed", "now": now}
    on_spark = profile_batch(spark_batch(spark_frame(spark, frame), dataset="court filings"), **options)
    on_pandas = profile_batch(dataframe_batch(frame, dataset="court filings"), **options)

    # Type names are the engine's own (DoubleType() vs float64), as for SQL.
    engine_specific = {"schema", "schema_fingerprint"}
    assert set(on_spark) == set(on_pandas)
    for name in sorted(set(on_pandas) - engine_specific):
        assert on_spark[name] == pytest.approx(on_pandas[name]), name
    for name, value in expected_profile().items():
        assert on_spark[name] == pytest.approx(value), name
    assert on_spark["duplicate_key_count"] == 1
    assert on_spark["freshness_lag_hours"] == pytest.approx(12.0)


def test_spark_batch_refuses_a_pandas_frame() -> None:
    from dataset_health.errors import CaptureError

    with pytest.raises(CaptureError, match="expected a Spark DataFrame"):
        spark_batch(sample_frame(), dataset="x")
