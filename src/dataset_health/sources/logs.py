"""Archive rows from "rows update summary" log lines of the Socrata platform.

A line looks like this (one line, wrapped here)::

    2022-12-30 09:00:54,044 INFO  [mq2tl677un0aoa38ekg0tpaqh1hobapq]
    [59931 / internal-aoic.data.socrata.com id/rt4a-u7gh.json]
    resources.RowsService - rows update summary DatasetWriter nbe rt4a-u7gh
    {Rows Deleted=0, Rows Updated=9122, Rows Created=24847}

and becomes one archive record: ``update_id`` is the request id in the first
brackets (the line's timestamp when there is none), ``timestamp`` the line's
time (UTC unless the line gives a zone), the counts from the braces, and
``source`` = ``log``.

Parsing never raises on content. Lines without "rows update summary" are
ignored; summary lines that cannot be read are skipped and counted (with
their first line numbers) in a :class:`LogReport`; lines of other datasets
are counted when a dataset id filter is given; a repeated update id is
counted, and when its counts differ from the first occurrence the first one
is kept and the repeat reported.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from dataset_health.archive.schema import TIMESTAMP, UPDATE_ID, parse_number, parse_timestamp
from dataset_health.errors import BadInputError
from dataset_health.text import counted

MARKER = "rows update summary"
SOURCE = "log"

_LINE = re.compile(
    r"^\s*(?P<time>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d+)?(?:\s?(?:Z|[+-]\d{2}:?\d{2}))?)"
    r"\s+(?P<head>.*?)" + re.escape(MARKER) + r"\b(?P<tail>[^{]*)\{(?P<counts>[^}]*)\}\s*$",
    re.IGNORECASE,
)
_REQUEST_ID = re.compile(r"^\s*[A-Z]+\s+\[(?P<id>[A-Za-z0-9_\-]{6,})\]")
_FOURFOUR = re.compile(r"(?<![a-z0-9])([a-z0-9]{4}-[a-z0-9]{4})(?![a-z0-9])")
# "Rows Created=24,847": a value runs to the next ", <Name>=" or the end, so
# thousands separators inside a value survive.
_PAIR = re.compile(r"\s*([A-Za-z][A-Za-z _\-]*?)\s*=\s*(.*?)\s*(?=,\s*[A-Za-z][A-Za-z _\-]*\s*=|$)")
_COUNT_FIELDS = {"rows_created": "rows_created", "rows_updated": "rows_updated", "rows_deleted": "rows_deleted",
                 "errors": "error_count", "rows_errored": "error_count"}
_SAMPLE = 5


@dataclass
class LogReport:
    """What reading a log found, besides the records."""

    lines: int = 0
    records: int = 0
    ignored: int = 0
    other_dataset: int = 0
    repeated: int = 0
    unparseable: int = 0
    unparseable_lines: list[int] = field(default_factory=list)
    conflicting_lines: list[int] = field(default_factory=list)

    def summary(self) -> list[str]:
        """One line per notable finding, for a terminal."""
        notes = [f"read {self.lines} log lines: {self.records} update summaries"]
        if self.unparseable:
            where = ", ".join(map(str, self.unparseable_lines)) + (", ..." if self.unparseable > _SAMPLE else "")
            notes.append(f"skipped {counted(self.unparseable, 'unreadable summary line')} (line {where})")
        if self.other_dataset:
            notes.append(f"skipped {self.other_dataset} summaries of other datasets")
        if self.repeated:
            detail = ""
            if self.conflicting_lines:
                where = ", ".join(map(str, self.conflicting_lines))
                detail = f"; with different counts, first kept: line {where}"
            notes.append(f"skipped {self.repeated} repeated update ids{detail}")
        return notes


class LogParser:
    """Turn log lines into archive records, keeping a :class:`LogReport`.

    Parameters
    ----------
    dataset_id : str, optional
        Keep only summaries of this Socrata dataset id (e.g. ``rt4a-u7gh``).

    Examples
    --------
    >>> parser = LogParser()
    >>> line = ("2022-12-30 09:00:54,044 INFO  [mq2tl677un0aoa38ekg0tpaqh1hobapq] [59931 / x id/rt4a-u7gh.json] "
    ...         "resources.RowsService - rows update summary DatasetWriter nbe rt4a-u7gh "
    ...         "{Rows Deleted=0, Rows Updated=9122, Rows Created=24847}")
    >>> [record] = parser.parse([line, "garbage"])
    >>> record["update_id"], record["rows_created"], parser.report.ignored
    ('mq2tl677un0aoa38ekg0tpaqh1hobapq', 24847.0, 1)
    """

    def __init__(self, *, dataset_id: str | None = None) -> None:
        self.dataset_id = dataset_id
        self.report = LogReport()
        self._seen: dict[str, dict[str, Any]] = {}

    def parse(self, lines: Iterable[str]) -> Iterator[dict[str, Any]]:
        """Records of the summary lines in ``lines``, in order, each update once."""
        for number, line in enumerate(lines, start=1):
            self.report.lines += 1
            if MARKER not in line.lower():
                self.report.ignored += 1
                continue
            match = _LINE.match(line)
            if match is not None and self.dataset_id and self.dataset_id not in _dataset_ids(match):
                self.report.other_dataset += 1
                continue
            record = _record(match) if match is not None else None
            if record is None:
                self.report.unparseable += 1
                if len(self.report.unparseable_lines) < _SAMPLE:
                    self.report.unparseable_lines.append(number)
                continue
            first = self._seen.get(record[UPDATE_ID])
            if first is not None:
                self.report.repeated += 1
                if first != record and len(self.report.conflicting_lines) < _SAMPLE:
                    self.report.conflicting_lines.append(number)
                continue
            self._seen[record[UPDATE_ID]] = record
            self.report.records += 1
            yield record


def _dataset_ids(match: re.Match[str]) -> list[str]:
    """Socrata dataset ids in a summary line: after the marker, else in its head."""
    return _FOURFOUR.findall(match["tail"]) or _FOURFOUR.findall(match["head"])


def _record(match: re.Match[str]) -> dict[str, Any] | None:
    """The archive record of a matched summary line; None when its values cannot be read."""
    try:
        stamp = parse_timestamp(match["time"].replace(",", "."))
        counts = _counts(match["counts"])
    except ValueError:
        return None
    if not counts:
        return None
    request = _REQUEST_ID.match(match["head"])
    return {
        UPDATE_ID: request["id"] if request else stamp.isoformat(),
        TIMESTAMP: stamp,
        **counts,
        "source": SOURCE,
    }


def _counts(text: str) -> dict[str, float | None]:
    """``{Rows Deleted=0, Rows Updated=9122}`` as archive fields; ValueError if a value is no number."""
    counts: dict[str, float | None] = {}
    for name, value in _PAIR.findall(text):
        key = _COUNT_FIELDS.get(re.sub(r"[\s\-]+", "_", name.strip().lower()))
        if key is not None:
            number = parse_number(value)
            if number is not None and number < 0:
                raise ValueError(f"negative count {value!r}")
            counts[key] = number
    return counts


@contextmanager
def open_log(source: str | Path, *, stdin: TextIO | None = None) -> Iterator[Iterable[str]]:
    """The lines of a log file, or of standard input when ``source`` is ``-``.

    Undecodable bytes are replaced rather than fatal: one bad byte must not
    hide the summaries around it.
    """
    if str(source) == "-":
        yield stdin if stdin is not None else sys.stdin
        return
    path = Path(source)
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise BadInputError(f"log file {str(path)!r} does not exist") from None
    except OSError as exc:
        raise BadInputError(f"log file {str(path)!r} cannot be read: {exc.strerror or exc}") from None
    with handle:
        yield handle
