"""dataset_health.yml: what it accepts, and a clear error for what it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataset_health.errors import ConfigError
from dataset_health.project import DatasetConfig, Project


def _load(tmp_path: Path, text: str) -> Project:
    (tmp_path / "dataset_health.yml").write_text(text, encoding="utf-8")
    return Project.load(tmp_path)


@pytest.mark.parametrize(("text", "message"), [
    # A misspelt archive_url would check the default SQLite archive instead of the team's.
    ("archive_ur: postgresql+psycopg://db/x\n", r"unknown field 'archive_ur'; did you mean 'archive_url'\?"),
    ("datasets:\n  sales:\n    key_colum: id\n", r"dataset 'sales': unknown field 'key_colum'; did you mean 'key_column'\?"),
    ("datasets:\n  sales:\n    colour: red\n", r"dataset 'sales': unknown field 'colour'; known fields: freshness_column, holidays"),
    ("datasets:\n  sales:\n    key_column: [a, b]\n", r"dataset 'sales': field 'key_column' must be one column name"),
    ("datasets:\n  sales:\n    owner: {name: Ada\n", r"not valid YAML at line 4, column 1: expected .,. or .}."),
    # Mistakes under owner: would otherwise leave the owner silently unalerted.
    ("datasets:\n  sales:\n    owner: {name: Ada, opted_in: true, chanels: []}\n",
     r"dataset 'sales': owner: unknown field 'chanels'; did you mean 'channels'\?"),
    ("datasets:\n  sales:\n    owner: {name: Ada, opted_in: 'true'}\n",
     r"dataset 'sales': owner: field 'opted_in' must be true or false \(unquoted\); got 'true'"),
    ("datasets:\n  sales:\n    owner: {name: Ada, opted_in: maybe}\n", r"field 'opted_in' must be true or false"),
    ("datasets:\n  sales:\n    owner: {name: Ada, email: notanemail}\n",
     r"owner: field 'email' must be an address like ada@example.org; got 'notanemail'"),
    ("datasets:\n  sales:\n    owner: {name: Ada, channels: {type: slack}}\n",
     r"owner: field 'channels' must be a list of channel settings"),
    ("datasets:\n  sales:\n    owner: {name: 5}\n", r"field 'owner' must be a mapping with a 'name'"),
])
def test_a_mistake_in_the_project_file_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        _load(tmp_path, text)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("email", ["ada@example.org", "Ada Byron <ada@example.org>", "ops@mailhost"])
def test_an_email_a_mail_header_takes_is_taken(tmp_path: Path, email: str) -> None:
    owner = _load(tmp_path, f"datasets:\n  sales:\n    owner: {{name: Ada, email: '{email}'}}\n").dataset("sales").owner
    assert owner["email"] == email


def test_every_setting_survives_a_save_and_load(tmp_path: Path) -> None:
    project = _load(tmp_path, "archive_url: sqlite:///a.db\ndatasets:\n  sales:\n    key_column: id\n")
    project.datasets["sales"] = DatasetConfig(name="sales", owner={"name": "Ada"}, key_column="id",
                                              freshness_column="at", holidays=["2024-12-24"],
                                              timezone="Europe/Paris", suite="suites/sales.json")
    project.save()
    again = Project.load(tmp_path)
    assert again.dataset("sales") == project.datasets["sales"]
    assert again.archive_url_template == "sqlite:///a.db"


def test_an_owner_written_every_valid_way_loads_as_written(tmp_path: Path) -> None:
    text = ("datasets:\n  sales:\n    owner:\n      name: Ada\n      email: ${ADA_EMAIL}\n      opted_in: yes\n"
            "      docs_base_url: https://docs.example.org/\n      notify_on: all\n      renotify_after_hours: 6\n"
            "      channels:\n        - {type: slack, webhook_url: '${ADA_SLACK}'}\n")
    owner = _load(tmp_path, text).dataset("sales").owner
    assert owner["opted_in"] is True and owner["email"] == "${ADA_EMAIL}" and len(owner["channels"]) == 1
