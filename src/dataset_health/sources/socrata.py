"""A small Socrata client: the endpoints dataset-health reads, one error boundary.

Endpoints (``{base}`` is ``https://<domain>`` or the base URL given)::

    GET {base}/api/publishing/v1/revision/{fourfour}        revisions, paged
    GET {base}/api/publishing/v1/revision/{fourfour}/{seq}  one revision
    GET {base}/api/views/metadata/v1/{fourfour}             dataUpdatedAt, ...
    GET {base}/api/views/{fourfour}.json                    rowsUpdatedAt, columns
    GET {base}/resource/{fourfour}.json                     SODA rows, count(*)
    POST {base}/resource/{fourfour}.json                    SODA upsert (write-back)

Every failure below this module (connection refused, timeout, HTTP 4xx/5xx
after the transport's retries, malformed JSON, an answer of the wrong shape)
is translated in :meth:`SocrataClient._request` into one
:class:`~dataset_health.errors.SourceError` naming the dataset id and what
failed. Credentials travel in headers only, and any credential value that
would appear in a message is replaced with ``***``.

Credentials come from the environment:

``DATASET_HEALTH_SOCRATA_APP_TOKEN``
    sent as ``X-App-Token`` (raises Socrata's throttling limits);
``DATASET_HEALTH_SOCRATA_KEY_ID`` / ``DATASET_HEALTH_SOCRATA_KEY_SECRET``
    an API key, sent with HTTP basic auth (preferred when both pairs are set);
``DATASET_HEALTH_SOCRATA_USERNAME`` / ``DATASET_HEALTH_SOCRATA_PASSWORD``
    a user's login, sent with HTTP basic auth.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from dataset_health import __version__
from dataset_health.errors import ConfigError, SourceError
from dataset_health.sources._transport import TransportSettings, build_session

ENV_APP_TOKEN = "DATASET_HEALTH_SOCRATA_APP_TOKEN"
ENV_USERNAME = "DATASET_HEALTH_SOCRATA_USERNAME"
ENV_PASSWORD = "DATASET_HEALTH_SOCRATA_PASSWORD"
ENV_KEY_ID = "DATASET_HEALTH_SOCRATA_KEY_ID"
ENV_KEY_SECRET = "DATASET_HEALTH_SOCRATA_KEY_SECRET"

_FOURFOUR = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}$")
_STATUS_HINTS = {
    400: "the request was refused as invalid",
    401: f"not authenticated: check {ENV_KEY_ID}/{ENV_KEY_SECRET} or {ENV_USERNAME}/{ENV_PASSWORD}",
    403: "forbidden: the credentials have no access to this dataset (private, or no rights)",
    404: "not found: check the domain and the dataset id",
    429: f"throttled by the server; set {ENV_APP_TOKEN} or poll less often",
}
_MESSAGE_MAX = 200  # characters of the server's own error message kept in ours
_USER_AGENT = f"dataset-health/{__version__} python-requests/{requests.__version__}"


@dataclass(frozen=True)
class SocrataCredentials:
    """An app token and, optionally, basic-auth credentials (user or API key)."""

    app_token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    #: The username is an API key id, itself half of a secret.
    api_key: bool = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "SocrataCredentials":
        """Read the ``DATASET_HEALTH_SOCRATA_*`` variables; a half pair is a ConfigError."""
        env = os.environ if environ is None else environ
        pairs = [(ENV_KEY_ID, ENV_KEY_SECRET), (ENV_USERNAME, ENV_PASSWORD)]
        for first, second in pairs:
            if bool(env.get(first)) != bool(env.get(second)):
                given, missing = (first, second) if env.get(first) else (second, first)
                raise ConfigError(f"{given} is set but {missing} is not: set both or neither")
        user, secret = next(((env[a], env[b]) for a, b in pairs if env.get(a)), (None, None))
        return cls(
            app_token=env.get(ENV_APP_TOKEN) or None,
            username=user,
            password=secret,
            api_key=bool(env.get(ENV_KEY_ID)),
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a message, as given and as sent.

        HTTP basic auth sends ``base64("user:password")``: a server or proxy
        that quotes the request's headers back must not get it into a message.
        """
        values = [v for v in (self.app_token, self.password, self.username if self.api_key else None) if v]
        if self.username:
            pair = f"{self.username}:{self.password or ''}"
            for encoding in ("latin-1", "utf-8"):  # requests sends latin-1 when it can
                try:
                    values.append(base64.b64encode(pair.encode(encoding)).decode("ascii"))
                except UnicodeEncodeError:
                    pass
        return tuple(values)


def check_fourfour(fourfour: str) -> str:
    """Return ``fourfour`` if it is a Socrata dataset id (``abcd-1234``), else ConfigError."""
    if not isinstance(fourfour, str) or not _FOURFOUR.match(fourfour):
        raise ConfigError(f"{fourfour!r} is not a Socrata dataset id: expected four letters or digits, '-', four more")
    return fourfour


def base_url(domain: str) -> str:
    """``https://<domain>`` for a bare domain; a full ``http(s)://`` URL is kept (no trailing /)."""
    text = (domain or "").strip()
    if not text:
        raise ConfigError("a Socrata domain is needed, e.g. data.cityofchicago.org or http://127.0.0.1:8080")
    if "://" not in text:
        text = f"https://{text}"
    text = text.rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"{_without_userinfo(text)!r} is not a Socrata domain or base URL")
    return text


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


class SocrataClient:
    """Read revisions, view metadata and rows of Socrata datasets.

    Parameters
    ----------
    domain : str
        ``data.example.org`` (https assumed) or a base URL such as
        ``http://127.0.0.1:8080``.
    credentials : SocrataCredentials, optional
        Default: read from the environment.
    transport : TransportSettings, optional
        Timeouts and retries (default: 10 s connect, 60 s read, 5 retries).
    page_size : int
        Items per page when paging revisions and rows.

    Examples
    --------
    >>> client = SocrataClient("data.example.org", credentials=SocrataCredentials())
    >>> client.display_url
    'https://data.example.org'
    """

    def __init__(
        self,
        domain: str,
        *,
        credentials: SocrataCredentials | None = None,
        transport: TransportSettings | None = None,
        page_size: int = 1000,
    ) -> None:
        if page_size < 1:
            raise ConfigError(f"page_size must be a positive integer, got {page_size!r}")
        self.base_url = base_url(domain)
        self.display_url = _without_userinfo(self.base_url)
        self.credentials = credentials if credentials is not None else SocrataCredentials.from_environment()
        self.transport = transport or TransportSettings()
        self.page_size = page_size
        self._session = build_session(self.transport)
        self._session.headers.update({"Accept": "application/json", "User-Agent": _USER_AGENT})
        if self.credentials.app_token:
            self._session.headers["X-App-Token"] = self.credentials.app_token
        if self.credentials.username:
            self._session.auth = (self.credentials.username, self.credentials.password or "")

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "SocrataClient":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- endpoints
    def revisions(self, fourfour: str) -> Iterator[dict[str, Any]]:
        """Every revision of ``fourfour``, unwrapped from its ``resource`` envelope.

        Pages with ``limit``/``offset`` (or follows ``meta.next`` when the
        server answers with a cursor) and stops at a short or empty page. A
        server that ignores the paging parameters still terminates: revisions
        are de-duplicated by sequence number and a page with nothing new ends
        the listing. A listed revision without a ``task_sets`` key is fetched
        on its own, since its task sets hold the update's counts.
        """
        check_fourfour(fourfour)
        path = f"/api/publishing/v1/revision/{fourfour}"
        seen: set[str] = set()
        offset, cursor = 0, None
        while True:
            params = {"cursor": cursor} if cursor else {"limit": self.page_size, "offset": offset}
            what = f"listing revisions ({f'cursor {cursor}' if cursor else f'offset {offset}'})"
            listing = _revision_page(self._request("GET", path, fourfour=fourfour, what=what, params=params))
            if listing is None:
                raise self._error(fourfour, what, "expected a JSON array of revisions")
            items, cursor = listing
            fresh = 0
            for item in items:
                revision = _unwrap(item)
                key = _revision_key(revision)
                if key in seen:
                    continue
                seen.add(key)
                fresh += 1
                if "task_sets" not in revision and "task_set" not in revision and revision.get("revision_seq") is not None:
                    revision = self.revision(fourfour, revision["revision_seq"])
                yield revision
            if fresh == 0 or (not cursor and len(items) < self.page_size):
                return
            offset += len(items)

    def revision(self, fourfour: str, revision_seq: int | str) -> dict[str, Any]:
        """One revision of ``fourfour`` by its sequence number."""
        check_fourfour(fourfour)
        what = f"reading revision {str(revision_seq)[:20]!r}"
        if not str(revision_seq).isdigit():
            raise self._error(fourfour, what, "a revision sequence number is a non-negative integer")
        revision = _unwrap(self._request("GET", f"/api/publishing/v1/revision/{fourfour}/{revision_seq}",
                                         fourfour=fourfour, what=what))
        if not isinstance(revision, dict):
            raise self._error(fourfour, what, "expected a JSON object")
        return revision

    def view_metadata(self, fourfour: str) -> dict[str, Any]:
        """The metadata API's record of ``fourfour`` (``dataUpdatedAt``, ...)."""
        return self._object(f"/api/views/metadata/v1/{check_fourfour(fourfour)}", fourfour, "reading view metadata")

    def view(self, fourfour: str) -> dict[str, Any]:
        """The views API's record of ``fourfour`` (``rowsUpdatedAt``, ``columns``, ...)."""
        return self._object(f"/api/views/{check_fourfour(fourfour)}.json", fourfour, "reading the view")

    def row_count(self, fourfour: str) -> int:
        """``count(*)`` of the dataset, computed by SODA."""
        check_fourfour(fourfour)
        what = "counting rows"
        body = self._request("GET", f"/resource/{fourfour}.json", fourfour=fourfour, what=what,
                             params={"$select": "count(*)"})
        if not (isinstance(body, list) and len(body) == 1 and isinstance(body[0], dict) and len(body[0]) == 1):
            raise self._error(fourfour, what, "expected one row with one value")
        value = next(iter(body[0].values()))
        try:
            return int(str(value))
        except ValueError:
            raise self._error(fourfour, what, f"count {str(value)[:40]!r} is not an integer") from None

    def rows(self, fourfour: str, *, page_size: int | None = None) -> Iterator[list[dict[str, Any]]]:
        """The dataset's rows, one page (list of SODA JSON rows) at a time.

        Ordered by ``:id`` so that ``$offset`` paging neither skips nor repeats
        rows while the dataset is stable.
        """
        check_fourfour(fourfour)
        size = page_size or self.page_size
        offset = 0
        while True:
            params = {"$limit": size, "$offset": offset, "$order": ":id"}
            page = self._request("GET", f"/resource/{fourfour}.json", fourfour=fourfour,
                                 what=f"reading rows at offset {offset}", params=params)
            if not isinstance(page, list) or not all(isinstance(row, dict) for row in page):
                raise self._error(fourfour, f"reading rows at offset {offset}", "expected a JSON array of objects")
            if page:
                yield page
            if len(page) < size:
                return
            offset += size

    def upsert(self, fourfour: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """SODA upsert of ``rows`` (keyed by the dataset's row identifier); the server's counts."""
        check_fourfour(fourfour)
        body = self._request("POST", f"/resource/{fourfour}.json", fourfour=fourfour,
                             what=f"upserting {len(rows)} rows", json_body=rows)
        if not isinstance(body, dict):
            raise self._error(fourfour, f"upserting {len(rows)} rows", "expected a JSON object of counts")
        return body

    # --------------------------------------------------------------- boundary
    def _object(self, path: str, fourfour: str, what: str) -> dict[str, Any]:
        body = self._request("GET", path, fourfour=fourfour, what=what)
        if not isinstance(body, dict):
            raise self._error(fourfour, what, "expected a JSON object")
        return body

    def _request(
        self,
        method: str,
        path: str,
        *,
        fourfour: str,
        what: str,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """Send one request (the transport retries it) and return its JSON body.

        The one place where errors of requests, urllib3 and json become
        :class:`SourceError`.
        """
        try:
            response = self._session.request(
                method, self.base_url + path, params=params, json=json_body, timeout=self.transport.timeout
            )
        except requests.RequestException as exc:
            raise self._error(fourfour, what, _network_reason(exc, self.transport)) from exc
        with response:
            if response.status_code >= 400:
                raise self._error(fourfour, what, self._status_reason(response))
            try:
                return response.json()
            except ValueError as exc:  # json.JSONDecodeError and requests' own subclass
                reason = f"malformed JSON in the answer ({exc.__class__.__name__}: {_first_line(exc)})"
                raise self._error(fourfour, what, reason) from exc

    def _status_reason(self, response: requests.Response) -> str:
        status = response.status_code
        hint = _STATUS_HINTS.get(status) or ("the server failed" if status >= 500 else "the request failed")
        retried = status in (429,) or status >= 500
        reason = f"HTTP {status} ({hint})"
        if retried and self.transport.retries:
            reason += f" after {self.transport.retries} retries"
        # Scrubbed before it is cut short: a cut secret would not be found whole.
        message = self._scrub(_server_message(response))[:_MESSAGE_MAX]
        return f"{reason}: {message}" if message else reason

    def _error(self, fourfour: str, what: str, reason: str) -> SourceError:
        return SourceError(self._scrub(f"Socrata dataset {fourfour!r} at {self.display_url}: {what} failed: {reason}"))

    def _scrub(self, text: str) -> str:
        for secret in sorted(self.credentials.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def _unwrap(item: Any) -> Any:
    """The revision inside a publishing API ``{"resource": ..., "links": ...}`` envelope."""
    if isinstance(item, dict) and isinstance(item.get("resource"), dict):
        return item["resource"]
    return item


def _revision_key(revision: dict[str, Any]) -> str:
    for name in ("revision_seq", "id"):
        if revision.get(name) is not None:
            return f"{name}:{revision[name]}"
    return json.dumps(revision, sort_keys=True, default=str)


def _revision_page(page: Any) -> tuple[list[dict[str, Any]], str | None] | None:
    """The revisions of one listing page and the next cursor; None if it is no listing."""
    cursor = None
    if isinstance(page, dict) and isinstance(page.get("resource"), list):
        meta = page.get("meta") if isinstance(page.get("meta"), dict) else {}
        cursor = meta.get("next") or None
        page = page["resource"]
    if not isinstance(page, list):
        return None
    items = [item for item in page if isinstance(_unwrap(item), dict)]
    return items, (str(cursor) if cursor else None)


def _network_reason(exc: requests.RequestException, transport: TransportSettings) -> str:
    if _is_timeout(exc):
        return (
            f"timed out (connect {transport.connect_timeout:g} s, read {transport.read_timeout:g} s"
            f"{f', {transport.retries} retries' if transport.retries else ''})"
        )
    if isinstance(exc, requests.ConnectionError):
        return "could not connect to the server"
    return f"the request failed ({exc.__class__.__name__})"


def _is_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` is, or wraps, a timeout (urllib3 hides it in MaxRetryError)."""
    from urllib3.exceptions import MaxRetryError, NewConnectionError, TimeoutError as Urllib3Timeout

    if isinstance(exc, requests.Timeout):
        return True
    for arg in getattr(exc, "args", ()):
        reason = arg.reason if isinstance(arg, MaxRetryError) else arg
        # urllib3 derives "connection refused" from its connect-timeout class.
        if isinstance(reason, Urllib3Timeout) and not isinstance(reason, NewConnectionError):
            return True
    return False


def _server_message(response: requests.Response) -> str:
    """Socrata's own error message (``{"message": ...}``), printable (the caller cuts it short)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str):
        return ""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", message).strip()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:120] if text else type(exc).__name__
