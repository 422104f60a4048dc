""""rows update summary" log lines to archive records: the fixture, and every way a line goes wrong."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from dataset_health.errors import BadInputError
from dataset_health.sources import LogParser, open_log

LINE = ("{time} INFO  [{request}] [59931 / internal-aoic.data.socrata.com id/{ds}.json] resources.RowsService - "
        "rows update summary DatasetWriter nbe {ds} {{Rows Deleted={deleted}, Rows Updated={updated}, Rows Created={created}}}")


def line(time="2022-12-30 09:00:54,044", request="mq2tl677un0aoa38ekg0tpaqh1hobapq", ds="rt4a-u7gh",
         deleted="0", updated="9122", created="24847") -> str:
    return LINE.format(time=time, request=request, ds=ds, deleted=deleted, updated=updated, created=created)


def test_fixture_log_gives_one_record_per_update(fixtures_dir) -> None:
    parser = LogParser(dataset_id="rt4a-u7gh")
    with open_log(fixtures_dir / "rows_update_summary.log") as lines:
        records = list(parser.parse(lines))
    assert [(r["update_id"], r["timestamp"], r["rows_created"], r["rows_updated"], r["rows_deleted"]) for r in records] == [
        ("mq2tl677un0aoa38ekg0tpaqh1hobapq", datetime(2022, 12, 30, 9, 0, 54, 44000), 24847, 9122, 0),
        ("74ngis0f7b4ojebbtefa78thqq0n54ts", datetime(2022, 12, 29, 9, 2, 49, 228000), 24611, 9721, 0),
        ("ncfsmtna580le89s1sqoso2qbnl52n9v", datetime(2022, 12, 28, 9, 2, 37, 914000), 21595, 17968, 0),
    ]
    assert parser.report.summary() == ["read 3 log lines: 3 update summaries"]


def test_unparseable_lines_are_skipped_counted_and_located() -> None:
    lines = [
        "2022-12-30 08:59:00,000 INFO  [abcdefgh] resources.RowsService - starting upsert",   # noise: ignored
        line(),
        "rows update summary {Rows Created=1}",                                              # no time
        line(time="2022-13-45 99:00:00,000", request="badtime00"),                           # impossible time
        line(request="badcount0", created="lots"),                                           # not a number
        line(request="negative0", deleted="-3"),                                             # negative count
        line(request="truncated").rsplit("{", 1)[0],                                         # braces cut off
        "\ufffd\ufffd binary rows update summary \x00\x01",                                   # garbage
        "",
    ]
    parser = LogParser()
    records = list(parser.parse(lines))
    assert [r["update_id"] for r in records] == ["mq2tl677un0aoa38ekg0tpaqh1hobapq"]
    report = parser.report
    assert (report.lines, report.records, report.ignored, report.unparseable) == (9, 1, 2, 6)
    assert report.unparseable_lines == [3, 4, 5, 6, 7]
    assert "skipped 6 unreadable summary lines (line 3, 4, 5, 6, 7, ...)" in report.summary()


def test_filter_by_dataset_id() -> None:
    parser = LogParser(dataset_id="rt4a-u7gh")
    records = list(parser.parse([line(), line(request="otherdataset1", ds="zzzz-9999")]))
    assert len(records) == 1 and parser.report.other_dataset == 1
    assert "skipped 1 summaries of other datasets" in parser.report.summary()


def test_without_request_id_the_timestamp_is_the_update_id() -> None:
    text = line().replace("[mq2tl677un0aoa38ekg0tpaqh1hobapq] ", "")
    [record] = LogParser().parse([text])
    assert record["update_id"] == "2022-12-30T09:00:54.044000"


def test_thousands_separators_and_time_zones() -> None:
    [record] = LogParser().parse([line(time="2022-12-30 09:00:54.044+01:00", created="24,847", updated="9,122")])
    assert (record["rows_created"], record["rows_updated"]) == (24847, 9122)
    assert record["timestamp"] == datetime(2022, 12, 30, 8, 0, 54, 44000)


def test_repeated_updates_are_kept_once_and_conflicts_reported() -> None:
    parser = LogParser()
    records = list(parser.parse([line(), line(), line(created="1")]))
    assert len(records) == 1 and records[0]["rows_created"] == 24847
    assert (parser.report.repeated, parser.report.conflicting_lines) == (2, [3])


def test_open_log_reads_stdin_and_reports_missing_files(tmp_path) -> None:
    with open_log("-", stdin=io.StringIO(line() + "\n")) as lines:
        assert len(list(LogParser().parse(lines))) == 1
    with pytest.raises(BadInputError, match="does not exist"):
        with open_log(tmp_path / "missing.log"):
            pass


def test_undecodable_bytes_do_not_hide_the_lines_around_them(tmp_path) -> None:
    path = tmp_path / "mixed.log"
    path.write_bytes(b"\xff\xfe garbage\n" + line().encode() + b"\n\xc3\x28 more\n")
    with open_log(path) as lines:
        assert len(list(LogParser().parse(lines))) == 1
