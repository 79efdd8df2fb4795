"""Access (API keys, origins, hosts, admin key), rate limits, in-flight caps, bodies, headers."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from askbot import service
from askbot.api import create_app
from askbot.api.middleware import BodyBuffer, Guard, LoadShedder
from askbot.api.security import AccessPolicy, hash_key
from askbot.config import Settings
from tests.conftest import DATA, FakeEmbedder

BOT_KEY, OTHER_KEY, ADMIN_KEY = "bot-secret-1", "bot-secret-2", "admin-secret"
ORIGIN = "https://news.example"
CHAT = {"message": "why are Seoul and Tokyo getting closer?"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    shutil.copytree(DATA / "corpus_api", tmp_path / "corpus")
    built = Settings(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        db_path=tmp_path / "askbot.sqlite3",
        cors_origins=[ORIGIN],
        api_keys={"partner-bot": hash_key(BOT_KEY), "other-bot": hash_key(OTHER_KEY)},
        admin_key_hash=hash_key(ADMIN_KEY),
        reload_poll_seconds=0.1,
    )
    service.build(built, embedder=FakeEmbedder())
    return built


def client_for(settings: Settings, **options: bool) -> TestClient:
    # localhost: one of the host names served by default (TestClient's own is "testserver").
    app = create_app(settings, embedder=FakeEmbedder())
    return TestClient(app, base_url="http://localhost", **options)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with client_for(settings) as http:
        yield http


def test_hash_key_is_sha256_with_prefix() -> None:
    digest = hash_key("k")
    assert digest.startswith("sha256:") and len(digest) == 7 + 64
    assert hash_key("k") == digest != hash_key("K")


def test_malformed_key_hash_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="sha256"):
        AccessPolicy(Settings(api_keys={"bot": "md5:abc"}))


def test_no_key_no_origin_is_401_json(client: TestClient) -> None:
    response = client.post("/v1/chat", json=CHAT)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_wrong_key_is_401(client: TestClient) -> None:
    for headers in ({"Authorization": "Bearer nope"}, {"X-API-Key": "nope"}):
        assert client.post("/v1/chat", json=CHAT, headers=headers).status_code == 401
    # A wrong key is refused even from an allowed origin.
    response = client.post("/v1/chat", json=CHAT, headers={"X-API-Key": "no", "Origin": ORIGIN})
    assert response.status_code == 401


def test_right_key_in_either_header_is_served(client: TestClient) -> None:
    for headers in ({"Authorization": f"Bearer {BOT_KEY}"}, {"X-API-Key": OTHER_KEY}):
        response = client.post("/v1/chat", json=CHAT, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["decision"] in {"answer", "clarify", "fallback"}
    metrics = client.get("/metrics").text
    assert 'askbot_client_requests_total{client="partner-bot"} 1.0' in metrics
    assert 'askbot_client_requests_total{client="other-bot"} 1.0' in metrics


def test_allowed_origin_needs_no_key_but_other_origins_do(client: TestClient) -> None:
    allowed = client.post("/v1/chat", json=CHAT, headers={"Origin": ORIGIN})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert (
        client.post("/v1/chat", json=CHAT, headers={"Origin": "https://evil.example"}).status_code
        == 401
    )


def test_sec_fetch_site_alone_is_not_a_key(client: TestClient) -> None:
    forged = {"Sec-Fetch-Site": "same-origin"}
    assert client.get("/v1/collections", headers=forged).status_code == 401
    assert client.post("/v1/chat", json=CHAT, headers=forged).status_code == 401


def test_origin_equal_to_the_host_is_not_a_key(client: TestClient) -> None:
    # "Own origin" must not come from the request: both headers are the caller's to choose.
    for host in ("localhost", "localhost:8000"):
        forged = {"Host": host, "Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"}
        response = client.post("/v1/chat", json=CHAT, headers=forged)
        assert response.status_code == 401, host


def test_public_origin_serves_the_demo_page_without_a_key(settings: Settings) -> None:
    public = settings.model_copy(update={"public_origins": ["http://localhost:8000/"]})
    with client_for(public) as http:
        page = "http://localhost:8000"
        assert http.post("/v1/chat", json=CHAT, headers={"Origin": page}).status_code == 200
        # A same-origin GET carries no Origin, only the page in Referer.
        collections = http.get("/v1/collections", headers={"Referer": f"{page}/?collection=x"})
        assert collections.status_code == 200
        other = {"Referer": "http://localhost:9999/"}
        assert http.get("/v1/collections", headers=other).status_code == 401


def test_start_up_line_says_keyless_access_is_public(settings: Settings) -> None:
    said = AccessPolicy(settings).describe()
    assert ORIGIN in said and "PUBLIC" in said and "rate-limited per address" in said
    assert "demo page at / cannot chat" in said and "ASKBOT_PUBLIC_ORIGINS" in said
    public = settings.model_copy(update={"public_origins": ["https://faq.example"]})
    assert "demo page at / can chat" in AccessPolicy(public).describe()


def test_keyless_callers_get_their_own_smaller_rate(settings: Settings) -> None:
    rates = settings.model_copy(update={"rate_limit": "4/minute", "keyless_rate_limit": "2/minute"})
    with client_for(rates) as http:
        browser = [http.post("/v1/chat", json=CHAT, headers={"Origin": ORIGIN}) for _ in range(3)]
        assert [r.status_code for r in browser] == [200, 200, 429]
        assert browser[0].headers["ratelimit-limit"] == "2"
        bot = [http.post("/v1/chat", json=CHAT, headers={"X-API-Key": BOT_KEY}) for _ in range(5)]
        assert [r.status_code for r in bot] == [200, 200, 200, 200, 429]


def test_failed_admin_keys_count_against_the_address(settings: Settings) -> None:
    rates = settings.model_copy(update={"keyless_rate_limit": "3/minute"})
    with client_for(rates) as http:
        guesses = [
            http.post("/v1/admin/reload", headers={"X-API-Key": f"guess-{n}"}) for n in range(5)
        ]
        assert [r.status_code for r in guesses] == [401, 401, 401, 429, 429]
        assert guesses[-1].json()["error"]["code"] == "rate_limited"
        # The address's keyless allowance is spent too; a keyed bot is counted by its key.
        assert http.post("/v1/chat", json=CHAT, headers={"Origin": ORIGIN}).status_code == 429
        assert http.post("/v1/chat", json=CHAT, headers={"X-API-Key": BOT_KEY}).status_code == 200


def test_unknown_host_is_refused_but_probes_answer_any(client: TestClient) -> None:
    # DNS rebinding: a hostile page's own name reaches askbot's address.
    for path in ("/", "/v1/collections"):
        refused = client.get(path, headers={"Host": "evil.example", "Origin": ORIGIN})
        assert refused.status_code == 400, path
        assert refused.json()["error"]["code"] == "host_not_allowed"
    for host in ("localhost:8000", "127.0.0.1", "LOCALHOST"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path, headers={"Host": "10.1.2.3:8000"}).status_code == 200, path


def test_allowed_hosts_replace_the_defaults(settings: Settings) -> None:
    named = settings.model_copy(update={"allowed_hosts": ["faq.example.com", "*.askbot.test"]})
    with client_for(named) as http:
        for host, status in [
            ("faq.example.com", 200),
            ("FAQ.example.com:443", 200),
            ("eu.askbot.test", 200),
            ("askbot.test.evil.example", 400),
            ("localhost", 400),
        ]:
            assert http.get("/", headers={"Host": host}).status_code == status, host


def test_server_error_carries_the_security_headers(settings: Settings) -> None:
    app = create_app(settings, embedder=FakeEmbedder())

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as http:
        response = http.get("/v1/boom", headers={"X-API-Key": BOT_KEY})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_public_routes_stay_open(client: TestClient) -> None:
    for path in ("/", "/widget.js", "/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert client.get(path).status_code == 200, path


def test_admin_route_needs_the_admin_key(client: TestClient, settings: Settings) -> None:
    bot = client.post("/v1/admin/reload", headers={"X-API-Key": BOT_KEY})
    assert bot.status_code == 403 and bot.json()["error"]["code"] == "forbidden"
    assert client.post("/v1/admin/reload").status_code == 401
    started = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert started.status_code == 202 and started.json()["state"] == "running"
    status = client.get("/v1/admin/reload", headers={"X-API-Key": ADMIN_KEY})
    assert status.status_code == 200
    assert status.json()["state"] in {"running", "succeeded"}


def test_admin_routes_disabled_without_admin_key(settings: Settings) -> None:
    open_settings = settings.model_copy(update={"admin_key_hash": None})
    with client_for(open_settings) as http:
        response = http.post("/v1/admin/reload", headers={"X-API-Key": BOT_KEY})
        assert response.status_code == 403
        assert "disabled" in response.json()["error"]["message"]


def test_no_keys_configured_is_open_and_says_so(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    open_settings = settings.model_copy(update={"api_keys": {}, "admin_key_hash": None})
    with caplog.at_level("WARNING", logger="askbot.api"), client_for(open_settings) as http:
        assert http.post("/v1/chat", json=CHAT).status_code == 200
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "/v1 is OPEN" in said and "admin routes and /admin are DISABLED" in said


def test_rate_limit_429_with_headers(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit": "3/minute"})
    with client_for(limited) as http:
        headers = {"X-API-Key": BOT_KEY}
        ok = [http.post("/v1/chat", json=CHAT, headers=headers) for _ in range(3)]
        assert [r.status_code for r in ok] == [200, 200, 200]
        assert [r.headers["ratelimit-remaining"] for r in ok] == ["2", "1", "0"]
        assert ok[0].headers["ratelimit-limit"] == "3"
        refused = http.post("/v1/chat", json=CHAT, headers=headers)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert int(refused.headers["ratelimit-reset"]) <= 60
        assert refused.headers["ratelimit-remaining"] == "0"
        # Limits are per client: another key still has its whole allowance.
        other = http.post("/v1/chat", json=CHAT, headers={"X-API-Key": OTHER_KEY})
        assert other.status_code == 200
        # Probes are never limited.
        assert http.get("/readyz").status_code == 200


async def _hold(entered: asyncio.Event, release: asyncio.Event, send: Send) -> None:
    entered.set()
    await release.wait()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"done"})


def test_overload_is_shed_with_503() -> None:
    release, entered = asyncio.Event(), asyncio.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        await _hold(entered, release, send)

    shedder = LoadShedder(slow, max_in_flight=1)

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=shedder)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            first = asyncio.create_task(http.get("/v1/collections"))
            await entered.wait()
            second = await http.get("/v1/collections")
            release.set()
            return await first, second

    first, second = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert first.status_code == 200
    assert second.status_code == 503 and second.headers["retry-after"] == "1"
    assert second.json()["error"]["code"] == "overloaded"
    assert shedder.in_flight == 0


def test_one_client_cannot_take_every_slot() -> None:
    release, entered = asyncio.Event(), asyncio.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        await _hold(entered, release, send)

    settings = Settings(max_in_flight_per_client=1, rate_limit="", api_keys={"bot": hash_key("k")})
    guard = Guard(slow, settings=settings, policy=AccessPolicy(settings))

    async def scenario() -> list[httpx.Response]:
        responses = []
        key = {"X-API-Key": "k"}
        for n in range(3):  # a keyed bot is one client, whatever its address
            transport = httpx.ASGITransport(app=guard, client=(f"10.0.0.{n}", 1234))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                if n == 0:
                    first = asyncio.create_task(http.get("/v1/collections", headers=key))
                    await entered.wait()
                else:
                    responses.append(await http.get("/v1/collections", headers=key))
        release.set()
        return [await first, *responses]

    first, *refused = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert first.status_code == 200
    assert [r.status_code for r in refused] == [429, 429]
    assert refused[0].json()["error"]["code"] == "too_many_in_flight"
    assert refused[0].headers["retry-after"] == "1"
    assert guard.in_flight == {}


def test_body_that_stops_arriving_gets_408() -> None:
    reached = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["path"])

    async def stalls() -> AsyncIterator[bytes]:
        yield b'{"message": "hel'
        await asyncio.sleep(60)

    async def scenario() -> httpx.Response:
        transport = httpx.ASGITransport(app=BodyBuffer(app, max_bytes=1024, timeout=0.2))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return await http.post("/v1/chat", content=stalls())

    response = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert response.status_code == 408 and response.json()["error"]["code"] == "body_timeout"
    assert response.headers["connection"] == "close"
    assert reached == []  # nothing further in ran, so it held no slot


def test_chunked_body_over_the_limit_is_413(client: TestClient, settings: Settings) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"message": "'
        yield b"x" * settings.max_body_bytes
        yield b'"}'

    response = client.post(
        "/v1/chat",
        content=chunks(),
        headers={"Content-Type": "application/json", "X-API-Key": BOT_KEY},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


@pytest.mark.parametrize(
    "body",
    [b'{"message": "hi \xff\xfe there"}', b"\xff\xfe\xfd", b'{"message": "\xc3\x28"}'],
)
def test_invalid_utf8_is_422(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/v1/chat",
        content=body,
        headers={"Content-Type": "application/json", "X-API-Key": BOT_KEY},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] in {"invalid_body", "invalid_request"}


def test_lone_surrogates_and_control_characters_are_stripped(client: TestClient) -> None:
    body = json.dumps({"message": "why are Seoul\ud800 and Tokyo\x00 getting closer?"})
    response = client.post(
        "/v1/chat",
        content=body.encode(),
        headers={"Content-Type": "application/json", "X-API-Key": BOT_KEY},
    )
    assert response.status_code == 200, response.text
    only_junk = json.dumps({"message": "\ud800\x01"})
    response = client.post(
        "/v1/chat",
        content=only_junk.encode(),
        headers={"Content-Type": "application/json", "X-API-Key": BOT_KEY},
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "empty_message"


def test_surrogate_in_session_id_is_not_a_server_error(client: TestClient) -> None:
    body = json.dumps({"message": "hello", "session_id": "x\udc00"})
    response = client.post(
        "/v1/chat",
        content=body.encode(),
        headers={"Content-Type": "application/json", "X-API-Key": BOT_KEY},
    )
    assert response.status_code in {404, 422}


@pytest.mark.parametrize("path", ["/", "/widget.js", "/demo.css", "/readyz"])
def test_security_headers_on_pages(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_docs_page_keeps_working_without_the_strict_csp(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "content-security-policy" not in response.headers
