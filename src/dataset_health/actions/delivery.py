"""What every delivery shares: its retry policy, its error, its report.

A channel (webhook, Slack, Teams, email) turns one alert message into one
delivery. The transports below it (:mod:`._http`, :mod:`._smtp`) retry by
themselves according to a :class:`RetryPolicy` and either return how many
attempts it took or raise :class:`DeliveryError` saying why the last one
failed. Nothing above a transport loops.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from dataset_health.errors import DatasetHealthError

SENT = "sent"
FAILED = "failed"
SUPPRESSED = "suppressed"


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
    return f"{attempts} attempt" + ("" if attempts == 1 else "s")


class DeliveryError(DatasetHealthError):
    """A message could not be delivered; the text is safe to log and store.

    Parameters
    ----------
    message : str
        Why the last attempt failed, with every secret already removed.
    attempts : int
        How many attempts were made (0 when none could start).
    """

    def __init__(self, message: str, attempts: int = 0) -> None:
        super().__init__(message)
        self.attempts = attempts


@dataclass(frozen=True)
class DeliveryReport:
    """What one alert action did in one run (returned by ``run()``)."""

    dataset: str
    channel: str
    status: str  # sent | failed | suppressed | none
    kind: str | None = None  # alert | recovery | healthy
    attempts: int = 0
    error: str | None = None
    delivery_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
