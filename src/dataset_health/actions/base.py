"""What every owner alert action shares: run(), the alert log, delivery.

Each channel (:mod:`.webhook`, :mod:`.slack`, :mod:`.teams`, :mod:`.mail`)
is a GX ``ValidationAction`` with a literal ``type``; it only lays the
message out and hands it to its transport in ``_send``. Everything else
happens once, here, in :meth:`OwnerAlertAction.run`:

1. decide whether to notify (``notify_on`` and noise control, from the
   alert log in the archive database);
2. build the message (dataset, owner, update, failed checks, Data Docs);
3. send it through ``_deliver``, which records every outcome in the log.

``run()`` never raises: an exception in a checkpoint action aborts the
checkpoint run and skips the actions after it. Failures are caught,
scrubbed of secrets, logged, recorded and returned instead.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, Optional, Union
from urllib.parse import quote, urlsplit
from urllib.request import url2pathname

from great_expectations.checkpoint.actions import ActionContext, ValidationAction
from great_expectations.compatibility.pydantic import Field
from great_expectations.compatibility.typing_extensions import override
from great_expectations.datasource.fluent.config_str import ConfigStr

from dataset_health.actions._secrets import Secrets
from dataset_health.actions.alert_log import NOT_ALERTED, AlertLog, LogEntry, UndeliveredNotice, retry_note
from dataset_health.actions.delivery import (
    CONFIG_ERROR,
    FAILED,
    PARTIAL,
    SENT,
    SUPPRESSED,
    DeliveryConfigError,
    DeliveryError,
    DeliveryReport,
    PartialDelivery,
    RetryPolicy,
)
from dataset_health.actions.message import AlertItem, AlertMessage, alert_key, outcome_score
from dataset_health.actions.noise import NoticePlan, plan_notice
from dataset_health.archive.store import ArchiveStore
from dataset_health.archive.verdicts import update_label
from dataset_health.outcomes import ExpectationOutcome, outcomes_from_checkpoint_result, tested_update_id

if TYPE_CHECKING:
    from great_expectations.checkpoint.checkpoint import CheckpointResult

logger = logging.getLogger(__name__)

NotifyOn = Literal["all", "success", "failure"]


class _AlertLogAction(ValidationAction):
    """An action that writes to the alert log in the dataset's archive database."""

    type: str
    dataset: str = Field(description="The monitored dataset this action alerts about.")
    archive_url: Union[ConfigStr, str] = Field(
        description="SQLAlchemy URL of the archive database; may name ${VARS}, resolved at run time."
    )

    def _secrets(self) -> Secrets:
        """Resolves ${VARS} through the checkpoint's data context, scrubs them from text."""
        return Secrets(self._resolve_context().context.config_provider)

    @contextmanager
    def _alert_log(self, secrets: Secrets) -> Iterator[AlertLog]:
        url = secrets.resolve(self.archive_url, "archive_url", secret=False) or ""
        password = urlsplit(url).password
        if password:  # the rest of an archive URL is no secret, and names files users look for
            secrets.add(password)
        store = ArchiveStore(url)
        try:
            yield AlertLog(store)
        finally:
            store.engine.dispose()


class OwnerAlertAction(_AlertLogAction):
    """Base of the owner alert channels; not registered itself (no type default).

    Parameters
    ----------
    dataset : str
        The monitored dataset.
    owner : str
        The owner's name, as the message shows it.
    notify_on : {"failure", "all", "success"}
        Which check runs notify; recoveries of alerted checks always do.
    renotify_after_hours : float
        A check that keeps failing is alerted again after this long, or
        sooner if its score gets higher.
    docs_base_url : str, optional
        Where the Data Docs site is published; links point there instead of
        to the local file.
    max_retries, backoff_seconds, backoff_max_seconds, retry_after_max_seconds, timeout_seconds
        The transport's :class:`~dataset_health.actions.delivery.RetryPolicy`.
    """

    #: Fields holding secrets: they must be ${VARS} (see owners.py).
    secret_fields: ClassVar[tuple[str, ...]] = ()
    #: Fields holding an http(s) URL, checked when the channel is loaded and sent.
    url_fields: ClassVar[tuple[str, ...]] = ()

    owner: str = Field(description="The owner's name.")
    notify_on: NotifyOn = "failure"
    renotify_after_hours: float = Field(default=24.0, ge=0)
    docs_base_url: Optional[str] = None
    max_retries: int = Field(default=3, ge=0, le=10)
    backoff_seconds: float = Field(default=1.0, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)
    retry_after_max_seconds: float = Field(default=60.0, ge=0)
    timeout_seconds: float = Field(default=15.0, gt=0)

    @override
    def run(self, checkpoint_result: CheckpointResult, action_context: ActionContext | None = None) -> dict:
        secrets: Secrets | None = None
        try:
            secrets = self._secrets()
            outcomes = outcomes_from_checkpoint_result(checkpoint_result)
            run_id = _run_id(checkpoint_result)
            with self._alert_log(secrets) as log:
                plan = plan_notice(
                    outcomes,
                    log.last_notices(self.dataset, self.name),
                    check_succeeded=bool(checkpoint_result.success),
                    notify_on=self.notify_on,
                    renotify_after=timedelta(hours=self.renotify_after_hours),
                    now=_utcnow(),
                    acknowledged=update_label(log.store, self.dataset, tested_update_id(outcomes)),
                )
                held_back = [self._suppressed_entry(o, why, run_id) for o, why in plan.suppressed]
                if plan.kind is None:
                    log.record(held_back)
                    status = SUPPRESSED if held_back else "none"
                    return self._result(DeliveryReport(self.dataset, self.name, status, attempts=0))
                message = self._build_message(plan, outcomes, checkpoint_result, action_context)
                report = self._deliver(message, _new_delivery_id(), secrets)
                log.record(self._entries(message, plan, report, run_id) + held_back)
            return self._result(report)
        except Exception as exc:  # noqa: BLE001 - raising would abort the checkpoint and skip later actions
            error = _scrubbed_error(exc, secrets)
            logger.error("dataset %r: owner alert %r could not run: %s", self.dataset, self.name, error)
            return self._result(DeliveryReport(self.dataset, self.name, FAILED, error=error))

    def redeliver(self, notice: UndeliveredNotice, log: AlertLog) -> DeliveryReport:
        """Send a notice whose delivery failed again, and record the round."""
        report = self._deliver(notice.message, notice.delivery_id, self._secrets(), notice.recipients)
        log.record(
            [
                LogEntry(
                    dataset=notice.dataset,
                    update_id=notice.message.update_id,
                    expectation=key,
                    channel=self.name,
                    kind=kind,
                    status=report.status,
                    score=score,
                    attempts=report.attempts,
                    error=report.error,
                    note=retry_note(report),
                    delivery_id=notice.delivery_id,
                    run_id=f"retry {_utcnow().isoformat()}",
                    message=notice.message,
                )
                for key, kind, score in notice.checks
            ]
        )
        return report

    # ---------------------------------------------------------------- steps
    def _build_message(
        self,
        plan: NoticePlan,
        outcomes: list[ExpectationOutcome],
        checkpoint_result: CheckpointResult,
        action_context: ActionContext | None,
    ) -> AlertMessage:
        assert plan.kind is not None
        return AlertMessage(
            kind=plan.kind,
            dataset=self.dataset,
            owner=self.owner,
            update_id=tested_update_id(outcomes),
            update_time=next((str(o.update_timestamp) for o in outcomes if o.update_timestamp), None),
            checked_at=checkpoint_result.run_id.run_time.isoformat(),
            failures=tuple(AlertItem.from_outcome(o) for o in plan.alerts),
            recoveries=tuple(AlertItem.from_outcome(o) for o in plan.recoveries),
            still_failing=tuple(o.label for o, _ in plan.suppressed),
            docs_link=self._docs_link(checkpoint_result, action_context),
        )

    def _deliver(
        self, message: AlertMessage, delivery_id: str, secrets: Secrets, recipients: tuple[str, ...] | None = None
    ) -> DeliveryReport:
        """Send ``message`` through the channel; report, never raise.

        ``recipients`` narrows a channel that has recipients (email) to
        those, when a retry must not reach the ones that already got it.
        """
        retry_to = recipients
        try:
            attempts = self._send(message, delivery_id, secrets, recipients)
            status, error = SENT, None
        except DeliveryConfigError as exc:  # settings that cannot work: no attempt, no retry
            status, attempts = FAILED, 0
            error = secrets.scrub(
                f"{CONFIG_ERROR}: channel {self.name} of owner {self.owner!r} (dataset {self.dataset!r}): {exc}"
            )
        except DeliveryError as exc:
            status = PARTIAL if isinstance(exc, PartialDelivery) else FAILED
            attempts, error = exc.attempts, secrets.scrub(str(exc))
            if exc.retry_to is not None:
                retry_to = exc.retry_to
        except Exception as exc:  # noqa: BLE001 - a bug in a channel must not abort the checkpoint either
            status, attempts, error = FAILED, 0, _scrubbed_error(exc, secrets)
        if status == SENT:
            retry_to = None
        else:
            logger.warning("dataset %r: %s via %r %s: %s", self.dataset, message.kind, self.name,
                           "partly failed" if status == PARTIAL else "failed", error)
        return DeliveryReport(self.dataset, self.name, status, message.kind, attempts, error, delivery_id, retry_to)

    def _send(
        self, message: AlertMessage, delivery_id: str, secrets: Secrets, recipients: tuple[str, ...] | None = None
    ) -> int:
        """Lay out and transmit ``message``; return attempts or raise DeliveryError.

        ``recipients``, when given, replaces the channel's own (email only).
        """
        raise NotImplementedError

    # -------------------------------------------------------------- helpers
    @property
    def _retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_retries=self.max_retries,
            backoff_seconds=self.backoff_seconds,
            backoff_max_seconds=self.backoff_max_seconds,
            retry_after_max_seconds=self.retry_after_max_seconds,
            timeout_seconds=self.timeout_seconds,
        )

    def _docs_link(self, checkpoint_result: CheckpointResult, action_context: ActionContext | None) -> str | None:
        """The validation page written by UpdateDataDocsAction earlier in this run."""
        pages = self._get_data_docs_pages_from_prior_action(action_context) or {}
        page = next((url for key in checkpoint_result.run_results for url in (pages.get(key) or {}).values() if url), None)
        if not page or not page.startswith("file://"):
            return page
        path = Path(url2pathname(urlsplit(page).path))
        if not self.docs_base_url:
            return str(path)
        for site in self._resolve_context().context.get_docs_sites_urls():
            index = site.get("site_url") or ""
            root = Path(url2pathname(urlsplit(index).path)).parent if index.startswith("file://") else None
            if root is not None and path.is_relative_to(root):
                return f"{self.docs_base_url.rstrip('/')}/{quote(path.relative_to(root).as_posix())}"
        return str(path)

    def _entries(self, message: AlertMessage, plan: NoticePlan, report: DeliveryReport, run_id: str) -> list[LogEntry]:
        checks = [(o, "alert") for o in plan.alerts] + [(o, "recovery") for o in plan.recoveries]
        common = {
            "dataset": self.dataset,
            "update_id": message.update_id,
            "channel": self.name,
            "status": report.status,
            "attempts": report.attempts,
            "error": report.error,
            "note": retry_note(report),
            "delivery_id": report.delivery_id,
            "run_id": run_id,
            "message": message,
        }
        if not checks:  # a healthy notice is about the whole update
            return [LogEntry(expectation="", kind=message.kind, **common)]
        return [LogEntry(expectation=alert_key(o), kind=kind, score=outcome_score(o), **common) for o, kind in checks]

    def _suppressed_entry(self, outcome: ExpectationOutcome, why: str, run_id: str) -> LogEntry:
        return LogEntry(
            dataset=self.dataset,
            update_id=outcome.update_id,
            expectation=alert_key(outcome),
            channel=self.name,
            kind="alert",
            status=SUPPRESSED,
            score=outcome_score(outcome),
            note=why,
            run_id=run_id,
        )

    @staticmethod
    def _result(report: DeliveryReport) -> dict:
        return {"dataset_health_alert": report.to_dict()}


class NotAlertedAction(_AlertLogAction):
    """Records why a failed check alerted nobody, e.g. no opted-in owner.

    Added to the checkpoint instead of channel actions, so that the log
    (and the ``check`` command) says ``not alerted: no opted-in owner``
    rather than staying silent.
    """

    type: Literal["dataset_health_not_alerted"] = "dataset_health_not_alerted"
    reason: str = Field(description="Why nobody is alerted, e.g. 'no opted-in owner'.")

    @override
    def run(self, checkpoint_result: CheckpointResult, action_context: ActionContext | None = None) -> dict:
        note = f"{NOT_ALERTED}: {self.reason}"
        if checkpoint_result.success:
            return {"dataset_health_alert": {"dataset": self.dataset, "status": "none"}}
        secrets: Secrets | None = None
        try:
            secrets = self._secrets()
            failed = [o for o in outcomes_from_checkpoint_result(checkpoint_result) if not o.success]
            with self._alert_log(secrets) as log:
                log.record(
                    [
                        LogEntry(
                            dataset=self.dataset,
                            update_id=o.update_id,
                            expectation=alert_key(o),
                            channel="",
                            kind="alert",
                            status=SUPPRESSED,
                            score=outcome_score(o),
                            note=note,
                            run_id=_run_id(checkpoint_result),
                        )
                        for o in failed
                    ]
                )
        except Exception as exc:  # noqa: BLE001 - raising would abort the checkpoint and skip later actions
            logger.error("dataset %r: could not record %r: %s", self.dataset, note, _scrubbed_error(exc, secrets))
        logger.info("dataset %r: %s", self.dataset, note)
        return {"dataset_health_alert": {"dataset": self.dataset, "status": SUPPRESSED, "note": note}}


def _run_id(checkpoint_result: CheckpointResult) -> str:
    return checkpoint_result.run_id.run_time.isoformat()


def _new_delivery_id() -> str:
    # Standard Webhooks: an id per event, kept across retries, without '.'.
    return f"msg_{uuid.uuid4().hex}"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _scrubbed_error(exc: BaseException, secrets: Secrets | None) -> str:
    error = f"{type(exc).__name__}: {_first_line(exc)}"
    return secrets.scrub(error) if secrets is not None else error


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""

