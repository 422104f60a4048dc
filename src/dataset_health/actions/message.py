"""The alert message: what an owner is told, before any channel formats it.

One :class:`AlertMessage` per checkpoint run and channel. It names the
dataset, its owner, the update under test and when it published, each
failed check with what was observed against what was expected (and the
range) and the detector's reason, the checks that pass again after an
alert, and the Data Docs page. Channels only lay it out (Block Kit, an
Adaptive Card, MIME parts, JSON); the words are written once, here.

A message round-trips through JSON (:meth:`AlertMessage.to_dict`) so that
the alert log can keep it and a failed delivery can be retried later.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from dataset_health.outcomes import ExpectationOutcome

Kind = Literal["alert", "recovery", "healthy"]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def alert_key(outcome: ExpectationOutcome) -> str:
    """The alert log's name for one check: expectation type and metric.

    Expectation ids are not used: GX gives every expectation a new id each
    time the health suite is rebuilt.
    """
    return f"{outcome.expectation}:{outcome.metric}" if outcome.metric else outcome.expectation


def outcome_score(outcome: ExpectationOutcome) -> float | None:
    """The detector's score as a float; None when the check has none (errors)."""
    score = outcome.score
    return float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None


def format_value(value: Any) -> str:
    """A number as a person reads it in an alert.

    Examples
    --------
    >>> [format_value(v) for v in (22784.46, 1073.0, 0.020321, 53.598, None, "abc")]
    ['22,784', '1,073', '0.02032', '53.6', 'n/a', 'abc']
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.4g}"


@dataclass(frozen=True)
class AlertItem:
    """One check in a message: a failure, or a recovery."""

    key: str
    label: str
    status: str
    observed: Any = None
    expected: Any = None
    lower: Any = None
    upper: Any = None
    score: float | None = None
    reason: str = ""

    @classmethod
    def from_outcome(cls, outcome: ExpectationOutcome) -> "AlertItem":
        return cls(
            key=alert_key(outcome),
            label=outcome.label,
            status=outcome.status,
            observed=outcome.observed,
            expected=outcome.expected,
            lower=outcome.lower,
            upper=outcome.upper,
            score=outcome_score(outcome),
            reason=outcome.reason,
        )

    @property
    def expected_range(self) -> str | None:
        if self.lower is None and self.upper is None:
            return None
        return f"{format_value(self.lower)} to {format_value(self.upper)}"

    @property
    def comparison(self) -> str:
        """``observed 1,073 against expected 22,784 (range 16,734 to 31,022)``."""
        text = f"observed {format_value(self.observed)} against expected {format_value(self.expected)}"
        return text + (f" (range {self.expected_range})" if self.expected_range else "")


@dataclass(frozen=True)
class AlertMessage:
    """Everything one notice says.

    ``docs_link`` is a URL when a docs base URL is configured, else the
    local path of the Data Docs page.
    """

    kind: Kind
    dataset: str
    owner: str
    update_id: str | None
    update_time: str | None
    checked_at: str
    failures: tuple[AlertItem, ...] = ()
    recoveries: tuple[AlertItem, ...] = ()
    still_failing: tuple[str, ...] = field(default=())  # labels alerted earlier and not repeated
    docs_link: str | None = None

    @property
    def headline(self) -> str:
        update = f"update {self.update_id or '?'}"
        if self.kind == "alert":
            count = len(self.failures)
            return f"{self.dataset}: {update} looks unhealthy, {count} check{'s' if count != 1 else ''} failed"
        if self.kind == "recovery":
            return f"{self.dataset}: recovered, {_labels(self.recoveries)} pass{'' if len(self.recoveries) > 1 else 'es'} again ({update})"
        return f"{self.dataset}: {update} is healthy"

    @property
    def subject(self) -> str:
        """The headline on one line, for email subjects and card titles."""
        return " ".join(_CONTROL.sub(" ", f"[dataset-health] {self.headline}").split())

    @property
    def update_line(self) -> str:
        when = f" published {self.update_time.replace('T', ' ')} UTC" if self.update_time else ""
        return f"{self.update_id or '?'}{when}"

    @property
    def label_command(self) -> str | None:
        """The command that labels an alerted update an incident, to paste in the project
        directory; None for other notices, and for names a terminal would not show as
        they are (control characters).

        A labelled incident leaves the baseline of later checks, so that it
        does not hide the next one; ``compete --dataset`` scores detectors
        against the labels."""
        names = (self.dataset, self.update_id or "")
        if self.kind != "alert" or not self.update_id or any(_CONTROL.search(name) for name in names):
            return None
        # After "--" a name that starts with "-" is not read as an option.
        return f"dataset-health label --as incident -- {shlex.quote(self.dataset)} {shlex.quote(self.update_id)}"

    @property
    def label_hint(self) -> str | None:
        """The sentence that introduces :attr:`label_command`."""
        if self.label_command is None:
            return None
        return ("Was it an incident? Label it, so that later checks leave it out of their baseline "
                "(--as expected if the change was planned):")

    @property
    def docs_is_url(self) -> bool:
        return bool(self.docs_link) and self.docs_link.startswith(("http://", "https://"))

    def text(self) -> str:
        """The whole message as plain text (email part, Slack fallback, webhook summary)."""
        lines = [self.headline, "", f"Dataset: {self.dataset}", f"Owner: {self.owner}", f"Update: {self.update_line}"]
        if self.failures:
            lines += ["", "Failed checks:"]
            for item in self.failures:
                score = f"; score {format_value(item.score)}" if item.score is not None else ""
                lines += [f"- {item.label}: {item.comparison}{score}", f"  {item.reason}"]
        if self.label_command:
            lines += ["", self.label_hint, f"  {self.label_command}"]
        if self.still_failing:
            lines += ["", f"Still failing, alerted earlier: {', '.join(self.still_failing)}"]
        if self.recoveries:
            lines += ["", "Passing again after an alert:"]
            lines += [f"- {item.label}: {item.comparison}" for item in self.recoveries]
        if self.docs_link:
            lines += ["", f"Data Docs: {self.docs_link}"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AlertMessage":
        return cls(
            **{
                **data,
                "failures": tuple(AlertItem(**item) for item in data.get("failures", ())),
                "recoveries": tuple(AlertItem(**item) for item in data.get("recoveries", ())),
                "still_failing": tuple(data.get("still_failing", ())),
            }
        )


def _labels(items: tuple[AlertItem, ...]) -> str:
    return ", ".join(item.label for item in items)
