"""Parser fuzzing: CSV import, log lines, Socrata payloads.

Whatever they are fed, the parsers either return records or raise a
:class:`~dataset_health.errors.DatasetHealthError` (never another
exception), and a failed import leaves the archive exactly as it was.
Skips are the documented ones (unreadable log lines are counted; Socrata
revisions that are no finished update are skipped with a reason).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataset_health.archive import ArchiveStore, import_csv
from dataset_health.archive.schema import coerce_record
from dataset_health.errors import DatasetHealthError
from dataset_health.sources.logs import LogParser
from dataset_health.sources.revisions import COUNT_KEYS, detail_counts, log_counts, revision_record
from dataset_health.sources.views import data_columns, data_updated_at, rows_updated_at, typed_frame, view_fields

from .conftest import archive_state

# Modest by default for CI's time; DH_FUZZ_EXAMPLES=2000 for a longer hunt. No
# example database: nothing is written into the working tree.
FUZZ = settings(max_examples=int(os.environ.get("DH_FUZZ_EXAMPLES", "100")), deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------- CSV import
HEADERS = ["timestamp", "update_id", "rows_created", "Rows Deleted", "row_count", "mean__x", "schema",
           "comment", "captured_at", "Timestamp", "bad name!", "", "x" * 70]
CELLS = st.one_of(
    st.sampled_from(["", "nan", "NULL", "inf", "-1", "0", "12", "24,847", "1e400", "2024-01-02T06:00:00",
                     "2024-01-02 06:00:00+02:00", "9999-12-31", "not a time", "true", "\"quoted\"", "a,b",
                     "line\nbreak", "<script>", "1_000", "0x1F", "  7  ", "\x00", "\ufeff"]),
    st.text(max_size=12),
    st.integers(min_value=-10**20, max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.datetimes().map(lambda d: d.isoformat()),
)


@st.composite
def csv_files(draw: Any) -> bytes:
    if draw(st.integers(0, 9)) == 0:  # sometimes plain noise
        return draw(st.binary(max_size=300))
    header = draw(st.lists(st.one_of(st.sampled_from(HEADERS), st.text(max_size=8)), min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=len(header) + 1), max_size=6))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "latin-1", "utf-16"]))
    return buffer.getvalue().encode(encoding, errors="replace")


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'archive.db'}"
    store = ArchiveStore(url)
    store.append("feed", [{"update_id": "u0", "timestamp": "2024-01-01", "rows_created": 5, "comment": "first"}],
                 text_fields=["comment"])
    yield store, url
    store.engine.dispose()


@FUZZ
@given(content=csv_files())
def test_csv_import_never_crashes_and_never_half_writes(fuzz_store, content: bytes) -> None:
    store, url = fuzz_store
    before = archive_state(url)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(content)
        try:
            result = import_csv(store, "feed", path)
        except DatasetHealthError:
            assert archive_state(url) == before  # all or nothing
            return
    assert result.inserted + result.replaced >= 1
    store.history("feed")  # what went in reads back


# ----------------------------------------------------------------- log lines
LOG_PIECES = st.sampled_from([
    "2022-12-30 09:00:54,044 ", "2022-12-30T09:00:54Z ", "2022-13-45 99:00:00 ", "INFO  ", "ERROR ",
    "[mq2tl677un0aoa38ekg0tpaqh1hobapq] ", "[x] ", "[59931 / host id/rt4a-u7gh.json] ", "rows update summary",
    " DatasetWriter nbe rt4a-u7gh ", "{", "}", "Rows Deleted=0", "Rows Updated=9,122", "Rows Created=-3",
    "Rows Created=1e999", "Errors=", ", ", "=", "abcd-1234", "\t", "\r", "\x00", "ünï", "Rows Created=nan",
])


@FUZZ
@given(lines=st.lists(st.one_of(st.lists(LOG_PIECES, max_size=14).map("".join), st.text(max_size=80)), max_size=12),
       dataset_id=st.sampled_from([None, "rt4a-u7gh", "abcd-1234"]))
def test_log_parser_never_raises_and_yields_archivable_records(lines: list[str], dataset_id: str | None) -> None:
    parser = LogParser(dataset_id=dataset_id)
    records = list(parser.parse(lines))
    report = parser.report
    assert report.lines == len(lines) and report.records == len(records)
    assert report.records + report.ignored + report.unparseable + report.other_dataset + report.repeated == len(lines)
    for record in records:
        coerce_record("feed", record, text_fields=frozenset({"source"}))  # raises only BadInputError
    assert len({r["update_id"] for r in records}) == len(records)
    "\n".join(report.summary())


# ----------------------------------------------------------- Socrata payloads
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(), st.text(max_size=10),
                    st.sampled_from(["2022-12-19T06:02:13Z", "2022-12-19T06:02:13.123+01:00", "1671429733",
                                     "24,847", "", "null", "NaN", "-5", "Infinity", "successful", "failure",
                                     "in_progress", "upsert_complete", "number", "calendar_date", ":id"]))
KEYS = st.sampled_from(["revision_seq", "id", "task_sets", "task_set", "status", "finished_at", "updated_at",
                        "closed_at", "log", "stage", "time", "details", "action", "type", "Rows Created",
                        "rows_updated", "deleted", "errors", "total_rows", "columns", "fieldName", "name",
                        "dataTypeName", "cachedContents", "count", "null", "non_null", "cardinality", "smallest",
                        "largest", "average", "dataUpdatedAt", "rowsUpdatedAt"]) | st.text(max_size=6)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
                    max_leaves=25)


@FUZZ
@given(revision=st.dictionaries(KEYS, JSON, max_size=8))
def test_revision_parser_never_raises(revision: dict[str, Any]) -> None:
    outcome = revision_record(revision)
    assert (outcome.record is None) != (outcome.skipped is None)
    if outcome.record is not None:
        assert set(COUNT_KEYS) <= set(outcome.record)
        try:
            coerce_record("feed", outcome.record, text_fields=frozenset({"source", "update_status", "action_type"}))
        except DatasetHealthError:
            pass  # e.g. a negative count: one clear error when archived
    log_counts(revision.get("log"))
    if isinstance(revision.get("details"), dict):
        detail_counts(revision["details"])


@FUZZ
@given(view=st.dictionaries(KEYS, JSON, max_size=8), rows=st.lists(st.dictionaries(KEYS, SCALARS, max_size=4), max_size=4))
def test_view_parsers_never_raise(view: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    data_updated_at(view)
    rows_updated_at(view)
    data_columns(view)
    fields = view_fields(view)
    assert isinstance(fields["column_count"], int)
    typed_frame(rows, view)
