"""The real `askbot serve` process with 2 workers: conversations, connections, failures."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from askbot.api.workers import Supervisor
from tests.conftest import DATA, free_port, wait_for
from tests.servers import askbot_env, running_server

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


def test_each_worker_takes_a_share_of_a_burst_of_connections(tmp_path: Path) -> None:
    # uvicorn's one shared socket let whichever worker woke first accept a whole burst (3 of 32
    # went to the other worker here). Each worker now has its own SO_REUSEPORT socket and the
    # kernel spreads connections by hash: 24 land 12 ± 2.4 per worker, never 0 or 1 (p < 1e-5).
    with running_server(tmp_path, workers=2) as server:
        # A worker joins the group when its app is loaded; the first answered /readyz already.
        assert wait_for(server.workers_listening, 60)
        clients = [
            http.client.HTTPConnection("127.0.0.1", server.port, timeout=30) for _ in range(24)
        ]
        for client in clients:
            client.connect()  # all open before any request: a burst
        for client in clients:  # a request each, so every connection has been accepted
            client.request("GET", "/healthz")
            response = client.getresponse()
            assert response.status == 200 and response.read()
        held = [server.sockets(pid) for pid in server.worker_pids()]
        for client in clients:
            client.close()
    assert sum(held) == 24 and min(held) >= 2, held


def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    with running_server(tmp_path, workers=2) as server:
        killed = server.worker_pids()[0]
        os.kill(killed, signal.SIGKILL)

        def replaced_and_listening() -> bool:
            pids = server.worker_pids()
            return len(pids) == 2 and killed not in pids and server.workers_listening()

        assert wait_for(replaced_and_listening, 90), server.log()
        # Every fresh connection is served: the dead worker's socket left the group with it,
        # and the new one joins only once its app is loaded.
        for _ in range(20):
            with httpx.Client(base_url=server.url, timeout=30) as fresh:
                assert fresh.get("/readyz").status_code == 200


@pytest.mark.slow
def test_forwarded_for_is_believed_only_from_configured_proxies(tmp_path: Path) -> None:
    def statuses(server_url: str) -> list[int]:
        return [
            httpx.post(
                f"{server_url}/v1/chat",
                json={"message": "why are Seoul and Tokyo getting closer?"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
                timeout=30,
            ).status_code
            for n in range(3)
        ]

    # By default the client is the TCP peer, whatever it claims: one address, one allowance.
    with running_server(tmp_path, workers=1, rate_limit="2/minute") as server:
        assert statuses(server.url) == [200, 200, 429]
    # Behind a configured proxy, each forwarded client has its own.
    proxied = {"rate_limit": "2/minute", "forwarded_allow_ips": '["127.0.0.1"]'}
    with running_server(tmp_path, workers=1, **proxied) as server:
        assert statuses(server.url) == [200, 200, 200]


def test_serve_says_so_at_once_when_its_port_is_taken(tmp_path: Path) -> None:
    shutil.copytree(DATA / "corpus_api", tmp_path / "corpus")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "askbot.cli", "serve", "--port", str(port), "--workers", "2"],
            cwd=tmp_path,
            env=askbot_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert not (tmp_path / "index").exists()  # nothing was built for a server that cannot run


def test_supervisor_gives_up_when_workers_cannot_start() -> None:
    # The same app would fail the same way in every replacement: stop instead of looping.
    config = {
        "app": "tests.no_such_module:app",
        "factory": True,
        "host": "127.0.0.1",
        "port": free_port(),
        "log_level": "critical",
    }
    assert Supervisor(config, workers=2).run() is False


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 CPUs to pin 2 workers")
def test_pinned_workers_each_run_on_their_own_cpu(tmp_path: Path) -> None:
    with running_server(tmp_path, workers=2, pin_workers="true") as server:
        cpus = [os.sched_getaffinity(pid) for pid in server.worker_pids()]
        # Every thread too: the encoder's and the request threads' inherit it.
        threads = {
            frozenset(os.sched_getaffinity(int(task.name)))
            for pid in server.worker_pids()
            for task in Path(f"/proc/{pid}/task").iterdir()
        }
    assert all(len(cpu) == 1 for cpu in cpus) and cpus[0] != cpus[1], cpus
    assert threads == {frozenset(cpu) for cpu in cpus}
