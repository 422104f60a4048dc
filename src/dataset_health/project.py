"""A dataset-health project: one directory, one ``dataset_health.yml``.

The file says where the archive lives and which datasets are monitored, with
their owner and how to capture them::

    archive_url: sqlite:///archive.db   # relative SQLite paths: from this file
    datasets:
      court_filings:
        owner: {name: Ada Byron, email: ada@example.org, opted_in: true}
        key_column: case_id             # enables created/updated/deleted by diff
        freshness_column: filed_at
        suite: dataset_health_default   # or a template file: suites/court_filings.json
        holidays: us_federal            # or a list of dates; a change reaches the suite at the next check
        timezone: America/New_York      # weekdays and hours on the dataset's clock (default UTC)

Values may name environment variables as ``${VAR}`` (secrets stay out of the
file). ``DATASET_HEALTH_PROJECT`` chooses the project directory and
``DATASET_HEALTH_ARCHIVE_URL`` overrides ``archive_url``.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field, fields
from datetime import date
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from dataset_health.detectors.local_time import check_timezone
from dataset_health.errors import ConfigError

CONFIG_FILE = "dataset_health.yml"
GX_DIR = "gx"
DEFAULT_ARCHIVE_URL = "sqlite:///archive.db"
DEFAULT_SUITE = "dataset_health_default"
ENV_PROJECT = "DATASET_HEALTH_PROJECT"
ENV_ARCHIVE_URL = "DATASET_HEALTH_ARCHIVE_URL"

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# local@domain, no more: an intranet host (ops@mailhost) is an address too.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")

#: Owner settings that apply to every channel of the owner that does not set them.
OWNER_DEFAULTS = ("notify_on", "renotify_after_hours", "docs_base_url")
#: Every field an ``owner:`` takes; a misspelt one would silently stop the alerts.
OWNER_FIELDS = frozenset({"name", "email", "opted_in", "channels", *OWNER_DEFAULTS})


@dataclass
class DatasetConfig:
    """Settings of one monitored dataset."""

    name: str
    owner: dict[str, Any] | None = None
    key_column: str | None = None
    freshness_column: str | None = None
    holidays: str | list[str] | None = None
    timezone: str | None = None
    suite: str = DEFAULT_SUITE

    def suite_defaults(self) -> dict[str, Any]:
        """Parameters this dataset's settings give the suite's expectations that take them."""
        given = {"holidays": self.holidays, "timezone": self.timezone}
        return {k: v for k, v in given.items() if v is not None}

    def to_yaml(self) -> dict[str, Any]:
        data: dict[str, Any] = {"suite": self.suite}
        for name in ("owner", "key_column", "freshness_column", "holidays", "timezone"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data


@dataclass
class Project:
    """A loaded project directory."""

    root: Path
    archive_url_template: str = DEFAULT_ARCHIVE_URL
    datasets: dict[str, DatasetConfig] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def gx_dir(self) -> Path:
        return self.root / GX_DIR

    @property
    def archive_url(self) -> str:
        """The archive URL, with ${VARS} expanded and SQLite paths made absolute."""
        url = os.environ.get(ENV_ARCHIVE_URL)
        if not url:
            check_no_literal_password(self.archive_url_template)
            url = expand_variables(self.archive_url_template, "archive_url")
        return _absolute_sqlite_url(url, self.root)

    def dataset(self, name: str) -> DatasetConfig:
        """The settings of ``name``; datasets not in the file get defaults."""
        return self.datasets.get(name) or DatasetConfig(name=name)

    def save(self) -> None:
        data = {
            "archive_url": self.archive_url_template,
            "datasets": {name: ds.to_yaml() for name, ds in sorted(self.datasets.items())},
        }
        header = "# dataset-health project: see `dataset-health --help`\n"
        # Atomic: a reader or a killed writer never leaves a half-written file.
        from dataset_health.gx_files import atomic_write_text

        atomic_write_text(self.config_path, header + yaml.safe_dump(data, sort_keys=False))

    @classmethod
    def load(cls, root: str | Path | None = None) -> "Project":
        """Load the project in ``root`` (default: $DATASET_HEALTH_PROJECT or cwd)."""
        root = Path(root or os.environ.get(ENV_PROJECT) or ".").resolve()
        path = root / CONFIG_FILE
        if not path.exists():
            raise ConfigError(f"no {CONFIG_FILE} in {root}; run `dataset-health init {root}` first")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            # One line: the parser's own message spans several, which the CLI would escape.
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
            raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        _refuse_unknown(path, "", data, {"archive_url", "datasets"})
        datasets_raw = data.get("datasets") or {}
        if not isinstance(datasets_raw, dict):
            raise ConfigError(f"{path}: field 'datasets' must be a mapping of dataset name to settings")
        datasets = {str(name): _dataset_config(path, str(name), raw or {}) for name, raw in datasets_raw.items()}
        return cls(root=root, archive_url_template=str(data.get("archive_url") or DEFAULT_ARCHIVE_URL), datasets=datasets)


def _dataset_config(path: Path, name: str, raw: Any) -> DatasetConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: dataset {name!r}: settings must be a mapping")
    _refuse_unknown(path, f"dataset {name!r}: ", raw, {f.name for f in fields(DatasetConfig)} - {"name"})
    for setting in ("key_column", "freshness_column"):
        if raw.get(setting) is not None and not isinstance(raw[setting], str):
            raise ConfigError(f"{path}: dataset {name!r}: field {setting!r} must be one column name; "
                              f"got {raw[setting]!r}")
    return DatasetConfig(
        name=name,
        owner=_owner(path, name, raw.get("owner")),
        key_column=raw.get("key_column"),
        freshness_column=raw.get("freshness_column"),
        holidays=_holidays(path, name, raw.get("holidays")),
        timezone=_timezone(path, name, raw.get("timezone")),
        suite=str(raw.get("suite") or DEFAULT_SUITE),
    )


def _owner(path: Path, name: str, owner: Any) -> dict[str, Any] | None:
    """The owner settings, checked: each mistake here would otherwise leave the
    owner silently unalerted (``chanels:``, ``opted_in: "true"``)."""
    if owner is None:
        return None
    where = f"dataset {name!r}: owner: "
    if not (isinstance(owner, dict) and isinstance(owner.get("name"), str) and owner["name"].strip()):
        raise ConfigError(f"{path}: dataset {name!r}: field 'owner' must be a mapping with a 'name'")
    _refuse_unknown(path, where, owner, set(OWNER_FIELDS))
    opted_in = owner.get("opted_in")
    if opted_in is not None and not isinstance(opted_in, bool):
        raise ConfigError(f"{path}: {where}field 'opted_in' must be true or false (unquoted); got {opted_in!r}")
    email = owner.get("email")
    if email is not None and not (isinstance(email, str) and (_is_address(email) or "${" in email)):
        raise ConfigError(f"{path}: {where}field 'email' must be an address like ada@example.org; got {email!r}")
    channels = owner.get("channels")
    if channels is not None and not isinstance(channels, list):
        raise ConfigError(f"{path}: {where}field 'channels' must be a list of channel settings, each with a 'type'")
    return owner


def _is_address(text: str) -> bool:
    """``ada@example.org`` or, as a mail header has it, ``Ada Byron <ada@example.org>``."""
    return bool(_EMAIL.fullmatch(parseaddr(text)[1]))


def _refuse_unknown(path: Path, where: str, raw: dict[str, Any], known: set[str]) -> None:
    """A ConfigError for the first key of ``raw`` not in ``known``: a misspelt
    ``archive_url`` would otherwise check the default SQLite archive, and a
    misspelt ``key_column`` would silently stop the created/updated diff."""
    for key in raw:
        if key not in known:
            close = difflib.get_close_matches(str(key), sorted(known), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known fields: {', '.join(sorted(known))}"
            raise ConfigError(f"{path}: {where}unknown field {key!r}; {hint}")


def _holidays(path: Path, name: str, value: Any) -> str | list[str] | None:
    if value is None or value == "us_federal":
        return value
    if isinstance(value, list) and all(isinstance(v, (str, date)) for v in value):
        return [str(v) for v in value]
    raise ConfigError(f"{path}: dataset {name!r}: field 'holidays' must be 'us_federal' or a list of dates; "
                      f"got {value!r}")


def _timezone(path: Path, name: str, value: Any) -> str | None:
    try:
        return None if value is None else check_timezone(value)
    except ValueError as exc:
        raise ConfigError(f"{path}: dataset {name!r}: field 'timezone': {exc}") from None


def expand_variables(value: str, field_name: str) -> str:
    """Replace ``${VAR}`` with the environment's value; a missing one is an error."""

    def substitute(match: re.Match[str]) -> str:
        variable = match.group(1)
        if variable not in os.environ:
            raise ConfigError(f"field {field_name!r} names ${{{variable}}}, which is not set in the environment")
        return os.environ[variable]

    return _VARIABLE.sub(substitute, value)


def check_no_literal_password(template: str) -> str:
    """Return ``template`` unless it holds a password written out (not a ${VAR}).

    A password in dataset_health.yml would travel into GX's files and every
    copy of the project; it must come from the environment.
    """
    try:
        parsed = sa.make_url(_VARIABLE.sub("DHVARIABLE", template))
    except (sa.exc.ArgumentError, ValueError):
        return template  # not a URL: reported where it is used, without its text
    if parsed.password is not None and "DHVARIABLE" not in str(parsed.password):
        raise ConfigError(
            "field 'archive_url' holds a password written out; name it with an environment variable "
            "instead, e.g. postgresql+psycopg://user:${ARCHIVE_PASSWORD}@host/db, or set "
            f"{ENV_ARCHIVE_URL}"
        )
    return template


def _absolute_sqlite_url(url: str, root: Path) -> str:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"field 'archive_url': {url!r} is not a SQLAlchemy URL ({exc})") from None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return url
    database = Path(parsed.database)
    if not database.is_absolute():
        database = (root / database).resolve()
    return parsed.set(database=str(database)).render_as_string(hide_password=False)
