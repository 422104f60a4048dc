"""The Socrata client against a real local HTTP server: auth, retries, timeouts, errors."""

from __future__ import annotations

import time

import pytest

from dataset_health.errors import ConfigError, SourceError
from dataset_health.sources import SocrataClient, SocrataCredentials, TransportSettings, base_url
from dataset_health.sources._transport import CappedRetry

from . import payloads as p
from .conftest import CREDENTIALS, FAST
from .fake_socrata import FakeSocrata, Reply, paged

VIEW = f"/api/views/{p.FOURFOUR}.json"
META = f"/api/views/metadata/v1/{p.FOURFOUR}"
REVISIONS = f"/api/publishing/v1/revision/{p.FOURFOUR}"
SECRETS = ("tok-APPTOKEN-123", "key-ID-456", "sec-SECRET-789")


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


# ------------------------------------------------------------ configuration
@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("data.cityofchicago.org", "https://data.cityofchicago.org"),
        (" data.cityofchicago.org/ ", "https://data.cityofchicago.org"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://example.org/socrata", "https://example.org/socrata"),
    ],
)
def test_domain_may_be_bare_or_a_base_url(domain: str, expected: str) -> None:
    assert base_url(domain) == expected


@pytest.mark.parametrize("domain", ["", "ftp://example.org", "https://", "http://h?x=1"])
def test_bad_domain_is_a_config_error(domain: str) -> None:
    with pytest.raises(ConfigError):
        base_url(domain)


def test_display_url_hides_userinfo() -> None:
    client = SocrataClient("https://user:hunter2@example.org", credentials=SocrataCredentials())
    assert client.display_url == "https://example.org"


@pytest.mark.parametrize("fourfour", ["RT4A-U7GH", "rt4a_u7gh", "../etc", "rt4a-u7gh/x"])
def test_bad_dataset_id_is_refused_before_any_request(fake: FakeSocrata, client: SocrataClient, fourfour: str) -> None:
    with pytest.raises(ConfigError, match="not a Socrata dataset id"):
        client.view(fourfour)
    assert fake.requests() == []


def test_credentials_from_environment_prefer_the_api_key() -> None:
    env = {
        "DATASET_HEALTH_SOCRATA_APP_TOKEN": "t",
        "DATASET_HEALTH_SOCRATA_USERNAME": "ada@example.org",
        "DATASET_HEALTH_SOCRATA_PASSWORD": "pw",
        "DATASET_HEALTH_SOCRATA_KEY_ID": "kid",
        "DATASET_HEALTH_SOCRATA_KEY_SECRET": "ksecret",
    }
    credentials = SocrataCredentials.from_environment(env)
    assert (credentials.app_token, credentials.username, credentials.password) == ("t", "kid", "ksecret")
    assert "ksecret" not in repr(credentials) and "'t'" not in repr(credentials)


def test_half_a_credential_pair_is_a_config_error_that_names_no_value() -> None:
    with pytest.raises(ConfigError, match="DATASET_HEALTH_SOCRATA_PASSWORD is set but DATASET_HEALTH_SOCRATA_USERNAME") as info:
        SocrataCredentials.from_environment({"DATASET_HEALTH_SOCRATA_PASSWORD": "hunter2"})
    assert "hunter2" not in str(info.value)


def test_client_reads_credentials_from_the_environment(fake: FakeSocrata, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATASET_HEALTH_SOCRATA_APP_TOKEN", "env-token")
    monkeypatch.setenv("DATASET_HEALTH_SOCRATA_USERNAME", "ada@example.org")
    monkeypatch.setenv("DATASET_HEALTH_SOCRATA_PASSWORD", "env-password")
    fake.route(META, p.metadata(p.stamp(1)))
    with SocrataClient(fake.url, transport=FAST) as client:
        client.view_metadata(p.FOURFOUR)
    headers = fake.requests(META)[0].headers
    assert headers["x-app-token"] == "env-token"
    assert headers["authorization"].startswith("Basic ")


def test_app_token_and_basic_auth_travel_in_headers_only(fake: FakeSocrata, client: SocrataClient) -> None:
    fake.route(META, p.metadata(p.stamp(1)))
    assert client.view_metadata(p.FOURFOUR)["dataUpdatedAt"] == p.stamp(1)
    [seen] = fake.requests(META)
    assert seen.headers["x-app-token"] == "tok-APPTOKEN-123"
    assert seen.headers["authorization"].startswith("Basic ")
    assert seen.query == {}


def test_retry_after_cap_survives_urllib3_copies() -> None:
    retry = CappedRetry(total=3, retry_after_cap=0.5)
    assert retry.new(total=2).retry_after_cap == 0.5
    assert retry.parse_retry_after("3600") == 0.5


# --------------------------------------------------------------- retries
def test_throttled_request_waits_for_retry_after_within_the_cap(fake: FakeSocrata, client: SocrataClient) -> None:
    fake.route(META, Reply({"message": "slow down"}, status=429, headers={"Retry-After": "1"}), p.metadata(p.stamp(2)))
    assert client.view_metadata(p.FOURFOUR)["dataUpdatedAt"] == p.stamp(2)
    first, second = fake.requests(META)
    waited = second.at - first.at
    # Honoured (backoff alone is 0.01 s) but capped at 0.3 s instead of the 1 s asked for.
    assert 0.25 <= waited < 0.9


def test_server_errors_are_retried_then_succeed(fake: FakeSocrata, client: SocrataClient) -> None:
    fake.route(VIEW, Reply(status=500), Reply(status=503), p.view())
    assert client.view(p.FOURFOUR)["rowsUpdatedAt"] == 1672390854
    assert len(fake.requests(VIEW)) == 3


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "HTTP 401 (not authenticated"),
        (403, "HTTP 403 (forbidden"),
        (404, "HTTP 404 (not found: check the domain and the dataset id)"),
        (429, "HTTP 429 (throttled by the server; set DATASET_HEALTH_SOCRATA_APP_TOKEN"),
        (500, "HTTP 500 (the server failed) after 2 retries"),
    ],
)
def test_http_errors_become_one_source_error(fake: FakeSocrata, client: SocrataClient, status: int, words: str) -> None:
    # The server echoes the credentials in its message; they must not reach ours.
    fake.route(VIEW, Reply({"code": "x", "error": True, "message": f"no access for {' '.join(SECRETS)}"}, status=status))
    with pytest.raises(SourceError) as info:
        client.view(p.FOURFOUR)
    message = str(info.value)
    assert message.startswith(f"Socrata dataset '{p.FOURFOUR}' at {fake.url}: reading the view failed: ")
    assert words in message
    assert_no_secrets(message)
    retried = status in (429, 500)
    assert len(fake.requests(VIEW)) == (3 if retried else 1)


def test_timeout_is_reported_as_a_timeout(fake: FakeSocrata) -> None:
    settings = TransportSettings(connect_timeout=1.0, read_timeout=0.2, retries=1, backoff_factor=0.01)
    fake.route(VIEW, Reply(p.view(), delay=1.0))
    started = time.monotonic()
    with SocrataClient(fake.url, credentials=CREDENTIALS, transport=settings) as client:
        with pytest.raises(SourceError, match=r"reading the view failed: timed out \(connect 1 s, read 0.2 s, 1 retries\)") as info:
            client.view(p.FOURFOUR)
    assert time.monotonic() - started < 1.5
    assert len(fake.requests(VIEW)) == 2  # read errors are retried too
    assert_no_secrets(str(info.value))


def test_refused_connection_is_one_clear_error() -> None:
    server = FakeSocrata().start()
    url = server.url
    server.stop()
    settings = TransportSettings(retries=0)
    with SocrataClient(url, credentials=CREDENTIALS, transport=settings) as client:
        with pytest.raises(SourceError, match="could not connect to the server"):
            client.view_metadata(p.FOURFOUR)


@pytest.mark.parametrize("body", [b"{not json", b"", b"<html>Service Unavailable</html>"])
def test_malformed_json_is_one_clear_error(fake: FakeSocrata, client: SocrataClient, body: bytes) -> None:
    fake.route(META, Reply(body))
    with pytest.raises(SourceError, match=r"reading view metadata failed: malformed JSON in the answer"):
        client.view_metadata(p.FOURFOUR)


def test_answer_of_the_wrong_shape_is_one_clear_error(fake: FakeSocrata, client: SocrataClient) -> None:
    fake.route(VIEW, [1, 2, 3])
    with pytest.raises(SourceError, match="reading the view failed: expected a JSON object"):
        client.view(p.FOURFOUR)
    fake.route(REVISIONS, {"unexpected": True})
    with pytest.raises(SourceError, match=r"listing revisions \(offset 0\) failed: expected a JSON array"):
        list(client.revisions(p.FOURFOUR))


# ---------------------------------------------------------------- paging
def test_revisions_are_paged_with_limit_and_offset(fake: FakeSocrata, client: SocrataClient) -> None:
    fake.handle(REVISIONS, paged([p.revision(seq) for seq in range(250)]))
    revisions = list(client.revisions(p.FOURFOUR))
    assert [r["revision_seq"] for r in revisions] == list(range(250))
    assert [(s.query["limit"], s.query["offset"]) for s in fake.requests(REVISIONS)] == [
        ("100", "0"), ("100", "100"), ("100", "200")
    ]


def test_revisions_follow_a_cursor(fake: FakeSocrata, client: SocrataClient) -> None:
    pages = {"": (range(0, 3), "c1"), "c1": (range(3, 6), "c2"), "c2": (range(6, 7), None)}

    def by_cursor(seen):
        seqs, following = pages[seen.query.get("cursor", "")]
        return {"resource": [p.revision(s) for s in seqs], "meta": {"next": following}}

    fake.handle(REVISIONS, by_cursor)
    assert [r["revision_seq"] for r in client.revisions(p.FOURFOUR)] == list(range(7))


def test_a_server_that_ignores_paging_still_ends(fake: FakeSocrata, client: SocrataClient) -> None:
    everything = [p.revision(seq) for seq in range(150)]
    fake.route(REVISIONS, everything)
    assert len(list(client.revisions(p.FOURFOUR))) == 150
    assert len(fake.requests(REVISIONS)) == 2


def test_a_listed_revision_without_task_sets_is_fetched_on_its_own(fake: FakeSocrata, client: SocrataClient) -> None:
    fake.route(REVISIONS, [p.revision(1), p.revision(2, task_sets=False)])
    fake.route(f"{REVISIONS}/2", p.revision(2))
    revisions = list(client.revisions(p.FOURFOUR))
    assert revisions[1]["task_sets"][0]["status"] == "successful"


def test_error_on_a_later_page_names_the_page(fake: FakeSocrata, client: SocrataClient) -> None:
    items = [p.revision(seq) for seq in range(150)]

    def second_page_fails(seen):
        return Reply(status=500) if seen.query["offset"] == "100" else items[:100]

    fake.handle(REVISIONS, second_page_fails)
    got = []
    with pytest.raises(SourceError, match=r"listing revisions \(offset 100\) failed: HTTP 500"):
        for revision in client.revisions(p.FOURFOUR):
            got.append(revision)
    assert len(got) == 100


def test_row_count_uses_soda_count(fake: FakeSocrata, client: SocrataClient) -> None:
    fake.route(f"/resource/{p.FOURFOUR}.json", [{"count": "6618943"}])
    assert client.row_count(p.FOURFOUR) == 6618943
    assert fake.requests()[0].query == {"$select": "count(*)"}
    fake.route(f"/resource/{p.FOURFOUR}.json", [{"count": "many"}])
    with pytest.raises(SourceError, match="counting rows failed: count 'many' is not an integer"):
        client.row_count(p.FOURFOUR)


def test_rows_are_paged_in_a_stable_order(fake: FakeSocrata, client: SocrataClient) -> None:
    rows = [{"rowkey": str(i)} for i in range(250)]
    fake.handle(f"/resource/{p.FOURFOUR}.json",
                lambda seen: rows[int(seen.query["$offset"]): int(seen.query["$offset"]) + int(seen.query["$limit"])])
    pages = list(client.rows(p.FOURFOUR))
    assert [len(page) for page in pages] == [100, 100, 50]
    assert {s.query["$order"] for s in fake.requests()} == {":id"}
