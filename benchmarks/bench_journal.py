"""Does the journal hold up the event loop? A long closed-loop run at concurrency 32 against
`askbot serve --workers 2` whose journal already holds over a million questions, reading the
workers' own loop-lag histogram (``askbot_event_loop_lag_seconds``) before and after.

    python benchmarks/bench_journal.py                    # SQLite (the embedded default)
    python benchmarks/bench_journal.py --database-url postgresql://askbot:askbot@127.0.0.1/bench

A PostgreSQL database is used as given (give it an empty one). Each request is a new
conversation on the seed article, so every request writes a session and a question; the
journal's cap (1,000,000 questions) makes every flush trim the oldest rows too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench_http import CONCURRENCY, free_port, with_python, with_wrk
from common import DATASETS, REPO, queries, wait_ready
from prometheus_client.parser import text_string_to_metric_families

from askbot.store import DatabaseSessionStore, Journal, open_database

STALL_SECONDS = 0.1
DECISIONS = ("answer", "clarify", "fallback")


def fill(url: str | None, db_path: Path, questions: int, sessions: int, texts: list[str]) -> None:
    """Log ``questions`` questions and ``sessions`` sessions, as months of traffic would."""
    rng = random.Random(0)
    journal = Journal(open_database(url, db_path), flush_seconds=3600)  # flushes every 10,000
    for n in range(questions):
        journal.log_question(
            session_id=f"s{n // 3}", question=texts[n % len(texts)], collection=None,
            decision=DECISIONS[n % 3], confidence=rng.random(), answer_id=None,
            latency_ms=rng.uniform(1, 20),
        )  # fmt: skip
    journal.close()
    store = DatabaseSessionStore(open_database(url, db_path), ttl_seconds=1800)
    for n in range(sessions):
        store.put(f"old-{n}", {"turns": [texts[n % len(texts)]]})
    store.close()


def loop_lag(base: str) -> dict[float, float]:
    """The loop-lag histogram summed over the workers: cumulative count per bucket bound."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "askbot_event_loop_lag_seconds":
            for sample in family.samples:
                if sample.name.endswith("_bucket"):
                    bound = float(sample.labels["le"])
                    buckets[bound] = buckets.get(bound, 0.0) + sample.value
    return buckets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL; unset: a SQLite file")
    parser.add_argument("--questions", type=int, default=1_050_000)
    parser.add_argument("--sessions", type=int, default=150_000)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="askbot-bench-journal-"))
    shutil.copytree(REPO / "corpus", work / "corpus")
    texts = queries(args.datasets)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKBOT_")}
    env |= {
        "ASKBOT_CORPUS_DIR": str(work / "corpus"),
        "ASKBOT_INDEX_DIR": str(work / "index"),
        "ASKBOT_DB_PATH": str(work / "askbot.sqlite3"),
        "ASKBOT_RATE_LIMIT": "",  # one address sends all the load
        "ASKBOT_MAX_IN_FLIGHT_PER_CLIENT": "1000",
    }
    if args.database_url:
        env["ASKBOT_DATABASE_URL"] = args.database_url
    started = time.monotonic()
    fill(args.database_url, work / "askbot.sqlite3", args.questions, args.sessions, texts)
    print(f"journal filled in {time.monotonic() - started:.0f} s", file=sys.stderr)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "askbot.cli", "serve", "--workers", "2", "--port", str(port)]
    server = subprocess.Popen(command, env=env, cwd=work)
    try:
        wait_ready(f"{base}/readyz", server, timeout=600)
        before = loop_lag(base)
        seed = "south-korea-japan-relations"
        requests = [
            ("POST", "/v1/chat", json.dumps({"message": text, "collection": seed}))
            for text in texts
        ]
        if shutil.which("wrk"):
            ok, errors, took, p50, p99 = with_wrk(port, requests, args.seconds, work)
        else:
            ok, errors, took, p50, p99 = asyncio.run(with_python(port, requests, args.seconds))
        after = loop_lag(base)
    finally:
        server.terminate()
        server.wait(timeout=60)
    database = open_database(args.database_url, work / "askbot.sqlite3")
    ((logged,),) = database.fetchall("SELECT count(*) FROM questions")
    database.close()

    lag = {bound: after[bound] - before.get(bound, 0.0) for bound in after}
    probes = lag[float("inf")]
    stalls = probes - lag[STALL_SECONDS]
    worst = min((b for b in sorted(lag) if lag[b] == probes), default=float("inf"))
    store = "PostgreSQL" if args.database_url else "SQLite"
    print(f"| store | journal rows | seconds | requests ok | errors | p50 ms | p99 ms | "
          f"loop probes | lag > {STALL_SECONDS * 1000:.0f} ms | worst lag ≤ |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {store} | {logged:,} | {took:.0f} | {ok:,} | {errors} | {p50:.1f} | {p99:.1f} | "
          f"{probes:,.0f} | {stalls:.0f} | {worst * 1000:g} ms |")  # fmt: skip
    print(f"(concurrency {CONCURRENCY}, 2 workers; loop probed every 0.1 s per worker)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
