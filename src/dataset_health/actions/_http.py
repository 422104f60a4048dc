"""POST one JSON body, retried by the transport.

Retries are a setting of the ``requests`` transport adapter (urllib3
``Retry``), not loops in the channels: connection errors, timeouts and the
statuses 429, 500, 502, 503 and 504 are retried with exponential backoff,
and a ``Retry-After`` header is honoured up to the policy's cap. Redirects
are not followed (Standard Webhooks: update the URL instead). Each attempt
ends after the policy's timeout even when the server keeps trickling bytes
(:mod:`._deadline`), so a delivery's time is bounded. Errors of
requests and urllib3 are translated here into :class:`DeliveryError`,
whose text never holds the URL's path or query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.retry import Retry

from dataset_health.actions._deadline import AttemptDeadline
from dataset_health.actions._secrets import Secrets, safe_url
from dataset_health.actions.delivery import DeliveryConfigError, DeliveryError, RetryPolicy, attempts_text

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "dataset-health (owner alerts)"
_BODY_EXCERPT = 200


HTTP_SCHEMES = ("http", "https")
_SHOWABLE_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,11}")


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be posted to (it is not an absolute http(s) URL), or None.

    The text never repeats the URL, which is a secret; at most its scheme.

    Examples
    --------
    >>> url_problem("https://hooks.example.org/T/B/X") is None
    True
    >>> url_problem("ftp://files.example.org/hook")
    'must be an http:// or https:// URL, not ftp://'
    >>> url_problem("hooks.example.org/T/B/X")
    'must be an http:// or https:// URL; it has no scheme'
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return "must be an http:// or https:// URL; it cannot be parsed"
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError:
        return "has a port that is not a number from 0 to 65535"
    scheme = parts.scheme.lower()
    if scheme not in HTTP_SCHEMES:
        if "://" not in url or not scheme:
            return "must be an http:// or https:// URL; it has no scheme"
        shown = f"{scheme}://" if _SHOWABLE_SCHEME.fullmatch(scheme) else "another scheme"
        return f"must be an http:// or https:// URL, not {shown}"
    if not host:
        return "must be an http:// or https:// URL with a host name"
    return None


def checked_url(url: str, field: str) -> str:
    """``url`` if it can be posted to; else a :class:`DeliveryConfigError` naming ``field``.

    Requests would refuse such a URL on every attempt (``InvalidSchema``),
    so it is a configuration error, reported without any attempt or retry.
    """
    problem = url_problem(url)
    if problem is not None:
        raise DeliveryConfigError(
            f"setting {field!r} {problem}; fix it in the owner's channels in dataset_health.yml "
            "or in the variable it names (the URL is not shown: it is secret)"
        )
    return url


def json_body(payload: Any) -> bytes:
    """Minified UTF-8 JSON: the exact bytes sent (and, for webhooks, signed)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def post(url: str, body: bytes, headers: Mapping[str, str], *, policy: RetryPolicy, secrets: Secrets) -> int:
    """POST ``body`` to ``url``; return the number of attempts it took.

    Raises
    ------
    DeliveryConfigError
        When ``url`` is not an http(s) URL (no attempt is made).
    DeliveryError
        When no attempt got a 2xx answer; the message says why, with the
        URL shown by :func:`safe_url` and every secret scrubbed.
    """
    retry = _CountingRetry(
        total=policy.max_retries,
        backoff_factor=policy.backoff_seconds,
        backoff_max=policy.backoff_max_seconds,
        status_forcelist=RETRY_STATUSES,
        # POST is not idempotent, so urllib3 does not retry it by default; an
        # alert sent twice is better than none, and webhook receivers
        # deduplicate by the webhook-id header.
        allowed_methods=frozenset({"POST"}),
        raise_on_status=False,  # hand back the last response so its status is reported
        respect_retry_after_header=True,
        retry_after_cap=policy.retry_after_max_seconds,
    )
    checked_url(url, "url")  # the channels check it first, naming their own setting
    where = safe_url(url)
    deadline = AttemptDeadline(policy.timeout_seconds)
    with requests.Session() as session, secrets.scrubbed_library_logs():
        adapter = HTTPAdapter(max_retries=retry)
        deadline.mount(adapter)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        try:
            response = session.post(
                url,
                data=body,
                headers={"User-Agent": USER_AGENT, **headers},
                timeout=policy.timeout_seconds,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            attempts = retry.attempts()
            reason = _describe(exc, policy.timeout_seconds, cut_off=deadline.expired)
            raise DeliveryError(secrets.scrub(f"{where}: {reason} ({attempts_text(attempts)})"), attempts) from None
    attempts = retry.attempts()
    if 200 <= response.status_code < 300:
        return attempts
    excerpt = " ".join(response.text[:_BODY_EXCERPT].split())
    raise DeliveryError(
        secrets.scrub(
            f"{where} answered HTTP {response.status_code} {response.reason or ''}".rstrip()
            + f" ({attempts_text(attempts)})"
            + (f", saying {excerpt!r}" if excerpt else "")
        ),
        attempts,
    )


class _CountingRetry(Retry):
    """urllib3 ``Retry`` that caps ``Retry-After`` and counts attempts.

    urllib3 derives a new Retry object on every retry (``new()``); the cap
    and the shared ``tally`` are carried over so that the object handed to
    the adapter can say afterwards how many attempts were made. The cap is
    implemented here rather than with urllib3's own ``retry_after_max``
    because that argument only exists in recent urllib3 releases.
    """

    def __init__(self, *args: Any, retry_after_cap: float = 60.0, tally: list[bool] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after_cap = retry_after_cap
        # One entry per failed attempt: True when another attempt followed.
        self.tally: list[bool] = [] if tally is None else tally

    def new(self, **kwargs: Any) -> "_CountingRetry":
        copy = super().new(**kwargs)
        copy.retry_after_cap, copy.tally = self.retry_after_cap, self.tally
        return copy

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), self.retry_after_cap)

    def increment(self, *args: Any, **kwargs: Any) -> "_CountingRetry":
        self.tally.append(False)
        retry = super().increment(*args, **kwargs)  # raises when retries are exhausted
        self.tally[-1] = True
        return retry

    def attempts(self) -> int:
        """Attempts made so far: failed ones, plus a last one if it followed."""
        return len(self.tally) + (1 if not self.tally or self.tally[-1] else 0)


def _describe(exc: requests.RequestException, timeout: float, *, cut_off: bool = False) -> str:
    if cut_off:  # the attempt deadline shut the socket: whatever error that caused
        return f"no answer within {timeout:g} s"
    # requests wraps urllib3's MaxRetryError, whose .reason is the last error.
    reason: BaseException = exc
    if exc.args and isinstance(exc.args[0], MaxRetryError) and exc.args[0].reason is not None:
        reason = exc.args[0].reason
    # Most specific first: urllib3's NewConnectionError subclasses ConnectTimeoutError.
    if isinstance(reason, NameResolutionError):
        return "host name not found"
    if isinstance(reason, NewConnectionError):
        return "connection refused or host unreachable"
    if isinstance(reason, (ReadTimeoutError, requests.ReadTimeout)):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, (ConnectTimeoutError, requests.ConnectTimeout)):
        return f"could not connect within {timeout:g} s"
    if isinstance(reason, (SSLError, requests.exceptions.SSLError)):
        return "TLS handshake failed"
    if isinstance(reason, ProtocolError):
        return "connection dropped before an answer"
    return f"request failed ({type(reason).__name__})"  # type only: library texts carry the URL
