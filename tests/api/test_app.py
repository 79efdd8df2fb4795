"""The HTTP API through ``with TestClient(base_url="http://localhost", app=create_app(...))``: every endpoint, every bad input."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from askbot import service
from askbot.api import create_app
from askbot.config import Settings
from askbot.embed import Embedder
from tests.conftest import DATA, wait_for

SEED = "south-korea-japan-relations"


@pytest.fixture(scope="module")
def api_dirs(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    root = tmp_path_factory.mktemp("api")
    settings = Settings(
        corpus_dir=DATA / "corpus_api", index_dir=root / "index", db_path=root / "askbot.sqlite3"
    )
    service.build(settings, embedder=embedder)  # as `askbot build` does
    return settings


@pytest.fixture(scope="module")
def client(api_dirs: Settings, embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(
        base_url="http://localhost", app=create_app(api_dirs, embedder=embedder)
    ) as test_client:
        yield test_client


def chat(client: TestClient, message: str, **extra: object) -> dict[str, object]:
    response = client.post("/v1/chat", json={"message": message, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "reason": None, "index": None}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_not_ready_without_index(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(
        corpus_dir=DATA / "corpus_api", index_dir=tmp_path / "none", db_path=tmp_path / "db"
    )
    with TestClient(
        base_url="http://localhost", app=create_app(settings, embedder=embedder)
    ) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "no index" in ready.json()["reason"]
        response = client.post("/v1/chat", json={"message": "hello"})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "not_ready"
        assert str(tmp_path) not in ready.text + response.text  # paths go to the log only
        assert client.get("/healthz").status_code == 200


def test_collections(client: TestClient) -> None:
    listed = client.get("/v1/collections").json()["collections"]
    assert {c["id"]: c["count"] for c in listed} == {"passports": 3, SEED: 6}
    detail = client.get(f"/v1/collections/{SEED}").json()
    assert detail["summary"].startswith("Recently, South Korea and Japan")
    assert len(detail["questions"]) == 6
    missing = client.get("/v1/collections/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_collection"


def test_answer_then_follow_up_in_context(client: TestClient) -> None:
    first = chat(client, "why are Seoul and Tokyo getting closer?", collection=SEED)
    assert first["decision"] == "answer"
    assert first["answer"]["question"].startswith("What prompted")  # type: ignore[index]
    assert first["suggestions"] and first["session_id"]
    follow = chat(client, "will that lead to an alliance?", session_id=first["session_id"])
    assert follow["session_id"] == first["session_id"]
    assert follow["decision"] == "answer"
    assert follow["answer"]["question"] == "Could this lead to a broader alliance in Asia?"  # type: ignore[index]


def test_tell_me_more_moves_on(client: TestClient) -> None:
    first = chat(client, "could this become a wider Asian alliance?", collection=SEED)
    more = chat(client, "tell me more", session_id=first["session_id"])
    assert more["via"] == "more" and more["decision"] == "answer"
    assert more["answer"]["id"] != first["answer"]["id"]  # type: ignore[index]


@pytest.mark.parametrize("pick", ["2", "the second one", "BY_ID", "BY_TEXT"])
def test_clarification_is_picked_by_number_text_or_id(client: TestClient, pick: str) -> None:
    asked = chat(client, "passport form", collection="passports")
    assert asked["decision"] == "clarify" and asked["answer"] is None
    options = asked["alternatives"]
    assert len(options) >= 2  # type: ignore[arg-type]
    second = options[1]  # type: ignore[index]
    message = {"BY_ID": second["id"], "BY_TEXT": second["question"].lower()}.get(pick, pick)
    picked = chat(client, message, session_id=asked["session_id"])
    assert picked["decision"] == "answer" and picked["via"] == "clarification"
    assert picked["answer"]["id"] == second["id"]  # type: ignore[index]


def test_fallback_offers_the_collection_questions(client: TestClient) -> None:
    reply = chat(client, "what's the weather in Paris tomorrow?", collection=SEED)
    assert reply["decision"] == "fallback" and reply["answer"] is None
    assert len(reply["suggestions"]) == 6  # type: ignore[arg-type]
    assert "don't know" in reply["message"]  # type: ignore[operator]


def test_small_talk_is_answered_in_kind_and_a_follow_up_still_leans_on_the_question(
    client: TestClient,
) -> None:
    first = chat(client, "why are Seoul and Tokyo getting closer?", collection=SEED)
    hello = chat(client, "hello!", session_id=first["session_id"])
    assert hello["decision"] == "fallback" and hello["via"] == "small-talk"
    assert hello["confidence"] == 0 and hello["alternatives"] == []
    assert "Hello" in hello["message"] and 0 < len(hello["suggestions"]) <= 3  # type: ignore[arg-type,operator]
    china = chat(client, "and what about china?", session_id=first["session_id"])
    assert china["decision"] == "answer" and china["via"] == "follow-up"
    assert "China" in china["answer"]["question"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"message": ""}, 422, "empty_message"),
        ({"message": "   \n\t "}, 422, "empty_message"),
        ({"message": "\x00\x01\x02"}, 422, "empty_message"),
        ({"message": "x" * 1001}, 422, "message_too_long"),
        ({"message": 42}, 422, "invalid_request"),
        ({"message": ["a"]}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        ({"message": "hi", "extra": 1}, 422, "invalid_request"),
        ({"message": "hi", "session_id": "no-such-session"}, 404, "unknown_session"),
        ({"message": "hi", "session_id": "../../etc"}, 422, "invalid_request"),
        ({"message": "hi", "collection": "nope"}, 404, "unknown_collection"),
    ],
)
def test_bad_chat_input_is_a_clear_4xx(
    client: TestClient, body: dict[str, object], status: int, code: str
) -> None:
    response = client.post("/v1/chat", json=body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_malformed_json_oversized_body_and_wrong_method(client: TestClient) -> None:
    bad = client.post(
        "/v1/chat", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    huge = client.post("/v1/chat", json={"message": "x" * 20000})
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "body_too_large"
    binary = client.post(
        "/v1/chat", content=b"\xff\xfe\x00garbage", headers={"content-type": "application/json"}
    )
    assert binary.status_code == 422
    wrong = client.get("/v1/chat")
    assert wrong.status_code == 405 and "error" in wrong.json()


def test_control_characters_are_stripped(client: TestClient) -> None:
    reply = chat(client, "could this become a wider\x07 Asian alliance?\x1b", collection=SEED)
    assert reply["understood_as"] == "could this become a wider Asian alliance?"


def test_feedback_is_stored(client: TestClient, api_dirs: Settings) -> None:
    reply = chat(client, "could this become a wider Asian alliance?", collection=SEED)
    answer_id = reply["answer"]["id"]  # type: ignore[index]
    response = client.post(
        "/v1/feedback",
        json={
            "session_id": reply["session_id"],
            "answer_id": answer_id,
            "helpful": False,
            "comment": "too vague",
        },
    )
    assert response.status_code == 200 and response.json()["ok"] is True
    with sqlite3.connect(api_dirs.db_path) as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
        feedback_table = next(t for t in tables if "feedback" in t)
        rows = db.execute(f"select * from {feedback_table}").fetchall()
    assert any(answer_id in row and "too vague" in row for row in rows)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"session_id": "nope", "answer_id": "x", "helpful": True}, 404),
        ({"session_id": "s", "helpful": True}, 422),
        ({"session_id": "s", "answer_id": "x", "helpful": "maybe"}, 422),
    ],
)
def test_bad_feedback(client: TestClient, body: dict[str, object], status: int) -> None:
    assert client.post("/v1/feedback", json=body).status_code == status


def test_feedback_for_unknown_answer(client: TestClient) -> None:
    session = chat(client, "hello", collection=SEED)["session_id"]
    response = client.post(
        "/v1/feedback", json={"session_id": session, "answer_id": "nope", "helpful": True}
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "answer_not_shown"


def test_metrics_count_requests_and_decisions(client: TestClient) -> None:
    chat(client, "could this become a wider Asian alliance?", collection=SEED)
    text = client.get("/metrics").text
    assert 'askbot_chat_decisions_total{decision="answer"}' in text
    assert 'askbot_http_requests_total{method="POST",route="/v1/chat",status="200"}' in text
    assert "askbot_http_request_seconds_bucket" in text
    # A new session: the question logged and the session written, each timed on the loop.
    held = re.search(r"^askbot_store_on_loop_seconds_count (\S+)$", text, re.M)
    assert held is not None and float(held.group(1)) >= 2

    def lag_probes() -> float:
        found = re.search(
            r"^askbot_event_loop_lag_seconds_count (\S+)$", client.get("/metrics").text, re.M
        )
        return float(found.group(1)) if found else 0.0

    assert wait_for(lambda: lag_probes() >= 2, 10)  # the loop-lag probe wakes every 0.1 s


def test_openapi_documents_the_versioned_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/v1/chat",
        "/v1/feedback",
        "/v1/collections",
        "/v1/collections/{collection_id}",
    } <= set(paths)
    assert client.get("/docs").status_code == 200


def test_demo_page_and_widget(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'data-collection="passports"' in page.text or f'data-collection="{SEED}"' in page.text
    assert "{{" not in page.text
    widget = client.get("/widget.js")
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]


def test_sessions_in_redis_carry_the_conversation(
    api_dirs: Settings, embedder: Embedder, redis_url: str
) -> None:
    # The chat coroutine calls Redis from a worker thread, SQLite on its event loop.
    import redis

    settings = api_dirs.model_copy(update={"session_url": redis_url})
    with TestClient(
        base_url="http://localhost", app=create_app(settings, embedder=embedder)
    ) as client:
        first = chat(client, "could this become a wider Asian alliance?", collection=SEED)
        more = chat(client, "tell me more", session_id=first["session_id"])  # needs the state
        assert more["via"] == "more" and more["answer"]["id"] != first["answer"]["id"]  # type: ignore[index]
        assert redis.Redis.from_url(redis_url).exists(f"askbot:session:{first['session_id']}")
        gone = client.post("/v1/chat", json={"message": "why?", "session_id": "nope"})
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "unknown_session"
