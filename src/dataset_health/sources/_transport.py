"""The HTTP transport of the Socrata client: a requests session with retries.

Retries are a setting of the session's adapter (urllib3 ``Retry``), not
loops in the callers: every request made through the session is retried on
429 and 5xx answers and on connection and read errors, with exponential
backoff, and a 429/503 answer's ``Retry-After`` is honoured up to a cap so a
server asking for an hour cannot stall a backfill for an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

#: Answers worth retrying: throttled, or the server failed on its side.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class TransportSettings:
    """How patient the client is.

    Parameters
    ----------
    connect_timeout, read_timeout : float
        Seconds to wait for a connection, and for each read of an answer.
    retries : int
        Retries per request after the first attempt (0: no retries).
    backoff_factor : float
        Seconds; the first retry goes at once, the n-th waits
        ``backoff_factor * 2 ** (n - 1)`` (urllib3's schedule).
    backoff_max : float
        Upper bound of one backoff wait, in seconds.
    retry_after_cap : float
        Upper bound, in seconds, of a wait the server asks for with
        ``Retry-After``.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 5
    backoff_factor: float = 1.0
    backoff_max: float = 60.0
    retry_after_cap: float = 120.0

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


class CappedRetry(Retry):
    """urllib3 ``Retry`` whose ``Retry-After`` waits never exceed a cap.

    Newer urllib3 releases have ``retry_after_max``; this subclass gives the
    same guarantee on every urllib3 that requests supports.
    """

    def __init__(self, *args: Any, retry_after_cap: float = 120.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after_cap = retry_after_cap

    def new(self, **kwargs: Any) -> "CappedRetry":
        # urllib3 makes a fresh Retry after every attempt; carry the cap over.
        kwargs.setdefault("retry_after_cap", self.retry_after_cap)
        return super().new(**kwargs)

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), self.retry_after_cap)


def build_session(settings: TransportSettings) -> requests.Session:
    """A session whose adapters retry as ``settings`` say."""
    retry = CappedRetry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        status_forcelist=RETRY_STATUSES,
        # The only POST this client sends is a SODA upsert keyed by row
        # identifier, which Socrata documents as safe to repeat.
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"POST"},
        backoff_factor=settings.backoff_factor,
        backoff_max=settings.backoff_max,
        respect_retry_after_header=True,
        # Hand the last answer back instead of raising, so the error boundary
        # can say "HTTP 429" or "HTTP 500" rather than "too many retries".
        raise_on_status=False,
        retry_after_cap=settings.retry_after_cap,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
