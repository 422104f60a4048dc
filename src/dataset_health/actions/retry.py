"""Send again the alerts whose delivery failed.

A failed delivery stays in the alert log with its message. Retrying looks
up the channel's action in the dataset's health checkpoint (so the
settings, ${VARS} included, are today's) and sends the same notice with the
same id: a webhook receiver sees one event, delivered late.
"""

from __future__ import annotations

from dataset_health.actions.alert_log import AlertLog
from dataset_health.actions.base import OwnerAlertAction
from dataset_health.actions.delivery import FAILED, DeliveryReport
from dataset_health.archive.store import ArchiveStore
from dataset_health.context import get_context
from dataset_health.health_suite import suite_name
from dataset_health.project import Project


def retry_failed_deliveries(project: Project, dataset: str | None = None) -> list[DeliveryReport]:
    """Retry every undelivered notice (of ``dataset``, or of all), oldest first.

    Returns one report per notice; a notice whose channel is no longer in
    the checkpoint is reported as failed and left in the log.

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
        for notice in log.undelivered(dataset):
            action = _channel_action(context, notice.dataset, notice.channel)
            if action is None:
                reports.append(
                    DeliveryReport(
                        notice.dataset,
                        notice.channel,
                        FAILED,
                        notice.message.kind,
                        0,
                        f"channel {notice.channel!r} is no longer configured for {notice.dataset!r}",
                        notice.delivery_id,
                    )
                )
                continue
            reports.append(action.redeliver(notice, log))
        return reports
    finally:
        store.engine.dispose()


def _channel_action(context: object, dataset: str, channel: str) -> OwnerAlertAction | None:
    try:
        checkpoint = context.checkpoints.get(suite_name(dataset))  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - GX raises several not-found types; all mean "gone"
        return None
    for action in checkpoint.actions:
        if isinstance(action, OwnerAlertAction) and action.name == channel:
            # Outside a checkpoint run nothing binds the action to a context;
            # it needs one for ${VAR} substitution (as Checkpoint._run_actions does).
            action._data_context = context
            return action
    return None
