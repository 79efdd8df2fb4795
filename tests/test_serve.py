"""The real `askbot serve` process with 2 workers: a multi-turn conversation over HTTP."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from tests.servers import running_server

SEED = "south-korea-japan-relations"


def test_multi_turn_conversation_over_http(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=30) as http:
        assert http.get("/readyz").json()["status"] == "ready"
        first = http.post(
            "/v1/chat",
            json={"message": "why are Seoul and Tokyo getting closer?", "collection": SEED},
        ).json()
        assert first["decision"] == "answer"
        session = first["session_id"]
        # Several turns on fresh connections, so they can land on either worker.
        turns = []
        for message in [
            "will that lead to an alliance?",
            "tell me more",
            "how do I reset my password?",
            "1",
        ]:
            with httpx.Client(base_url=live_server, timeout=30) as fresh:
                turns.append(
                    fresh.post("/v1/chat", json={"message": message, "session_id": session}).json()
                )
        assert turns[0]["answer"]["question"] == "Could this lead to a broader alliance in Asia?"
        assert turns[1]["via"] == "more" and turns[1]["decision"] == "answer"
        assert turns[2]["decision"] == "fallback" and len(turns[2]["suggestions"]) == 6
        assert turns[3]["via"] == "clarification"
        assert turns[3]["answer"]["id"] == turns[2]["suggestions"][0]["id"]
        assert all(t["session_id"] == session for t in turns)
        feedback = http.post(
            "/v1/feedback",
            json={"session_id": session, "answer_id": turns[3]["answer"]["id"], "helpful": True},
        )
        assert feedback.status_code == 200 and feedback.json()["ok"] is True
        metrics = http.get("/metrics").text
        assert "askbot_chat_decisions_total" in metrics


def test_question_log_reaches_the_disk_when_the_server_stops(tmp_path: Path) -> None:
    # The question log is written in the background; stopping the server must flush it.
    messages = ["why are Seoul and Tokyo getting closer?", "how do I reset my password?"] * 3
    with running_server(tmp_path, workers=2) as server:
        for message in messages:
            with httpx.Client(base_url=server.url, timeout=30) as fresh:  # either worker
                assert fresh.post("/v1/chat", json={"message": message}).status_code == 200
    with sqlite3.connect(tmp_path / "askbot.sqlite3") as db:
        logged = [row[0] for row in db.execute("SELECT question FROM questions ORDER BY id")]
    assert sorted(logged) == sorted(messages)
