"""Hostile input: names, values and shapes of archive that try to get in.

- Names (datasets, source columns, owners, update ids, text fields) with
  markup, quotes, newlines, control characters, unicode, SQL metacharacters
  and lengths at the limit are stored verbatim through bound parameters and
  quoted identifiers, and shown as text: escaped in Data Docs (GX's pages and
  ours), verbatim in JSON alerts, escaped in mail HTML and Slack mrkdwn,
  control characters made visible in the terminal. Names that cannot be
  archived (control characters, over 200 characters) are a clear error.
- Metric values: every bad value is one clear error naming the field, or a
  documented coercion (README, "Input rules"), and a failed append changes
  nothing.
- Duplicated and out-of-order timestamps, an archive of one row and one of
  100,000 rows.
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dataset_health.actions.mail import render_html
from dataset_health.actions.message import AlertMessage
from dataset_health.actions.slack import slack_payload
from dataset_health.archive import ArchiveStore, import_csv
from dataset_health.archive.verdicts import set_label
from dataset_health.capture import capture_update, dataframe_batch
from dataset_health.cli import main
from dataset_health.errors import BadInputError, ConfigError, DatasetHealthError, SchemaError
from dataset_health.health_check import run_health_check
from dataset_health.init_project import init_project
from dataset_health.project import DatasetConfig

from .conftest import archive_state, history_rows

SCRIPT = "<script>alert('dh')</script>"
HOSTILE_NAMES = [
    SCRIPT,
    "Robert'); DROP TABLE dh_datasets;--",
    "quote \" and ' and `back` and \\",
    "ünïcödé 数据 🚀 \u202ertl",
    "percent %s %d {0} ${HOME} :param ?",
    "y" * 200,
]
REFUSED_NAMES = ["line\nbreak", "tab\tname", "nul\x00byte", "carriage\rreturn", "z" * 201, "", "   "]
MARKUP = ("<script>alert(", "<img src=x onerror", "<b onmouseover", "</td><script>")


def test_hostile_dataset_names_are_stored_verbatim_and_kept_apart(archive_url: str) -> None:
    store = ArchiveStore(archive_url)
    try:
        for n, name in enumerate(HOSTILE_NAMES):
            rows = [{**row, "rows_created": n * 100 + i, "source": f"</td><script>{name}"}
                    for i, row in enumerate(history_rows(3))]
            store.append(name, rows)
        assert store.datasets() == sorted(HOSTILE_NAMES)  # the registry survived its DROP TABLE
        for n, name in enumerate(HOSTILE_NAMES):
            history = store.history(name)
            assert history["rows_created"].tolist() == [n * 100, n * 100 + 1, n * 100 + 2]
            assert set(history["source"]) == {f"</td><script>{name}"}
        for name in REFUSED_NAMES:
            with pytest.raises(ConfigError, match="dataset name"):
                store.append(name, history_rows(1))
        assert store.datasets() == sorted(HOSTILE_NAMES)
    finally:
        store.engine.dispose()


@pytest.mark.slow
def test_hostile_names_render_as_text_in_docs_alerts_and_terminal(tmp_path: Path, receiver, monkeypatch) -> None:
    """One real check of a dataset whose every name is hostile, alerted to a webhook."""
    owner_name = "<b onmouseover=alert(3)>Ada \"O'Hara\"</b>\x1b[31m"
    monkeypatch.setenv("DH_HOSTILE_HOOK", receiver.url("/hook"))
    monkeypatch.setenv("DH_HOSTILE_SECRET", "whsec_" + base64.b64encode(b"k" * 32).decode())
    owner = {"name": owner_name, "opted_in": True,
             "channels": [{"type": "webhook", "url": "${DH_HOSTILE_HOOK}", "secret": "${DH_HOSTILE_SECRET}",
                           "max_retries": 0}]}
    project = init_project(tmp_path / "project", datasets=[DatasetConfig(name=SCRIPT, owner=owner)])
    store = ArchiveStore(project.archive_url)
    store.append(SCRIPT, [{k: v for k, v in row.items() if k != "null_fraction__value"} for row in history_rows(30)])
    # Two captures: the second adds source columns with hostile names, so the
    # schema check fails and its reason names them.
    plain = pd.DataFrame({"id": range(50), "value": range(50)})
    hostile_columns = {"<img src=x onerror=alert(1)>": ["x"] * 50, 'quote"col': [1.5] * 50,
                       "名前\x1b[2J": ["n"] * 50, "w" * 300: [None] * 50}
    capture_update(store, SCRIPT, dataframe_batch(plain, dataset=SCRIPT), update_id="c1",
                   timestamp="2024-01-31 06:00")
    newest = "c2 <img src=x onerror=alert(2)>\x1b]0;pwned\x07\n  ok    forged line"
    capture_update(store, SCRIPT, dataframe_batch(plain.assign(**hostile_columns), dataset=SCRIPT),
                   update_id=newest, timestamp="2024-02-01 06:00")
    set_label(store, SCRIPT, "c1", "expected", note="</td><script>alert('note')</script>")

    result = CliRunner().invoke(main, ["--project", str(project.root), "check", SCRIPT])
    # The schema changed: unhealthy (exit 1), not an error (exit 2) or a crash.
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (result.output, result.exception)
    out = result.output
    # Terminal: control characters made visible, never sent raw.
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;pwned\\x07\\x0a  ok    forged line" in out and "\n  ok    forged" not in out
    assert "expect_table_schema_to_match_previous_update" in out

    # Data Docs, GX's pages and ours: hostile text is escaped, never markup.
    pages = list((project.gx_dir / "uncommitted" / "data_docs").rglob("*.html"))
    assert any("dataset_health" in p.parts for p in pages) and any("validations" in p.parts for p in pages)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for markup in MARKUP:
            assert markup not in html, f"{markup!r} is live markup in {page}"
    history_page = next(p for p in pages if p.parent.name == "dataset_health" and p.name != "index.html")
    text = history_page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in text and "&lt;img src=x onerror=alert(2)&gt;" in text

    # The webhook got the names verbatim in valid JSON; mail and Slack escape them.
    [body] = receiver.bodies
    data = json.loads(body)["data"]
    assert data["dataset"] == SCRIPT and data["owner"] == owner_name and data["update_id"] == newest
    message = AlertMessage.from_dict({k: v for k, v in data.items() if k not in ("headline", "summary")})
    mail = render_html(message)
    for markup in MARKUP:
        assert markup not in mail
    payload = slack_payload(message)
    mrkdwn = [payload["text"]] + [b["text"]["text"] for b in payload["blocks"] if b.get("text", {}).get("type") == "mrkdwn"]
    for text in mrkdwn:  # plain_text blocks are shown literally by Slack; mrkdwn must be escaped
        assert "<script>" not in text and "<img" not in text and "<b " not in text
    store.engine.dispose()


# ------------------------------------------------------------------ values
BAD_VALUES = [  # field, value, error fragment
    ("rows_created", float("inf"), "not a finite number"),
    ("rows_created", "-inf", "not a finite number"),
    ("rows_created", "1e400", "not a finite number"),
    ("rows_created", -5, "cannot be negative"),
    ("rows_created", "-1,000", "cannot be negative"),
    ("rows_created", "twelve", "'twelve' is not a number"),
    ("rows_created", 2.5, "a count must be a whole number"),
    ("null_count__judge", "1.5", "a count must be a whole number"),
    ("null_fraction__value", 1.5, "a fraction must be from 0 to 1"),
    ("null_fraction__value", "-0.1", "a fraction must be from 0 to 1"),
    ("rows_created", True, "boolean"),
    ("rows_created", [1, 2], "not a number"),
    ("mean__value", "1.5.6", "'1.5.6' is not a number"),
    ("Bad Name", 1, "cannot be an archive column"),
    ("x" * 64, 1, "cannot be an archive column"),
    ("timestamp", "not a time", "not a date and time"),
    ("timestamp", "9999-12-31", "outside the years"),
    ("timestamp", 1700000000, "is a number"),
    ("timestamp", np.int64(30), "field 'timestamp': 30 is a number"),
    ("timestamp", None, "missing"),
    ("update_id", "  ", "has no 'update_id'"),
]
COERCED = [  # field, value, stored
    ("rows_created", "24,847", 24847.0),
    ("rows_created", " 12 ", 12.0),
    ("rows_created", float("nan"), None),
    ("rows_created", "", None),
    ("rows_created", "NULL", None),
    ("rows_created", None, None),
    ("rows_created", 10**30, 1e30),
    ("rows_created", np.int64(7), 7.0),
    ("mean__value", -273.15, -273.15),
    ("max__value", 1.7e308, 1.7e308),
    ("null_fraction__value", "0.25", 0.25),
    ("null_fraction__value", 1, 1.0),
    ("mean__value", 2.5, 2.5),
    ("rows_created", "24,847.0", 24847.0),
]


@pytest.mark.parametrize("field, value, error", BAD_VALUES, ids=lambda v: repr(v)[:24])
def test_bad_values_are_one_clear_error_and_change_nothing(sqlite_url: str, field, value, error) -> None:
    store = ArchiveStore(sqlite_url)
    store.append("feed", history_rows(2))
    before = archive_state(sqlite_url)
    record = {**history_rows(3)[2], field: value}
    with pytest.raises((BadInputError, SchemaError)) as raised:
        store.append("feed", [history_rows(3)[2] | {"update_id": "ok"}, record])
    message = str(raised.value)
    assert error in message and "'feed'" in message
    if field not in ("update_id", "Bad Name") and not field.startswith("x"):
        assert repr(field) in message and "'h002'" in message  # names the field and the update
    assert archive_state(sqlite_url) == before
    store.engine.dispose()


@pytest.mark.parametrize("field, value, stored", COERCED, ids=lambda v: repr(v)[:24])
def test_documented_coercions(archive_url: str, field, value, stored) -> None:
    store = ArchiveStore(archive_url)
    try:
        store.append("feed", [{**history_rows(1)[0], field: value}])
        got = store.history("feed")[field].iloc[0]
        if stored is None:
            assert got is None or (isinstance(got, float) and math.isnan(got))
        else:
            assert got == pytest.approx(stored)
    finally:
        store.engine.dispose()


def test_text_in_a_new_field_is_archived_as_text_not_refused(sqlite_url: str, tmp_path: Path) -> None:
    source = tmp_path / "mixed.csv"
    source.write_text("timestamp,rows_created,comment\n2024-01-01,5,\"=HYPERLINK(\"\"x\"\")\"\n2024-01-02,6,42\n")
    store = ArchiveStore(sqlite_url)
    import_csv(store, "feed", source)
    assert store.history("feed")["comment"].tolist() == ['=HYPERLINK("x")', "42"]
    store.engine.dispose()


# ------------------------------------------------------------ shapes of archive
def test_duplicated_and_out_of_order_timestamps(sqlite_url: str, tmp_path: Path) -> None:
    store = ArchiveStore(sqlite_url)
    rows = history_rows(10)
    rows.append({**rows[4], "update_id": "twin", "rows_created": 1})  # same time as h004
    shuffled = [rows[i] for i in np.random.default_rng(3).permutation(len(rows))]
    store.append("feed", shuffled)
    history = store.history("feed")
    assert history["timestamp"].is_monotonic_increasing  # read back in time order, ties by update id
    assert history["update_id"].tolist()[4:6] == ["h004", "twin"]

    before = archive_state(sqlite_url)
    with pytest.raises(BadInputError, match="appears twice with different values"):
        store.append("feed", [{**rows[0], "rows_created": 1}, {**rows[0], "rows_created": 2}])
    twins = tmp_path / "twins.csv"
    twins.write_text("timestamp,rows_created\n2024-03-01T06:00,5\n2024-03-01 06:00:00,6\n")
    with pytest.raises(BadInputError, match="appears twice and there is no update_id column"):
        import_csv(store, "feed", twins)
    assert archive_state(sqlite_url) == before
    store.engine.dispose()


def test_an_archive_of_one_row_is_checked_without_error(tmp_path: Path) -> None:
    project = init_project(tmp_path / "project", datasets=[DatasetConfig(name="lonely")])
    store = ArchiveStore(project.archive_url)
    store.append("lonely", history_rows(1))
    store.engine.dispose()
    result = CliRunner().invoke(main, ["--project", str(project.root), "check", "lonely"])
    assert result.exit_code == 0, result.output
    assert "HEALTHY" in result.output and "n/a" in result.output and "error" not in result.output.lower()


@pytest.mark.slow
def test_hundred_thousand_updates_import_and_check_in_reasonable_time(tmp_path: Path) -> None:
    n = 100_000
    rng = np.random.default_rng(100)
    stamps = pd.date_range("2020-01-01", periods=n, freq="15min")
    frame = pd.DataFrame({
        "timestamp": stamps.strftime("%Y-%m-%dT%H:%M:%S"),
        "rows_created": rng.poisson(500, n),
        "rows_deleted": rng.poisson(0.2, n),
        "row_count": np.arange(n) * 10 + 10_000,
    })
    source = tmp_path / "big.csv"
    frame.to_csv(source, index=False)
    project = init_project(tmp_path / "project", datasets=[DatasetConfig(name="big")])
    store = ArchiveStore(project.archive_url)

    started = time.process_time()
    assert import_csv(store, "big", source).inserted == n
    import_cpu = time.process_time() - started
    started = time.process_time()
    result = run_health_check(project, "big")
    check_cpu = time.process_time() - started

    assert result.update_id == stamps[-1].isoformat() and len(result.outcomes) >= 4
    assert not [o for o in result.outcomes if o.status == "error"]
    # CPU seconds of this process (not wall time, which other load inflates).
    assert import_cpu < 30, f"importing {n} updates took {import_cpu:.1f} CPU s"
    assert check_cpu < 60, f"checking a {n}-update archive took {check_cpu:.1f} CPU s"
    store.engine.dispose()


# -------------------------------------------------------------------- SQL
# Every SQL text built with an f-string, reviewed: its interpolations are
# constants or identifiers quoted by the dialect's preparer, never values.
REVIEWED_SQL = {
    ("archive/store.py", 'cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_S * 1000}")'),
    ("archive/store.py", 'f"ALTER TABLE {preparer.quote(name)} ADD COLUMN {preparer.quote(column)} {ddl_type}"'),
    ("archive/store.py", 'conn.exec_driver_sql(f"ALTER TABLE {preparer.quote(name)} DROP COLUMN {preparer.quote(column)}")'),
}
_SQL_CALL = re.compile(r"(exec_driver_sql|execute|sa\.text|text|literal_column)\(\s*$|(exec_driver_sql|execute|sa\.text|"
                       r"literal_column)\(\s*f[\"']")
_SQL_FSTRING = re.compile(r"f[\"'](SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN|WITH)\b")


def test_sql_is_built_only_with_bound_parameters_and_quoted_identifiers() -> None:
    root = Path(__file__).resolve().parents[2] / "src" / "dataset_health"
    found = set()
    for path in root.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            text = line.strip()
            follows = lines[number + 1].strip() if number + 1 < len(lines) else ""
            if _SQL_FSTRING.search(text) or _SQL_CALL.search(text) and follows.startswith(("f\"", "f'")):
                where = path.relative_to(root).as_posix()
                found.add((where, text if _SQL_FSTRING.search(text) else follows))
    assert found == REVIEWED_SQL, f"new f-string SQL: review it and add it here: {found - REVIEWED_SQL}"


def test_errors_of_bad_input_are_dataset_health_errors(sqlite_url: str) -> None:
    """The CLI turns these into one line and exit 2: nothing else may escape."""
    store = ArchiveStore(sqlite_url)
    for record in ({"update_id": "a", "timestamp": "x"}, {"update_id": "a", "timestamp": "2024-01-01", "n": object()}):
        with pytest.raises(DatasetHealthError):
            store.append("feed", [record])
    store.engine.dispose()
