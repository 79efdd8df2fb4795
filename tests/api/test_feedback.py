"""``/v1/feedback``: only on an answer the session was shown, one verdict per answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from askbot import service
from askbot.api import create_app
from askbot.config import Settings
from askbot.embed import Embedder
from askbot.store import Journal
from tests.conftest import DATA

SEED = "south-korea-japan-relations"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    root = tmp_path_factory.mktemp("feedback")
    built = Settings(
        corpus_dir=DATA / "corpus_api",
        index_dir=root / "index",
        db_path=root / "askbot.sqlite3",
        rate_limit="",
    )
    service.build(built, embedder=embedder)
    return built


@pytest.fixture(scope="module")
def http(settings: Settings, embedder: Embedder) -> Iterator[TestClient]:
    app = create_app(settings, embedder=embedder)
    with TestClient(app, base_url="http://localhost") as client:
        yield client


def chat(http: TestClient, message: str, **extra: object) -> dict[str, object]:
    response = http.post("/v1/chat", json={"message": message, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def vote(http: TestClient, session: object, answer: object, helpful: bool) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = http.post(
        "/v1/feedback", json={"session_id": session, "answer_id": answer, "helpful": helpful}
    )
    return response.status_code, response.json()


def stored(settings: Settings, session: object) -> list[tuple[str, bool]]:
    journal = Journal(Path(settings.db_path))
    try:
        return [(f.answer_id, f.helpful) for f in journal.feedback() if f.session_id == session]
    finally:
        journal.close()


def test_feedback_on_an_answer_the_session_was_never_shown_is_refused(
    http: TestClient, settings: Settings
) -> None:
    shown = chat(http, "could this become a wider Asian alliance?", collection=SEED)
    other = chat(http, "why are Seoul and Tokyo getting closer?", collection=SEED)
    elsewhere = other["answer"]["id"]  # type: ignore[index]
    offered = shown["suggestions"][0]["id"]  # type: ignore[index]
    assert elsewhere != shown["answer"]["id"]  # type: ignore[index]
    # An indexed answer shown in another session, and a suggestion only offered in this one.
    for answer in (elsewhere, offered):
        status, body = vote(http, shown["session_id"], answer, helpful=False)
        assert status == 404 and body["error"]["code"] == "answer_not_shown"
        assert body["error"]["message"]
    assert stored(settings, shown["session_id"]) == []


def test_a_second_vote_on_the_same_answer_replaces_the_first(
    http: TestClient, settings: Settings
) -> None:
    reply = chat(http, "could this become a wider Asian alliance?", collection=SEED)
    session, answer = reply["session_id"], reply["answer"]["id"]  # type: ignore[index]
    status, first = vote(http, session, answer, helpful=True)
    assert status == 200
    for helpful in (False, False, True, False):
        status, again = vote(http, session, answer, helpful=helpful)
        assert status == 200 and again["id"] == first["id"]
    assert stored(settings, session) == [(answer, False)]


def test_an_answer_reached_by_tell_me_more_can_be_judged(
    http: TestClient, settings: Settings
) -> None:
    first = chat(http, "could this become a wider Asian alliance?", collection=SEED)
    more = chat(http, "tell me more", session_id=first["session_id"])
    assert more["decision"] == "answer"
    for reply in (first, more):
        status, _ = vote(http, first["session_id"], reply["answer"]["id"], helpful=True)  # type: ignore[index]
        assert status == 200
    assert len(stored(settings, first["session_id"])) == 2
