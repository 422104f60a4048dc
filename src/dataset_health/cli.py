"""The ``dataset-health`` command.

Commands only parse options, load the project and call one function of the
library. Every option can also come from the environment, as
``DATASET_HEALTH_<COMMAND>_<OPTION>`` (click's auto_envvar_prefix), and the
project directory from ``DATASET_HEALTH_PROJECT``. Errors print as one line
on stderr with exit code 2; ``check`` exits 1 when the update is unhealthy.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from dataset_health.errors import DatasetHealthError
from dataset_health.text import counted

EXIT_UNHEALTHY = 1
EXIT_ERROR = 2
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f\x9b]")


def safe(text: Any, *, multiline: bool = False) -> str:
    """Text from a dataset, with terminal control characters made visible.

    Newlines and tabs too, unless ``multiline`` (a table we laid out): an
    update id or column name must not start a line of its own that looks
    like ours.
    """
    pattern = _CONTROL if multiline else _CONTROL_OR_BREAK
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


class _Group(click.Group):
    """Turns our errors into one line and exit code 2, anywhere below."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DatasetHealthError as exc:
            click.echo(f"error: {safe(exc)}", err=True)
            ctx.exit(EXIT_ERROR)


def _project(ctx: click.Context):
    from dataset_health.project import Project

    return Project.load(ctx.obj["project_dir"])


def _store(ctx: click.Context, project: Any = None):
    from dataset_health.archive import ArchiveStore

    return ArchiveStore((project or _project(ctx)).archive_url)


HOLIDAYS_HELP = ("A holiday calendar for the detectors that take one: us_federal, or comma-separated dates "
                 "(2024-12-24,2024-12-31), as a dataset's holidays: setting.")


def _holidays_option(value: str | None) -> str | list[str] | None:
    """``--holidays``: "us_federal" or a list of ISO dates."""
    if value is None:
        return None
    if value.strip().lower() == "us_federal":
        return "us_federal"
    dates = [d.strip() for d in value.split(",") if d.strip()]
    bad = next((d for d in dates if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) or not _is_date(d)), None)
    if not dates or bad is not None:
        raise click.BadParameter(f"give us_federal or comma-separated dates (YYYY-MM-DD); got {bad or value!r}",
                                 param_hint="--holidays")
    return dates


TIMEZONE_HELP = ("The dataset's IANA time zone (America/New_York): weekdays, hours and holidays are read on its "
                 "clock, as a dataset's timezone: setting. Default: UTC, as archive times are.")


def _timezone_option(value: str | None) -> str | None:
    """``--timezone``: an IANA time zone name."""
    from dataset_health.detectors.local_time import check_timezone

    try:
        return None if value is None else check_timezone(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--timezone") from None


def _is_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "DATASET_HEALTH"})
@click.option(
    "--project",
    "project_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DATASET_HEALTH_PROJECT",
    default=".",
    show_default=True,
    help="Project directory (holds dataset_health.yml).",
)
@click.version_option(package_name="dataset-health")
@click.pass_context
def main(ctx: click.Context, project_dir: Path) -> None:
    """Catch silent failures in automatically updated datasets.

    Archive what every update did, judge the newest update against the
    dataset's own history with a Great Expectations checkpoint, and show
    the verdicts in Data Docs.
    """
    ctx.ensure_object(dict)
    ctx.obj["project_dir"] = project_dir


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--archive-url", help="SQLAlchemy URL of the archive; ${VARS} are read from the environment.  "
                                    "[default: sqlite:///archive.db, in the project]")
def init(directory: Path, archive_url: str | None) -> None:
    """Create a project in DIRECTORY: dataset_health.yml and a GX file context."""
    from dataset_health.init_project import init_project

    project = init_project(directory, archive_url=archive_url)
    click.echo(f"project ready in {project.root}")
    click.echo(f"  config:  {project.config_path}")
    click.echo(f"  archive: {project.archive_url_template}")
    click.echo(f"  GX:      {project.gx_dir}")


@main.command()
@click.argument("dataset")
@click.option("--file", "file_path", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV or Parquet file holding the dataset after the update.")
@click.option("--sql-url", help="SQLAlchemy URL of the database holding the dataset.")
@click.option("--table", help="Table name, with --sql-url.")
@click.option("--schema", "schema_name", help="Schema of the table, with --sql-url.")
@click.option("--update-id", help="Id of the update (default: its timestamp).")
@click.option("--timestamp", help="When the update published, ISO 8601 (default: now, UTC).")
@click.option("--key-column", help="Unique key: counts duplicates and diffs created/updated/deleted.")
@click.option("--freshness-column", help="Date/time column whose newest value gives the freshness lag.")
@click.option("--rows-created", help="Rows created, as the source reports it.")
@click.option("--rows-updated", help="Rows updated, as the source reports it.")
@click.option("--rows-deleted", help="Rows deleted, as the source reports it.")
@click.pass_context
def capture(ctx: click.Context, dataset: str, file_path: Path | None, sql_url: str | None, table: str | None,
            schema_name: str | None, update_id: str | None, timestamp: str | None, key_column: str | None,
            freshness_column: str | None, rows_created: str | None, rows_updated: str | None,
            rows_deleted: str | None) -> None:
    """Profile DATASET as it is now and archive it as one update."""
    from dataset_health.capture import capture_update, file_batch, sql_batch
    from dataset_health.errors import ConfigError

    if bool(file_path) == bool(sql_url):
        raise ConfigError("capture needs exactly one source: --file PATH, or --sql-url URL with --table NAME")
    if sql_url and not table:
        raise ConfigError("--sql-url needs --table")
    settings = _project(ctx).dataset(dataset)
    batch = file_batch(file_path, dataset=dataset) if file_path else sql_batch(sql_url, table, dataset=dataset, schema=schema_name)
    result = capture_update(
        _store(ctx),
        dataset,
        batch,
        update_id=update_id,
        timestamp=timestamp,
        counts={"rows_created": rows_created, "rows_updated": rows_updated, "rows_deleted": rows_deleted},
        key_column=key_column or settings.key_column,
        freshness_column=freshness_column or settings.freshness_column,
    )
    verb = "archived" if result.inserted else "replaced"
    click.echo(f"{verb} one update of {safe(dataset)}" + (f"; new columns: {', '.join(result.added_columns)}" if result.added_columns else ""))


@main.group()
def archive() -> None:
    """List, show, export and import update archives."""


@archive.command("list")
@click.pass_context
def archive_list(ctx: click.Context) -> None:
    """The datasets that have an archive."""
    store = _store(ctx)
    for name in store.datasets():
        click.echo(safe(name))


@archive.command("show")
@click.argument("dataset")
@click.option("--last", type=click.IntRange(min=1), default=10, show_default=True, help="How many of the newest updates.")
@click.option("--columns", help="Comma-separated archive columns to show (default: all).")
@click.pass_context
def archive_show(ctx: click.Context, dataset: str, last: int, columns: str | None) -> None:
    """Print the newest updates of DATASET's archive."""
    import pandas as pd

    from dataset_health.archive import TIMESTAMP, UPDATE_ID

    wanted = None
    store = _store(ctx)
    if columns:
        wanted = [UPDATE_ID, TIMESTAMP] + [c.strip() for c in columns.split(",") if c.strip() not in (UPDATE_ID, TIMESTAMP)]
        known = set(store.history(dataset, last=1).columns)
        unknown = [c for c in wanted if c not in known]
        if unknown:
            from dataset_health.errors import ConfigError

            raise ConfigError(f"dataset {dataset!r} has no archive column {unknown[0]!r}")
    frame = store.history(dataset, columns=wanted, last=last)
    with pd.option_context("display.width", 200, "display.max_columns", 12):
        click.echo(safe(_readable(frame).to_string(index=False), multiline=True))


def _readable(frame: Any) -> Any:
    """``frame`` as a person reads it: counts as 1,073, times to the second, empty cells blank
    (``archive export`` keeps every digit)."""
    import pandas as pd

    from dataset_health.actions.message import format_value

    def cell(value: Any) -> str:
        if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
            return ""
        if isinstance(value, pd.Timestamp):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return format_value(value.item() if hasattr(value, "item") else value)

    return frame.astype(object).map(cell)


@archive.command("export")
@click.argument("dataset")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--labels", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the owner's labels here, as 'compete --labels' reads them "
                   "(is_anomaly 1 for an update labelled incident).")
@click.pass_context
def archive_export(ctx: click.Context, dataset: str, output: Path, labels: Path | None) -> None:
    """Write DATASET's archive to OUTPUT as CSV (timestamp + metric columns)."""
    from dataset_health.archive import export_csv, export_labels

    store = _store(ctx)
    rows = export_csv(store, dataset, output)
    click.echo(f"wrote {rows} updates of {safe(dataset)} to {output}")
    if labels is not None:
        incidents = export_labels(store, dataset, labels)
        click.echo(f"wrote their labels ({counted(incidents, 'incident')}) to {labels}")


@archive.command("import")
@click.argument("dataset")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--timestamp-column", default="timestamp", show_default=True)
@click.option("--update-id-column", default="update_id", show_default=True,
              help="Column of update ids; without it, each row's timestamp is its id.")
@click.pass_context
def archive_import(ctx: click.Context, dataset: str, source: Path, timestamp_column: str, update_id_column: str) -> None:
    """Append every row of SOURCE (CSV) to DATASET's archive, all or nothing."""
    from dataset_health.archive import import_csv

    result = import_csv(_store(ctx), dataset, source, timestamp_column=timestamp_column, update_id_column=update_id_column)
    click.echo(f"{safe(dataset)}: {result.inserted} updates added, {result.replaced} replaced")


@main.command()
@click.argument("dataset", required=False)
@click.option("--all", "check_all", is_flag=True,
              help="Check every monitored dataset (configured or archived); one error never stops the others.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="With --all: progress bar on stderr.")
@click.pass_context
def check(ctx: click.Context, dataset: str | None, check_all: bool, progress: bool) -> None:
    """Run DATASET's health checkpoint on its newest update (or, with --all,
    every monitored dataset's, then print a summary table).

    Exit code 0: healthy (or unhealthy but labelled expected by the owner);
    1: unhealthy; 2: error (with --all: the worst over the datasets).
    """
    from dataset_health.errors import ConfigError
    from dataset_health.health_check import run_health_check

    if bool(dataset) == check_all:
        raise ConfigError("check needs either a DATASET or --all")
    if check_all:
        from dataset_health.check_all import run_all_health_checks

        summary = run_all_health_checks(_project(ctx), progress=progress)
        click.echo(safe(summary.table(), multiline=True))
        if summary.docs_index:
            click.echo(f"\nData Docs: {summary.docs_index}")
        ctx.exit(summary.exit_code)
    result = run_health_check(_project(ctx), dataset)
    _print_result(result)
    _exit_for(ctx, result)


@main.command("backfill")
@click.argument("dataset")
@click.option("--from", "source", type=click.Choice(["socrata", "logs", "csv"]), required=True,
              help="Where the past updates come from.")
@click.option("--domain", help="Socrata domain (data.example.org) or base URL (http://host:port).")
@click.option("--fourfour", help="Socrata dataset id (abcd-1234); with --from logs, keeps only its lines.")
@click.option("--log-file", help="Log with 'rows update summary' lines; - reads standard input.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Archive CSV: a timestamp column and metric columns.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=200, show_default=True,
              help="Updates per atomic append (the most an interruption loses).")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Progress bar on stderr.")
@click.pass_context
def backfill_command(ctx: click.Context, dataset: str, source: str, domain: str | None, fourfour: str | None,
                     log_file: str | None, csv_path: Path | None, chunk_size: int, progress: bool) -> None:
    """Build DATASET's archive from its past updates.

    Only updates the archive lacks are added, in atomic chunks: a second run
    adds nothing, and a run after an interruption continues where it stopped.
    Socrata credentials come from DATASET_HEALTH_SOCRATA_APP_TOKEN and
    DATASET_HEALTH_SOCRATA_KEY_ID/_KEY_SECRET (or _USERNAME/_PASSWORD).
    """
    from dataset_health.backfill import backfill, open_source

    updates = open_source(source, domain=domain, fourfour=fourfour, log_file=log_file, csv=csv_path)
    result = backfill(_store(ctx), dataset, updates, chunk_size=chunk_size, progress=progress)
    for note in result.notes:
        click.echo(safe(note))
    click.echo(safe(result.summary()))


@main.command("watch")
@click.argument("dataset")
@click.option("--domain", required=True, help="Socrata domain (data.example.org) or base URL (http://host:port).")
@click.option("--fourfour", required=True, help="Socrata dataset id (abcd-1234).")
@click.option("--interval", type=click.FloatRange(min=1), default=300, show_default=True, help="Seconds between polls.")
@click.option("--once", is_flag=True, help="Poll once and exit (for cron).")
@click.option("--capture-rows", is_flag=True, help="Also download the rows and profile them with GX.")
@click.pass_context
def watch_command(ctx: click.Context, dataset: str, domain: str, fourfour: str, interval: float, once: bool,
                  capture_rows: bool) -> None:
    """Archive each finished update of a Socrata dataset, then check it.

    Polls dataUpdatedAt and the revisions; archives new finished revisions
    and runs DATASET's health check. With --once, exit code 0: nothing new or
    healthy; 1: unhealthy; 2: error.
    """
    from datetime import datetime, timezone

    from dataset_health.sources import SocrataClient
    from dataset_health.watch import SocrataWatcher, watch

    def report(poll: Any) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        done = f"archived {', '.join(poll.archived)}" if poll.archived else poll.note
        click.echo(f"{stamp} {safe(dataset)}: {safe(done)}")
        if poll.check is not None:
            _print_result(poll.check)

    def warn(exc: Exception) -> None:
        click.echo(f"error: {safe(exc)} (retrying in {interval:g} s)", err=True)

    watcher = SocrataWatcher(_project(ctx), dataset, SocrataClient(domain), fourfour, capture_rows=capture_rows)
    result = watch(watcher, interval=interval, once=once, on_poll=report, on_error=warn)
    if result is not None and result.check is not None:
        _exit_for(ctx, result.check)


@main.command()
@click.argument("dataset")
@click.argument("update_id", required=False)
@click.option("--newest", is_flag=True, help="Label DATASET's newest update (instead of naming UPDATE_ID).")
@click.option("--as", "label", type=click.Choice(["incident", "expected"]), required=True,
              help="incident: a real fault, left out of training from now on; expected: a true change, not alerted again.")
@click.option("--note", help="Why, in a few words (shown on the history page).")
@click.pass_context
def label(ctx: click.Context, dataset: str, update_id: str | None, newest: bool, label: str, note: str | None) -> None:
    """Label UPDATE_ID (or, with --newest, the newest update) of DATASET as an
    incident or as expected behaviour."""
    from dataset_health.archive import UPDATE_ID
    from dataset_health.archive.verdicts import set_label
    from dataset_health.errors import ConfigError

    if (update_id is None) != newest:
        raise ConfigError("label needs either an UPDATE_ID or --newest")
    store = _store(ctx)
    which = ""
    if newest:
        ids = store.history(dataset, columns=[UPDATE_ID], last=1)[UPDATE_ID]
        if ids.empty:
            raise ConfigError(f"dataset {dataset!r} has no archived update to label")
        update_id = str(ids.iloc[-1])
        which = " (the newest)"
    set_label(store, dataset, update_id, label, note)
    click.echo(f"labelled update {safe(update_id)}{which} of {safe(dataset)} as {label}")


@main.command()
@click.argument("dataset")
@click.option("--last", type=click.IntRange(min=1), default=90, show_default=True,
              help="How many of the newest updates to judge.")
@click.pass_context
def replay(ctx: click.Context, dataset: str, last: int) -> None:
    """Judge past updates of DATASET as the health suite would have, walk-forward,
    and store the verdicts (fills the history page after an import)."""
    from dataset_health.replay import replay_verdicts

    count = replay_verdicts(_project(ctx), dataset, last=last, progress=True)
    click.echo(f"replayed {count} updates of {safe(dataset)}; run `dataset-health check {safe(dataset)}` to refresh Data Docs")


@main.command("backtest")
@click.argument("archive_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the verdicts CSV (one row per archive row, same order).")
@click.option("--metrics", help=("Comma-separated columns to watch (default: every numeric column; "
                                 "a date column is watched as its freshness lag)."))
@click.option("--detector", default="auto", show_default=True,
              help="A detector name, or 'auto' for the recommended configuration.")
@click.option("--timestamp-column", default="timestamp", show_default=True)
@click.option("--holidays", metavar="CALENDAR", callback=lambda ctx, param, value: _holidays_option(value),
              help=HOLIDAYS_HELP)
@click.option("--timezone", metavar="ZONE", callback=lambda ctx, param, value: _timezone_option(value),
              help=TIMEZONE_HELP)
def backtest_command(archive_csv: Path, output: Path, metrics: str | None, detector: str, timestamp_column: str,
                     holidays: Any, timezone: str | None) -> None:
    """Judge every update of ARCHIVE_CSV from the updates before it (walk-forward).

    Writes timestamp, update_id (when the archive has one), is_anomaly
    (0/1), status, score and failed_metrics for every row.
    """
    from dataset_health.backtest import backtest_csv

    wanted = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    verdicts = backtest_csv(archive_csv, output, metrics=wanted, detector=detector,
                            timestamp_column=timestamp_column, holidays=holidays, timezone=timezone,
                            progress=True)
    counts = verdicts["status"].value_counts()
    click.echo(f"wrote {len(verdicts)} verdicts to {output}: {counts.get('fail', 0)} flagged, "
               f"{counts.get('pass', 0)} passed, {counts.get('insufficient_history', 0)} with too little history")


@main.command("compete")
@click.argument("archive_csv", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--dataset", metavar="DATASET",
              help="Compete on this monitored dataset's archive instead of a CSV, scored against the updates "
                   "labelled incident with 'dataset-health label'.")
@click.option("--labels", type=click.Path(dir_okay=False, path_type=Path),
              help="Labels CSV: is_anomaly (0/1) for every archive row, same order.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a self-contained HTML report here.")
@click.option("--write-suite", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the winner as a health-suite template (JSON); needs labels.")
@click.option("--detectors", metavar="NAMES",
              help="Comma-separated contestants, e.g. auto,robust_z,elementary_z (default: every detector).")
@click.option("--timestamp-column", help="ARCHIVE_CSV's column of update times.  [default: timestamp]")
@click.option("--holidays", metavar="CALENDAR", callback=lambda ctx, param, value: _holidays_option(value),
              help=HOLIDAYS_HELP + " With --dataset, its own holidays: setting is used.")
@click.option("--timezone", metavar="ZONE", callback=lambda ctx, param, value: _timezone_option(value),
              help=TIMEZONE_HELP + " With --dataset, its own timezone: setting is used.")
@click.option("--jobs", type=click.IntRange(min=1), metavar="N",
              help="Contestants run at once, one process each.  [default: one per core]")
@click.pass_context
def compete_command(ctx: click.Context, archive_csv: Path | None, dataset: str | None, labels: Path | None,
                    report: Path | None, write_suite: Path | None, detectors: str | None,
                    timestamp_column: str | None, holidays: Any, timezone: str | None, jobs: int | None) -> None:
    """Backtest every detector on ARCHIVE_CSV (or --dataset) and compare them.

    With labels: event F1, precision, recall and false alarms per 100
    healthy updates, best first. Without: alarm rates only.
    """
    from dataset_health.competition import compete_csv, compete_dataset

    if (archive_csv is None) == (dataset is None):
        raise click.UsageError("give ARCHIVE_CSV or --dataset, not both and not neither")
    # Each name once: a competition cannot tell two runs of one detector apart.
    contestants = None if detectors is None else list(dict.fromkeys(n.strip() for n in detectors.split(",") if n.strip()))
    if contestants == []:
        raise click.UsageError("--detectors names no detector")
    if dataset is not None:
        if labels is not None:
            raise click.UsageError("--labels is for ARCHIVE_CSV: a dataset's labels are its own ('dataset-health label')")
        if timestamp_column is not None:
            raise click.UsageError("--timestamp-column is for ARCHIVE_CSV: a dataset's archive has its own")
        if holidays is not None:
            raise click.UsageError("--holidays is for ARCHIVE_CSV: a dataset has its own holidays: setting")
        if timezone is not None:
            raise click.UsageError("--timezone is for ARCHIVE_CSV: a dataset has its own timezone: setting")
        project = _project(ctx)
        result = compete_dataset(_store(ctx, project), dataset, report=report, write_suite=write_suite,
                                 detectors=contestants, settings=project.dataset(dataset).suite_defaults(),
                                 progress=True, n_jobs=jobs or -1)
    else:
        result = compete_csv(archive_csv, labels=labels, report=report, write_suite=write_suite,
                             timestamp_column=timestamp_column or "timestamp", detectors=contestants,
                             holidays=holidays, timezone=timezone, progress=True, n_jobs=jobs or -1)
    click.echo(safe(result.table().to_string(index=False, float_format=lambda v: f"{v:.3f}"), multiline=True))
    filled = [c for c in result.contestants if "holidays" in c.config.from_settings]
    if filled:
        calendar = filled[0].config.params["holidays"]
        shown = calendar if isinstance(calendar, str) else ", ".join(map(str, calendar))
        click.echo(f"\nholiday calendar {safe(shown)}: given to {len(filled)} of {len(result.contestants)} "
                   "contestants (the others take none, or set their own)")
    if result.labelled:
        click.echo(f"\nwinner: {safe(result.winner().name)}")
    elif dataset is not None:
        click.echo(f"\nno update of {safe(dataset)} is labelled incident: alarm rates only "
                   f"(label past incidents with 'dataset-health label {safe(dataset)} UPDATE_ID --as incident')")
    if report:
        click.echo(f"report: {report}")
    if write_suite:
        click.echo(f"health-suite template ({safe(result.winner(for_suite=True).name)}): {write_suite}")
        if dataset is not None:
            click.echo(f"to check {safe(dataset)} with it, set 'suite: {_from_project(ctx, write_suite)}' "
                       f"for it in dataset_health.yml")
        if holidays is not None:
            # The calendar is the dataset's: a suite written with it would ignore a later change of holidays:.
            shown = holidays if isinstance(holidays, str) else "[" + ", ".join(holidays) + "]"
            click.echo(f"the suite takes its holiday calendar from the dataset: set 'holidays: {safe(shown)}' "
                       "for it in dataset_health.yml")
        if timezone is not None:
            click.echo(f"the suite reads the dataset's clock from its settings: set 'timezone: {safe(timezone)}' "
                       "for it in dataset_health.yml")


def _from_project(ctx: click.Context, path: Path) -> str:
    """``path`` as a ``suite:`` setting: relative to the project directory when inside it."""
    root = _project(ctx).root.resolve()
    absolute = path.resolve()
    return str(absolute.relative_to(root)) if absolute.is_relative_to(root) else str(absolute)


@main.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to create the demo project (default: a new temporary directory).")
@click.option("--webhook", "webhook_url", metavar="URL",
              help="Deliver the owner's alert to this URL (signed with Standard Webhooks headers).")
def demo(directory: Path | None, webhook_url: str | None) -> None:
    """Run a complete health check on bundled sample history.

    Archives two years of daily updates of a court-filings-like dataset to
    SQLite, runs a real GX checkpoint on the newest update (a partial load,
    so the check fails), writes Data Docs with a health-history page, and
    alerts the demo owner. Exits 0 when the demo ran.
    """
    from dataset_health.demo.run import WEBHOOK_SECRET_VAR, alert_preview, run_demo

    click.echo("dataset-health demo: archiving two years of court_filings updates and checking the newest...")
    project, result = run_demo(directory, webhook_url=webhook_url)
    click.echo(f"project: {project.root}")
    click.echo(f"archive: {project.archive_url}")
    _print_result(result)
    if not result.failed:
        # Only reachable when the bundled history or the default suite changed.
        click.echo("\nThe newest update is a partial load, but the health check passed it: no alert.")
        return
    if webhook_url:
        click.echo(f"The alert is signed with the secret in ${WEBHOOK_SECRET_VAR} (a random one when it is unset).")
    else:
        click.echo("\nThe alert the owner would get (pass --webhook URL to deliver it):\n")
        click.echo("  " + safe(alert_preview(result), multiline=True).replace("\n", "\n  "))
    click.echo("\nThe newest update is a partial load: the health check caught it.")


@main.group()
def docs() -> None:
    """The project's Data Docs site."""


@docs.command("build")
@click.pass_context
def docs_build(ctx: click.Context) -> None:
    """Rebuild the whole site: GX's page of every suite and stored validation,
    the health page of every archived dataset, both indexes; every page loads
    its files from the site, so it reads offline."""
    from dataset_health.docs.build import build_site

    index = build_site(_project(ctx))
    if index is None:
        click.echo("the project has no local Data Docs site (its Data Docs sites are hosted elsewhere)")
    else:
        click.echo(f"Data Docs: {index}")


@main.group()
def alerts() -> None:
    """Owner alert deliveries."""


@alerts.command("retry")
@click.argument("dataset", required=False)
@click.pass_context
def alerts_retry(ctx: click.Context, dataset: str | None) -> None:
    """Send again every alert whose delivery failed (of DATASET, or of all)."""
    from dataset_health.actions import retry_failed_deliveries

    project = _project(ctx)
    if dataset is not None and dataset not in project.datasets:
        _store(ctx, project).table_name(dataset)  # a misspelt name is an error listing the known ones
    reports = retry_failed_deliveries(project, dataset)
    for report in reports:
        click.echo(f"{safe(report.dataset)}: {safe(report.channel)} {report.status}"
                   + (f": {safe(report.error)}" if report.error else ""))
    if not reports:
        click.echo("no failed deliveries to retry")
    if any(r.status in ("failed", "partial") for r in reports):  # partial: some recipients still lack it
        ctx.exit(EXIT_UNHEALTHY)


def _exit_for(ctx: click.Context, result: Any) -> None:
    """Exit 1 for an unhealthy check, 2 for one not judged; return when healthy (or labelled expected)."""
    if result.exit_code:
        ctx.exit(result.exit_code)


def _print_result(result: Any) -> None:
    verdict = {"healthy": click.style("HEALTHY", fg="green"),
               "unhealthy": click.style("UNHEALTHY", fg="red", bold=True),
               "error": click.style(f"NOT JUDGED ({len(result.errors)} of {len(result.outcomes)} expectations raised)",
                                    fg="yellow", bold=True)}[result.status]
    label = {"expected": " - labelled expected by the owner: known, so the check exits 0",
             "incident": " - labelled incident by the owner"}.get(result.label or "", "")
    click.echo(f"\n{safe(result.dataset)}, update {safe(result.update_id or '?')}: {verdict}{label}")
    width = max((len(o.column or o.expectation) for o in result.outcomes), default=10)
    for outcome in result.outcomes:
        mark = {"pass": "ok  ", "fail": "FAIL", "insufficient_history": "n/a ", "error": "ERR "}.get(outcome.status, "?   ")
        if outcome.status == "fail":
            mark = click.style(mark, fg="red", bold=True)
        click.echo(f"  {mark}  {safe(outcome.column or outcome.expectation):<{width}}  {safe(outcome.reason)}")
    if result.docs_index:
        click.echo(f"\nData Docs: {result.docs_index}")
    for note in result.alert_notes:
        click.echo(f"Alerts: {safe(note)}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
