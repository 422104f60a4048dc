"""Send again the alerts whose delivery failed.

A failed delivery stays in the alert log with its message. Retrying first
brings the dataset's health checkpoint up to date with today's
``dataset_health.yml``, then looks up the channel's action there (so the
settings, ${VARS} included, are today's: an owner who has opted out since,
or a channel since removed, gets nothing) and sends the same notice with the
same id: a webhook receiver sees one event, delivered late.
"""

from __future__ import annotations

from dataset_health.actions.alert_log import AlertLog
from dataset_health.actions.base import OwnerAlertAction
from dataset_health.actions.delivery import FAILED, DeliveryReport
from dataset_health.archive.store import ArchiveStore
from dataset_health.context import get_context
from dataset_health.errors import DatasetHealthError
from dataset_health.project import Project


def retry_failed_deliveries(project: Project, dataset: str | None = None) -> list[DeliveryReport]:
    """Retry every undelivered notice (of ``dataset``, or of all), oldest first.

    Returns one report per notice; a notice whose dataset, owner opt-in or
    channel is no longer configured is reported as failed, not sent, and
    left in the log.

    Examples
    --------
    >>> for report in retry_failed_deliveries(Project.load("my-project")):  # doctest: +SKIP
    ...     print(report.channel, report.status, report.error or "")
    """
    context = get_context(project.root)
    store = ArchiveStore(project.archive_url)
    try:
        log = AlertLog(store)
        reports = []
        checkpoints: dict[str, object] = {}
        for notice in log.undelivered(dataset):
            if notice.dataset not in checkpoints:
                checkpoints[notice.dataset] = _current_checkpoint(context, project, store, notice.dataset)
            current = checkpoints[notice.dataset]
            action = None if isinstance(current, str) else _channel_action(context, current, notice.channel)
            if action is None:
                why = current if isinstance(current, str) else (
                    f"channel {notice.channel!r} is no longer configured for {notice.dataset!r}"
                    " (or its owner no longer opts in)"
                )
                reports.append(
                    DeliveryReport(notice.dataset, notice.channel, FAILED, notice.message.kind, 0,
                                   f"{why}: not sent", notice.delivery_id)
                )
                continue
            reports.append(action.redeliver(notice, log))
        return reports
    finally:
        store.engine.dispose()


def _current_checkpoint(context: object, project: Project, store: ArchiveStore, dataset: str) -> object:
    """``dataset``'s health checkpoint as today's settings make it, or why there is none."""
    # health_check builds checkpoints out of this package's actions: importing it at the top is circular.
    from dataset_health.health_check import ensure_health_checkpoint

    try:
        return ensure_health_checkpoint(context, project, store, dataset)
    except DatasetHealthError as exc:  # gone from dataset_health.yml, its archive gone, or its settings wrong
        return str(exc)


def _channel_action(context: object, checkpoint: object, channel: str) -> OwnerAlertAction | None:
    for action in checkpoint.actions:  # type: ignore[attr-defined]
        if isinstance(action, OwnerAlertAction) and action.name == channel:
            # Outside a checkpoint run nothing binds the action to a context;
            # it needs one for ${VAR} substitution (as Checkpoint._run_actions does).
            action._data_context = context
            return action
    return None
