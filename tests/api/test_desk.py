"""The editors' desk's doors: sign-in, the session cookie, CSRF and origin checks, expiry."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from askbot import service
from askbot.api import create_app
from askbot.api.security import hash_key
from askbot.config import Settings
from tests.conftest import DATA, FakeEmbedder

KEY = "editor-desk-key-0123456789abcdef"
TEACH = {"collection": "passports", "action": "entry", "question": "Is there a fee?",
         "answer": "Yes, 80 euros."}  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    shutil.copytree(DATA / "corpus_api", tmp_path / "corpus")
    built = Settings(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        db_path=tmp_path / "askbot.sqlite3",
        admin_key_hash=hash_key(KEY),
        rate_limit="",
        session_ttl_seconds=2,
    )
    service.build(built, embedder=FakeEmbedder())
    return built


def client_for(settings: Settings, base: str = "http://localhost") -> TestClient:
    return TestClient(create_app(settings, embedder=FakeEmbedder()), base_url=base)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with client_for(settings) as c:
        yield c


def sign_in(client: TestClient, key: str = KEY) -> str:
    """Sign in through the form; the page's CSRF token."""
    response = client.post("/admin/login", data={"key": key}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    page = client.get("/admin")
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_the_desk_needs_a_signed_in_session(client: TestClient) -> None:
    first = client.get("/admin", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/admin/login"
    login = client.get("/admin/login")
    assert 'method="post"' in login.text and 'type="password"' in login.text
    wrong = client.post("/admin/login", data={"key": "not-the-key"}, follow_redirects=False)
    assert wrong.status_code == 401 and "not an admin key" in wrong.text
    assert "askbot_admin" not in wrong.headers.get("set-cookie", "")


def test_the_session_cookie_is_httponly_strict_and_the_key_stays_out_of_urls(
    client: TestClient,
) -> None:
    response = client.post("/admin/login", data={"key": KEY}, follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert "askbot_admin=" in cookie and KEY not in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the HTTPS case below
    assert KEY not in response.headers["location"]
    page = client.get("/admin")
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_over_https_the_cookie_is_secure(settings: Settings) -> None:
    with client_for(settings, "https://localhost") as client:
        response = client.post("/admin/login", data={"key": KEY}, follow_redirects=False)
        assert "Secure" in response.headers["set-cookie"]


def test_forged_posts_are_refused_and_change_nothing(
    client: TestClient, settings: Settings
) -> None:
    csrf = sign_in(client)
    no_token = client.post("/admin/teach", data=TEACH, follow_redirects=False)
    wrong_token = client.post(
        "/admin/teach", data={**TEACH, "csrf": "guess"}, follow_redirects=False
    )
    cross_site = client.post(
        "/admin/teach",
        data={**TEACH, "csrf": csrf},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert [r.status_code for r in (no_token, wrong_token, cross_site)] == [403, 403, 403]
    assert not (settings.corpus_dir / "_taught").exists()
    own = client.post(
        "/admin/teach",
        data={**TEACH, "csrf": csrf},
        headers={"Origin": "http://localhost"},
        follow_redirects=False,
    )
    assert own.status_code == 303 and own.headers["location"] == "/admin?done=taught"
    assert (settings.corpus_dir / "_taught" / "passports.json").exists()


def test_a_post_without_a_session_is_refused(client: TestClient, settings: Settings) -> None:
    csrf = sign_in(client)
    client.cookies.clear()
    refused = client.post("/admin/teach", data={**TEACH, "csrf": csrf}, follow_redirects=False)
    assert refused.status_code == 403
    assert not (settings.corpus_dir / "_taught").exists()


def test_an_idle_session_expires_and_sign_out_ends_it(client: TestClient) -> None:
    sign_in(client)
    time.sleep(2.5)  # ASKBOT_SESSION_TTL_SECONDS=2 in this test
    expired = client.get("/admin", follow_redirects=False)
    assert expired.headers["location"] == "/admin/login?expired=1"
    csrf = sign_in(client)
    out = client.post("/admin/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and 'askbot_admin=""' in out.headers["set-cookie"]
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_the_chat_api_cannot_reach_an_editors_session(client: TestClient) -> None:
    sign_in(client)
    reply = client.post("/v1/chat", json={"message": "hi", "session_id": "admin:abc"})
    assert reply.status_code == 422


def test_the_desk_is_off_without_an_admin_key(settings: Settings) -> None:
    with client_for(settings.model_copy(update={"admin_key_hash": None})) as client:
        refused = client.post("/admin/login", data={"key": KEY}, follow_redirects=False)
        assert refused.status_code == 403 and "disabled" in refused.text


def test_an_editor_signs_in_with_their_own_key_and_their_changes_carry_their_name(
    settings: Settings,
) -> None:
    alice = "alices-own-editor-key-0123456789"
    named = settings.model_copy(update={"admin_keys": {"alice": hash_key(alice)}})
    with client_for(named) as client:
        csrf = sign_in(client, alice)
        assert "Signed in as alice" in client.get("/admin").text
        client.post("/admin/teach", data={**TEACH, "csrf": csrf}, follow_redirects=False)
        assert "<td>alice</td>" in client.get("/admin").text
    log = (settings.corpus_dir / "_taught" / "passports.json").read_text()
    assert '"by": "alice"' in log


def test_sign_in_attempts_are_rate_limited_per_address(client: TestClient) -> None:
    codes = [
        client.post("/admin/login", data={"key": f"guess-{n}"}, follow_redirects=False).status_code
        for n in range(12)
    ]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    limited = client.post("/admin/login", data={"key": KEY}, follow_redirects=False)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in limited.headers


def log_question(client: TestClient, session: str, question: str, decision: str,
                 answer_id: str | None = None, via: str = "search") -> None:  # fmt: skip
    client.app.state.stores.journal.log_question(  # type: ignore[attr-defined]
        session_id=session, question=question, collection="passports", decision=decision,
        confidence=0.3, answer_id=answer_id, latency_ms=2.0, via=via,
    )  # fmt: skip


def test_a_group_is_dismissed_from_the_page_and_the_dismissal_undone(client: TestClient) -> None:
    log_question(client, "r1", "can my cat travel on my passport?", "fallback")
    csrf = sign_in(client)
    assert "“can my cat travel on my passport?”</h3>" in client.get("/admin").text
    dismissed = client.post(
        "/admin/dismiss",
        data={"csrf": csrf, "collection": "passports",
              "representative": "can my cat travel on my passport?",
              "wording": "can my cat travel on my passport?"},
        follow_redirects=False,
    )  # fmt: skip
    assert dismissed.headers["location"] == "/admin?done=dismissed"
    page = client.get("/admin").text
    assert "“can my cat travel on my passport?”</h3>" not in page
    assert "Groups dismissed" in page
    (dismissal,) = re.findall(r'name="dismissal" value="(\d+)"', page)
    back = client.post("/admin/undismiss", data={"csrf": csrf, "dismissal": dismissal},
                       follow_redirects=False)  # fmt: skip
    assert back.headers["location"] == "/admin?done=undismissed"
    assert "“can my cat travel on my passport?”</h3>" in client.get("/admin").text
    forged = client.post("/admin/dismiss", data={"representative": "x"}, follow_redirects=False)
    assert forged.status_code == 403


def test_readers_picks_are_shown_and_taught_as_a_wording_of_the_entry_picked(
    client: TestClient, settings: Settings
) -> None:
    renew = next(
        e
        for e in client.app.state.service.index.entries  # type: ignore[attr-defined]
        if e.question == "How do I renew my passport?"
    )
    log_question(client, "r1", "renew or replace it?", "clarify")
    log_question(client, "r1", "1", "answer", renew.id, via="clarification")
    csrf = sign_in(client)
    page = client.get("/admin").text
    assert "Picked “How do I renew my passport?”" in page and "“renew or replace it?”" in page
    taught = client.post(
        "/admin/teach",
        data={"csrf": csrf, "collection": "passports", "action": "alternate",
              "entry_id": renew.id, "question": "renew or replace it?",
              "wording": "renew or replace it?"},
        follow_redirects=False,
    )  # fmt: skip
    assert taught.headers["location"] == "/admin?done=taught"
    log = (settings.corpus_dir / "_taught" / "passports.json").read_text()
    assert "renew or replace it?" in log and renew.id in log
    assert "Picked “How do I renew my passport?”" not in client.get("/admin").text
