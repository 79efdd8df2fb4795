"""Two `askbot serve` processes, as two machines behind a load balancer would run them: one
PostgreSQL journal, one Redis for sessions and rate limits, one index folder (docs/scaling.md).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import wait_for
from tests.servers import Server, running_server

SEED = "south-korea-japan-relations"
RATE = 40  # per address per minute, shared by both processes through Redis
NEW_ENTRY = """
## Can I pay the passport fee by card?
Yes: the town hall takes cards and cash.
"""


@pytest.fixture
def two_servers(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> Iterator[tuple[Server, Server]]:
    # Redis database 5: this test's rate-limit counters start at zero.
    shared = dict(
        database_url=postgres_url,
        session_url=redis_url.rsplit("/", 1)[0] + "/5",
        rate_limit=f"{RATE}/minute",
        reload_poll_seconds="0.5",
    )
    with (
        running_server(tmp_path, workers=1, **shared) as first,  # builds the index
        running_server(tmp_path, workers=1, **shared) as second,  # finds it built
    ):
        yield first, second


def chat(server: Server, **body: object) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/chat", json=body, timeout=30)


def test_two_processes_share_conversations_limits_the_journal_and_the_index(
    two_servers: tuple[Server, Server], postgres_url: str
) -> None:
    first, second = two_servers
    assert first.url != second.url
    requests = 0

    # A conversation alternates between the two and keeps its context.
    opening = chat(first, message="why are Seoul and Tokyo getting closer?", collection=SEED)
    session = opening.json()["session_id"]
    follow_up = chat(second, message="will that lead to an alliance?", session_id=session)
    more = chat(first, message="tell me more", session_id=session)
    requests += 3
    assert opening.json()["decision"] == "answer"
    assert (
        follow_up.json()["answer"]["question"] == "Could this lead to a broader alliance in Asia?"
    )
    assert more.json()["via"] == "more" and more.json()["session_id"] == session
    verdict = httpx.post(
        f"{second.url}/v1/feedback",
        json={"session_id": session, "answer_id": more.json()["answer"]["id"], "helpful": False},
        timeout=30,
    )
    requests += 1
    assert verdict.status_code == 200

    # One `askbot report` sees the questions both failed to answer.
    for server, message in ((first, "where do I park my bicycle?"), (second, "is the pool open?")):
        assert chat(server, message=message).json()["decision"] == "fallback"
        requests += 1

    def report() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "askbot.cli", "report"],
            env=first.env, cwd=first.root, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert wait_for(lambda: "bicycle" in (r := report()) and "pool open" in r, 30)
    with psycopg.connect(postgres_url) as conn:
        ((logged,),) = conn.execute("SELECT count(*) FROM questions").fetchall()
        ((judged,),) = conn.execute("SELECT count(*) FROM feedback").fetchall()
    assert (logged, judged) == (5, 1)

    # A corpus change published by one machine is served by both.
    with (first.root / "corpus" / "passports.md").open("a") as corpus:
        corpus.write(NEW_ENTRY)
    done = subprocess.run(
        [sys.executable, "-m", "askbot.cli", "reload"],
        env=first.env, cwd=first.root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    def answers_the_new_entry(server: Server) -> bool:
        nonlocal requests
        requests += 1
        reply = chat(server, message="can I pay the passport fee with a card?").json()
        return (reply.get("answer") or {}).get("question") == "Can I pay the passport fee by card?"

    assert wait_for(lambda: answers_the_new_entry(first), 30)
    assert wait_for(lambda: answers_the_new_entry(second), 30)

    # The rate limit is one budget for both: RATE requests in all, then 429 from either.
    statuses = []
    for n in range(RATE - requests + 4):
        server = (first, second)[n % 2]
        statuses.append(chat(server, message="how long is a passport valid?").status_code)
    assert statuses.count(200) == RATE - requests
    assert statuses[RATE - requests :] == [429] * 4
