"""What every delivery shares: its retry policy, its error, its report.

A channel (webhook, Slack, Teams, email) turns one alert message into one
delivery. The transports below it (:mod:`._http`, :mod:`._smtp`) retry by
themselves according to a :class:`RetryPolicy` and either return how many
attempts it took or raise :class:`DeliveryError` saying why the last one
failed. Nothing above a transport loops. Two kinds of failure are told
apart: :class:`DeliveryConfigError`, settings that can never work (no
attempt is made, and trying again later cannot help until they are fixed),
and :class:`PartialDelivery`, an email that some recipients got and others
refused.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from dataset_health.errors import DatasetHealthError
from dataset_health.text import counted

SENT = "sent"
PARTIAL = "partial"  # some recipients got it, others refused it (email)
FAILED = "failed"
SUPPRESSED = "suppressed"
#: How the error of a DeliveryConfigError starts, in reports and the alert log.
CONFIG_ERROR = "configuration error"


@dataclass(frozen=True)
class RetryPolicy:
    """How a transport retries one delivery.

    Parameters
    ----------
    max_retries : int
        Retries after the first attempt; 0 sends once.
    backoff_seconds : float
        Exponential backoff factor between attempts.
    backoff_max_seconds : float
        Longest wait between two attempts from backoff.
    retry_after_max_seconds : float
        Longest wait a server's ``Retry-After`` header can impose; longer
        requests are cut to this, so one slow receiver cannot stall the
        checkpoint for hours.
    timeout_seconds : float
        Longest time one attempt may take, from connecting to the answer
        (a server that trickles its answer is cut off then).
    """

    max_retries: int = 3
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 30.0
    retry_after_max_seconds: float = 60.0
    timeout_seconds: float = 15.0

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based).

        Examples
        --------
        >>> [RetryPolicy(backoff_seconds=1, backoff_max_seconds=5).backoff(n) for n in (1, 2, 3, 4)]
        [1, 2, 4, 5]
        """
        return min(self.backoff_max_seconds, self.backoff_seconds * 2 ** (retry - 1))


def attempts_text(attempts: int) -> str:
    """``1 attempt``, ``3 attempts``."""
    return counted(attempts, "attempt")


class DeliveryError(DatasetHealthError):
    """A message could not be delivered; the text is safe to log and store.

    Parameters
    ----------
    message : str
        Why the last attempt failed, with every secret already removed.
    attempts : int
        How many attempts were made (0 when none could start).
    retry_to : tuple of str, optional
        The recipients a later retry should go to, for channels that have
        recipients (email): ``None`` means all of them, ``()`` none (every
        recipient that did not get it refused it permanently).
    """

    def __init__(self, message: str, attempts: int = 0, *, retry_to: tuple[str, ...] | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.retry_to = retry_to


class DeliveryConfigError(DeliveryError):
    """A channel's settings can never work (e.g. a webhook URL that is not http(s)).

    No attempt is made and none is retried; the channel reports it as a
    configuration error, naming itself and its owner.
    """


class PartialDelivery(DeliveryError):
    """Some recipients got the message and the others refused it.

    Parameters
    ----------
    delivered : tuple of str
        The recipients that got it; a retry must not send it to them again.
    retry_to : tuple of str
        The recipients refused temporarily (SMTP 4xx) on every attempt;
        empty when the rest were refused permanently (5xx).
    """

    def __init__(self, message: str, attempts: int, *, delivered: tuple[str, ...], retry_to: tuple[str, ...]) -> None:
        super().__init__(message, attempts, retry_to=retry_to)
        self.delivered = delivered


@dataclass(frozen=True)
class DeliveryReport:
    """What one alert action did in one run (returned by ``run()``)."""

    dataset: str
    channel: str
    status: str  # sent | partial | failed | suppressed | none
    kind: str | None = None  # alert | recovery | healthy
    attempts: int = 0
    error: str | None = None
    delivery_id: str | None = None
    #: Where a later retry goes (see DeliveryError.retry_to); None: everywhere.
    retry_to: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
