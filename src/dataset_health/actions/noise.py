"""Noise control: which checks an alert action tells its owner about.

Decided per channel and check (``alert_key``) from the last notice that
reached that channel for it, as kept in the alert log:

- a failing check is alerted when it was never alerted, or it recovered
  since; when the last alert is older than the re-notify interval; or
  when it got worse (a higher score than last alerted); or, for a check
  with no score (the schema's), when it fails on another update, since
  each such failure is another change. Otherwise the repeat is
  suppressed, and the log says why.
- a passing check whose last notice was an alert gets a recovery notice.
- a passing check run notifies (a "healthy" notice) only when the channel's
  ``notify_on`` asks for successes.

Failures are only considered when ``notify_on`` asks for failures;
recoveries always are, since they close an alert the owner has seen.
Pure functions: the alert log and the clock are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from great_expectations.checkpoint.actions import should_notify

from dataset_health.actions.message import Kind, alert_key, format_value, outcome_score
from dataset_health.outcomes import ExpectationOutcome


@dataclass(frozen=True)
class LastNotice:
    """The newest notice about one check that reached one channel."""

    kind: Kind
    score: float | None
    sent_at: datetime
    update_id: str | None = None  # the update the notice was about


@dataclass(frozen=True)
class NoticePlan:
    """What one run of an alert action will say, and what it holds back."""

    alerts: tuple[ExpectationOutcome, ...] = ()
    recoveries: tuple[ExpectationOutcome, ...] = ()
    suppressed: tuple[tuple[ExpectationOutcome, str], ...] = ()  # (check, why)
    healthy: bool = False

    @property
    def kind(self) -> Kind | None:
        """The message to send, or None when there is nothing to say."""
        if self.alerts:
            return "alert"
        if self.recoveries:
            return "recovery"
        return "healthy" if self.healthy else None


def plan_notice(
    outcomes: Iterable[ExpectationOutcome],
    last_notices: Mapping[str, LastNotice],
    *,
    check_succeeded: bool,
    notify_on: str,
    renotify_after: timedelta,
    now: datetime,
    acknowledged: str | None = None,
) -> NoticePlan:
    """Decide what to notify for one checkpoint run.

    ``acknowledged`` is the owner's label on the judged update (``incident``
    or ``expected``): a labelled update's failures are known, so they are
    held back instead of alerted again.

    Examples
    --------
    >>> from datetime import datetime, timedelta
    >>> failing = ExpectationOutcome("expect_x", "rows", False, "fail", 9, 100, 80, 120, 5.0, "low")
    >>> now = datetime(2024, 1, 2)
    >>> plan_notice([failing], {}, check_succeeded=False, notify_on="failure",
    ...             renotify_after=timedelta(hours=24), now=now).kind
    'alert'
    >>> seen = {"expect_x:rows": LastNotice("alert", 5.0, now - timedelta(hours=1))}
    >>> plan_notice([failing], seen, check_succeeded=False, notify_on="failure",
    ...             renotify_after=timedelta(hours=24), now=now).suppressed[0][1]
    'alerted 1.0 h ago with score 5 (not worse); re-notify after 24 h'
    """
    outcomes = list(outcomes)
    notify_failures = not check_succeeded and should_notify(success=False, notify_on=notify_on)
    alerts, suppressed, recoveries = [], [], []
    for outcome in outcomes:
        last = last_notices.get(alert_key(outcome))
        if outcome.success:
            if last is not None and last.kind == "alert":
                recoveries.append(outcome)
        elif notify_failures:
            why = (
                f"acknowledged by the owner as {acknowledged}"
                if acknowledged
                else _why_repeat_is_suppressed(outcome, last, renotify_after, now)
            )
            if why is None:
                alerts.append(outcome)
            else:
                suppressed.append((outcome, why))
    healthy = check_succeeded and should_notify(success=True, notify_on=notify_on)
    return NoticePlan(tuple(alerts), tuple(recoveries), tuple(suppressed), healthy)


def _why_repeat_is_suppressed(
    outcome: ExpectationOutcome, last: LastNotice | None, renotify_after: timedelta, now: datetime
) -> str | None:
    if last is None or last.kind != "alert":
        return None  # never alerted, or recovered since: a new incident
    age = now - last.sent_at
    if age >= renotify_after:
        return None
    score = outcome_score(outcome)
    if score is not None and (last.score is None or score > last.score):
        return None  # worse than what the owner was told
    if score is None and outcome.status == "fail" and _about_another_update(outcome, last):
        return None  # nothing to compare: the schema check fails on each change, so this is a new one
    hours = age.total_seconds() / 3600
    return (
        f"alerted {hours:.1f} h ago with score {format_value(last.score)} (not worse); "
        f"re-notify after {format_value(renotify_after.total_seconds() / 3600)} h"
    )


def _about_another_update(outcome: ExpectationOutcome, last: LastNotice) -> bool:
    return outcome.update_id is not None and last.update_id is not None and outcome.update_id != last.update_id
