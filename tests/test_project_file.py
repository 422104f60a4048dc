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
])
def test_a_mistake_in_the_project_file_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        _load(tmp_path, text)
    assert "\n" not in str(raised.value)


def test_every_setting_survives_a_save_and_load(tmp_path: Path) -> None:
    project = _load(tmp_path, "archive_url: sqlite:///a.db\ndatasets:\n  sales:\n    key_column: id\n")
    project.datasets["sales"] = DatasetConfig(name="sales", owner={"name": "Ada"}, key_column="id",
                                              freshness_column="at", holidays=["2024-12-24"],
                                              timezone="Europe/Paris", suite="suites/sales.json")
    project.save()
    again = Project.load(tmp_path)
    assert again.dataset("sales") == project.datasets["sales"]
    assert again.archive_url_template == "sqlite:///a.db"
