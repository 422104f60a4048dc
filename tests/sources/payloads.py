"""Realistic Socrata payloads, modelled on the documented shapes and the shared fixtures.

Revisions follow the publishing API (``{"resource": {...}, "links": {...}}``
envelopes; ``revision_seq``, ``action.type``, ``closed_at``, ``task_sets``
with ``status``, ``finished_at`` and a ``log``); the fixture
``revision_upsert_log.json`` gives the upsert log entry's keys. Views follow
``/api/views/{id}.json`` (``rowsUpdatedAt`` in epoch seconds, ``columns``
with string-valued ``cachedContents``), metadata ``/api/views/metadata/v1``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

FOURFOUR = "rt4a-u7gh"
START = datetime(2022, 1, 1, 6, 0, 0)


def stamp(day: int, minutes: int = 0) -> str:
    """An ISO time like the publishing API's, ``day`` days after START."""
    return (START + timedelta(days=day, minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def upsert_entry(created: Any, updated: Any, deleted: Any, errors: Any = 0, *, stage: str = "upsert_task",
                 time: str | None = None) -> dict[str, Any]:
    """A log entry shaped like the shared fixture's (``Rows Created`` keys)."""
    total = None if any(isinstance(v, str) for v in (created, updated, errors)) else created + updated + errors
    return {
        "time": time,
        "stage": stage,
        "details": {"truth_data_version": 530, "total_rows": total, "error_count": 0,
                    "Rows Updated": updated, "Rows Deleted": deleted, "Rows Created": created, "Errors": errors},
    }


def revision(seq: int, *, log: list[dict[str, Any]] | None = None, status: str = "successful",
             action: str = "update", finished_at: str | None = None, task_sets: bool = True,
             envelope: bool = True, closed: bool = True) -> dict[str, Any]:
    """One revision of FOURFOUR; by default an applied update with an upsert log."""
    finished_at = finished_at or stamp(seq)
    resource: dict[str, Any] = {
        "id": 90000 + seq,
        "revision_seq": seq,
        "fourfour": FOURFOUR,
        "domain_id": 1,
        "action": {"type": action, "permission": "public"},
        "created_at": stamp(seq, -5),
        "updated_at": finished_at,
        "closed_at": finished_at if closed else None,
        "created_by": {"user_id": "abcd-1234", "display_name": "etl bot"},
        "metadata": {"name": "Court filings"},
    }
    if task_sets:
        resource["task_sets"] = [] if status is None else [{
            "id": 5000 + seq,
            "status": status,
            "created_at": stamp(seq, -4),
            "updated_at": finished_at,
            "finished_at": finished_at if status in ("successful", "failure") else None,
            "log": log if log is not None else [upsert_entry(1000 + seq, 100 + seq % 7, seq % 3, time=finished_at)],
        }]
    if not envelope:
        return resource
    return {"resource": resource, "links": {"show": f"/api/publishing/v1/revision/{FOURFOUR}/{seq}"}}


def expected_counts(seq: int) -> tuple[float, float, float]:
    """rows_created, rows_updated, rows_deleted of the default ``revision(seq)``."""
    return (1000.0 + seq, 100.0 + seq % 7, float(seq % 3))


def metadata(data_updated_at: str) -> dict[str, Any]:
    return {
        "id": FOURFOUR,
        "name": "Court filings",
        "dataUri": f"https://example.org/resource/{FOURFOUR}",
        "createdAt": "2020-01-01T00:00:00.000Z",
        "dataUpdatedAt": data_updated_at,
        "metadataUpdatedAt": "2021-06-01T00:00:00.000Z",
        "updatedAt": data_updated_at,
    }


def view(rows_updated_at: int = 1672390854) -> dict[str, Any]:
    """A views-API record with system, number, text and date columns."""
    return {
        "id": FOURFOUR,
        "name": "Court filings",
        "rowsUpdatedAt": rows_updated_at,
        "viewType": "tabular",
        "columns": [
            {"id": -1, "name": "sid", "dataTypeName": "meta_data", "fieldName": ":sid", "position": 0},
            {"id": 1, "name": "RowKey", "fieldName": "rowkey", "dataTypeName": "number", "position": 1,
             "cachedContents": {"count": "6618943", "null": "0", "non_null": "6618943", "cardinality": "6618943",
                                "smallest": "4474", "largest": "9934471", "average": "5012345.5"}},
            {"id": 2, "name": "Judge Name", "fieldName": "judge_name", "dataTypeName": "text", "position": 2,
             "cachedContents": {"count": "6618943", "null": "661894", "non_null": "5957049", "cardinality": "412",
                                "smallest": "Abbott", "largest": "Young"}},
            {"id": 3, "name": "Filed At", "fieldName": "filed_at", "dataTypeName": "calendar_date", "position": 3,
             "cachedContents": {"null": "12", "non_null": "6618931", "smallest": "2001-01-02T00:00:00.000",
                                "largest": "2022-12-30T00:00:00.000"}},
            {"id": 4, "name": "Amount", "fieldName": "amount", "dataTypeName": "number", "position": 4},
        ],
    }
