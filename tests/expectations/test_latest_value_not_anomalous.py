"""ExpectColumnLatestValueToNotBeAnomalous on pandas, SQLite and PostgreSQL archives."""

from __future__ import annotations

import great_expectations as gx
import numpy as np
import pandas as pd
import pytest

import dataset_health  # noqa: F401  (registers the expectation)
from dataset_health.archive import ArchiveStore
from dataset_health.detectors import DEFAULT_DETECTOR
from dataset_health.expectations import ExpectColumnLatestValueToNotBeAnomalous


def archive_frame(newest_created: float, days: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    stamps = pd.date_range("2024-03-01 06:00", periods=days, freq="D")
    created = np.where(stamps.dayofweek < 5, 20_000, 2_000) * rng.lognormal(0, 0.05, days)
    created[-1] = newest_created
    return pd.DataFrame({
        "update_id": [f"rev-{i:03d}" for i in range(days)],
        "timestamp": stamps,
        "rows_created": created.round(),
        "null_fraction__judge": 0.02,
    })


def pandas_batch(frame: pd.DataFrame):
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("archive").add_dataframe_asset("a")
    return asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame})


def sql_batch(url: str, frame: pd.DataFrame):
    store = ArchiveStore(url)
    store.append("feed", frame)
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql("archive", connection_string=url)
    asset = source.add_table_asset(name="feed", table_name=store.table_name("feed"))
    return asset.add_batch_definition_whole_table("all").get_batch()


@pytest.fixture
def batch_factory(request, archive_url):
    engine = request.param
    return (lambda frame: pandas_batch(frame)) if engine == "pandas" else (lambda frame: sql_batch(archive_url, frame))


@pytest.mark.parametrize("batch_factory", ["pandas", "sql"], indirect=True)
@pytest.mark.parametrize(("newest", "success"), [(20_100, True), (900, False), (41_000, False)])
def test_same_verdict_on_every_engine(batch_factory, newest: float, success: bool) -> None:
    frame = archive_frame(newest)
    # The rows arrive shuffled: the metric must order them by timestamp.
    result = batch_factory(frame.sample(frac=1, random_state=1)).validate(
        ExpectColumnLatestValueToNotBeAnomalous(column="rows_created")
    )
    assert result.success is success
    details = result.result["details"]
    assert details["update_id"] == "rev-059"
    assert details["observed"] == newest
    assert details["detector"] == DEFAULT_DETECTOR
    assert details["history_size"] >= 8
    assert details["lower"] < details["expected"] < details["upper"]
    assert details["reason"].startswith(f"rows_created {newest:,.0f}")


@pytest.mark.parametrize("batch_factory", ["pandas"], indirect=True)
def test_insufficient_history_is_reported_and_optionally_fails(batch_factory) -> None:
    batch = batch_factory(archive_frame(900, days=4))
    lenient = batch.validate(ExpectColumnLatestValueToNotBeAnomalous(column="rows_created"))
    assert lenient.success is True
    assert lenient.result["details"]["status"] == "insufficient_history"
    strict = batch.validate(
        ExpectColumnLatestValueToNotBeAnomalous(column="rows_created", fail_on_insufficient_history=True)
    )
    assert strict.success is False


@pytest.mark.parametrize("batch_factory", ["pandas"], indirect=True)
def test_direction_down_ignores_a_duplicate_load(batch_factory) -> None:
    batch = batch_factory(archive_frame(41_000))
    result = batch.validate(ExpectColumnLatestValueToNotBeAnomalous(column="rows_created", direction="down"))
    assert result.success is True


def test_every_parameter_is_written_to_the_configuration() -> None:
    kwargs = ExpectColumnLatestValueToNotBeAnomalous(column="rows_created").configuration.kwargs
    assert set(ExpectColumnLatestValueToNotBeAnomalous.success_keys) <= set(kwargs)


def test_each_field_carries_its_own_description() -> None:
    from dataset_health.expectations import expect_column_latest_value_to_not_be_anomalous as module

    for name in ExpectColumnLatestValueToNotBeAnomalous.success_keys:
        constant = getattr(module, f"{name.upper()}_DESCRIPTION")
        assert ExpectColumnLatestValueToNotBeAnomalous.__fields__[name].field_info.description == constant
        assert constant in ExpectColumnLatestValueToNotBeAnomalous.__doc__


@pytest.mark.parametrize("batch_factory", ["pandas"], indirect=True)
def test_scale_reaches_the_detector_and_is_left_out_when_unset(batch_factory) -> None:
    frame = archive_frame(0)
    frame["rows_created"] = np.round(np.random.default_rng(3).lognormal(8, 0.5, len(frame)))
    frame.loc[frame.index[-1], "rows_created"] = 0.05 * frame["rows_created"].median()  # a partial load
    batch = batch_factory(frame)
    ratio = batch.validate(ExpectColumnLatestValueToNotBeAnomalous(column="rows_created", seasonality="none"))
    linear = batch.validate(
        ExpectColumnLatestValueToNotBeAnomalous(column="rows_created", seasonality="none", scale="linear")
    )
    assert ratio.success is False and "on the log scale" in ratio.result["details"]["reason"]
    assert linear.success is True and "scale" not in linear.result["details"]["reason"]
    # Unset, the field leaves another detector's scale at that detector's own default.
    other = batch.validate(ExpectColumnLatestValueToNotBeAnomalous(column="rows_created", detector="robust_z"))
    assert other.result["details"]["detector"] == "robust_z" and other.expectation_config.kwargs.get("scale") is None


@pytest.mark.parametrize("text", [
    "2024-01-03 00:00:00.000000", "2024-01-03 06:30:00.250000", "2024-01-03T06:30:00", "2024-01-03",
    "2024-01-03 06:30:00.5", "2024-01-03 06:30:00+02:00", "2024-01-03T06:30:00Z", "2024-01-03 06:30:00.123456789",
])
def test_stamps_sqlite_returns_as_text_read_as_pandas_reads_them(text: str) -> None:
    # SQLite hands DATETIME columns back as text; they are read without pandas, so must match it.
    from dataset_health.expectations.metrics import _isoformat

    assert _isoformat(text) == pd.Timestamp(text).isoformat()
