"""The alert log: every delivery attempt, kept in the archive database.

Table ``dh_alert_log``, append-only, one row per (notice, check, channel)
and attempt round:

=============  ==========================================================
dataset        the monitored dataset
update_id      the update the notice is about
expectation    the check (:func:`~dataset_health.actions.message.alert_key`);
               ``""`` for a notice about the whole update
channel        the alert action's name, e.g. ``owner_alert_slack``
kind           alert | recovery | healthy
status         sent | partial | failed | suppressed (partial: an email
               some recipients got and others refused)
score          the check's score when it was noticed (noise control)
attempts       transport attempts of this round (0 when none was made)
error          why the delivery failed (secrets scrubbed)
note           why it was suppressed; for a failed or partial email whose
               server refused some recipients, who a retry goes to
               (``retry to: ["b@x"]``, or ``nothing to retry: ...``)
delivery_id    one notice's id, kept across retries (the webhook-id)
run_id         the GX checkpoint run (its run time)
sent_at        when this round ended (UTC)
message        the notice as JSON, so a failed one can be sent again
=============  ==========================================================

It is the state of noise control (the last notice per check and channel,
sent or partial: a recipient that got it is not sent it again) and the
queue of failed deliveries to retry. No secret is ever written:
channel settings stay in the checkpoint as ${VARS}, errors are scrubbed.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from dataset_health.actions.delivery import CONFIG_ERROR, FAILED, PARTIAL, SENT, SUPPRESSED, DeliveryReport, attempts_text
from dataset_health.actions.message import AlertMessage
from dataset_health.actions.noise import LastNotice
from dataset_health.archive.store import ArchiveStore
from dataset_health.errors import ArchiveError

ALERT_LOG_TABLE = "dh_alert_log"
NOT_ALERTED = "not alerted"
RETRY_TO = "retry to: "
NOTHING_TO_RETRY = "nothing to retry: the other recipients refused it permanently"


def retry_note(report: DeliveryReport) -> str | None:
    """The ``note`` of a failed or partial delivery that a retry must narrow to some recipients."""
    if report.status not in (FAILED, PARTIAL) or report.retry_to is None:
        return None
    return RETRY_TO + json.dumps(list(report.retry_to)) if report.retry_to else NOTHING_TO_RETRY


def _retry_recipients(note: str | None) -> tuple[str, ...] | None:
    """Who a retry goes to, from a failed or partial row's note: None for everyone."""
    if note and note.startswith(RETRY_TO):
        return tuple(json.loads(note.removeprefix(RETRY_TO)))
    if note == NOTHING_TO_RETRY:
        return ()
    return None


def alert_log_table(metadata: sa.MetaData) -> sa.Table:
    """The ``dh_alert_log`` table definition."""
    return sa.Table(
        ALERT_LOG_TABLE,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("update_id", sa.Text),
        sa.Column("expectation", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("score", sa.Double),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("delivery_id", sa.Text),
        sa.Column("run_id", sa.Text),
        sa.Column("sent_at", sa.DateTime, nullable=False),
        sa.Column("message", sa.Text),
        sa.Index("ix_dh_alert_log_key", "dataset", "channel", "expectation"),
        sa.Index("ix_dh_alert_log_delivery", "delivery_id"),
    )


@dataclass(frozen=True)
class LogEntry:
    """One row of the alert log."""

    dataset: str
    update_id: str | None
    expectation: str
    channel: str
    kind: str
    status: str
    score: float | None = None
    attempts: int = 0
    error: str | None = None
    note: str | None = None
    delivery_id: str | None = None
    run_id: str | None = None
    message: AlertMessage | None = None


@dataclass(frozen=True)
class UndeliveredNotice:
    """A notice whose delivery failed and has not succeeded since."""

    delivery_id: str
    dataset: str
    channel: str
    message: AlertMessage
    checks: tuple[tuple[str, str, float | None], ...]  # (expectation, kind, score) rows it covered
    attempts: int  # attempts made so far, over every round
    recipients: tuple[str, ...] | None = None  # email: only these are still owed it; None: all


class AlertLog:
    """Read and append the alert log of one archive database.

    Parameters
    ----------
    store : ArchiveStore
        The archive whose database holds the log (its write lock is used).
    """

    def __init__(self, store: ArchiveStore) -> None:
        self.store = store
        self._table = alert_log_table(sa.MetaData())

    def record(self, entries: Sequence[LogEntry], *, at: datetime | None = None) -> None:
        """Append ``entries``, creating the table on first use."""
        if not entries:
            return
        sent_at = _naive_utc(at)
        rows = [
            {
                **{k: v for k, v in asdict(entry).items() if k != "message"},
                "sent_at": sent_at,
                "message": json.dumps(entry.message.to_dict(), default=str) if entry.message else None,
            }
            for entry in entries
        ]
        try:
            with self.store._writing() as conn:
                self._table.create(conn, checkfirst=True)
                conn.execute(self._table.insert(), rows)
        except SQLAlchemyError as exc:
            raise ArchiveError(
                f"could not write the alert log in {self.store.safe_url}: {type(exc).__name__}"
            ) from exc

    def last_notices(self, dataset: str, channel: str) -> dict[str, LastNotice]:
        """The newest sent (or partly sent) alert or recovery per check of ``dataset`` on ``channel``."""
        t = self._table
        newest = (
            sa.select(sa.func.max(t.c.id))
            .where(
                t.c.dataset == dataset,
                t.c.channel == channel,
                t.c.status.in_((SENT, PARTIAL)),
                t.c.kind.in_(("alert", "recovery")),
            )
            .group_by(t.c.expectation)
        )
        query = sa.select(t.c.expectation, t.c.kind, t.c.score, t.c.sent_at, t.c.update_id).where(t.c.id.in_(newest))
        with self._reading() as conn:
            if conn is None:
                return {}
            return {
                row.expectation: LastNotice(row.kind, row.score, row.sent_at, row.update_id)
                for row in conn.execute(query)
            }

    def undelivered(self, dataset: str | None = None) -> list[UndeliveredNotice]:
        """Notices not yet delivered everywhere they can be, oldest first.

        That is, notices with no sent round whose newest round failed, or
        reached only some recipients and left others refused temporarily;
        ``recipients`` then names those.
        """
        t = self._table
        delivered = sa.select(t.c.delivery_id).where(t.c.status == SENT, t.c.delivery_id.is_not(None))
        query = (
            sa.select(t)
            .where(t.c.status.in_((FAILED, PARTIAL)), t.c.delivery_id.is_not(None), t.c.delivery_id.not_in(delivered))
            .order_by(t.c.id)
        )
        if dataset is not None:
            query = query.where(t.c.dataset == dataset)
        with self._reading() as conn:
            rows = [] if conn is None else conn.execute(query).all()
        notices: dict[str, dict[str, Any]] = {}
        for row in rows:
            notice = notices.setdefault(
                row.delivery_id,
                {"row": row, "checks": {}, "rounds": {}},
            )
            notice["checks"][(row.expectation, row.kind)] = row.score
            notice["rounds"][(row.run_id, row.sent_at)] = (row.attempts, row.status, _retry_recipients(row.note))
        undelivered = []
        for delivery_id, found in notices.items():
            _, status, recipients = list(found["rounds"].values())[-1]  # the newest round decides
            if recipients == () or (status == PARTIAL and recipients is None):
                continue  # every recipient got it or refused it for good
            undelivered.append(
                UndeliveredNotice(
                    delivery_id=delivery_id,
                    dataset=found["row"].dataset,
                    channel=found["row"].channel,
                    message=AlertMessage.from_dict(json.loads(found["row"].message)),
                    checks=tuple((key, kind, score) for (key, kind), score in found["checks"].items()),
                    attempts=sum(attempts for attempts, _, _ in found["rounds"].values()),
                    recipients=recipients,
                )
            )
        return undelivered

    def entries(self, dataset: str | None = None) -> pd.DataFrame:
        """The log (without message bodies), oldest first."""
        t = self._table
        columns = [c for c in t.columns if c.name != "message"]
        query = sa.select(*columns).order_by(t.c.id)
        if dataset is not None:
            query = query.where(t.c.dataset == dataset)
        with self._reading() as conn:
            rows = [] if conn is None else conn.execute(query).all()
        return pd.DataFrame(rows, columns=[c.name for c in columns])

    def notes(self, dataset: str, run_id: str | None = None, *, deliveries_only: bool = False) -> list[str]:
        """One line per channel about what a check run's alerting did.

        ``run_id`` defaults to the newest run of ``dataset`` in the log. For
        the ``check`` command, e.g. ``not alerted: no opted-in owner``; with
        ``deliveries_only``, only the notices sent or failed, not those held back.
        """
        log = self.entries(dataset)
        if log.empty:
            return []
        run = log[log["run_id"] == (run_id or log["run_id"].dropna().iloc[-1])]
        lines = []
        for (channel, kind, status), rows in run.groupby(["channel", "kind", "status"], sort=False):
            if deliveries_only and status == SUPPRESSED:
                continue
            checks = ", ".join(sorted({key.split(":", 1)[-1] for key in rows["expectation"] if key}))
            about = f" ({checks})" if checks else ""
            if status == SUPPRESSED and not channel:
                lines.append(rows["note"].iloc[0])
            elif status == SUPPRESSED:
                lines.append(f"{channel}: repeat {kind} suppressed{about}: {rows['note'].iloc[0]}")
            elif status == SENT:
                lines.append(f"{channel}: {kind} sent{about}, {attempts_text(int(rows['attempts'].iloc[0]))}")
            else:
                error, note = str(rows["error"].iloc[0]), rows["note"].iloc[0]
                note = note if isinstance(note, str) else None  # pandas reads NULL as NaN
                # Retrying cannot help settings that never work, nor a refusal for good.
                hopeless = error.startswith(CONFIG_ERROR) or _retry_recipients(note) == ()
                outcome = "partly failed" if status == PARTIAL else "failed"
                resend = f"; resend it with: dataset-health alerts retry {shlex.quote(dataset)}"
                lines.append(f"{channel}: {kind} {outcome}{about}: {error}" + ("" if hopeless else resend))
        return lines

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection | None]:
        with self.store._reading() as conn:
            yield conn if sa.inspect(conn).has_table(ALERT_LOG_TABLE) else None


def _naive_utc(at: datetime | None) -> datetime:
    at = at or datetime.now(timezone.utc)
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at
