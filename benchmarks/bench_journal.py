"""Does the journal hold up the event loop? A long closed-loop run at concurrency 32 against
`askbot serve --workers 2` whose journal already holds over a million questions, reading the
workers' own histograms before and after: how late the loop woke
(``askbot_event_loop_lag_seconds``, whatever held it) and how long each store call held it
(``askbot_store_on_loop_seconds``, the journal's and the sessions' share).

    python benchmarks/bench_journal.py                    # SQLite (the embedded default)
    python benchmarks/bench_journal.py --database-url postgresql://askbot:askbot@127.0.0.1/bench

A PostgreSQL database is used as given (give it an empty one). Each request is a new
conversation on the seed article, so every request writes a session and a question; the
journal's cap (1,000,000 questions) makes every flush trim the oldest rows too. With
``--questions 0 --sessions 0`` the same load runs on an empty journal: a control for the lags
the load alone causes.
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
LAG, STORE = "askbot_event_loop_lag_seconds", "askbot_store_on_loop_seconds"
HISTOGRAMS = (LAG, STORE)
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


def histogram(base: str, name: str) -> dict[float, float]:
    """A histogram summed over the workers: cumulative count per bucket bound."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == name:
            for sample in family.samples:
                if sample.name.endswith("_bucket"):
                    bound = float(sample.labels["le"])
                    buckets[bound] = buckets.get(bound, 0.0) + sample.value
    return buckets


def worst(counts: dict[float, float]) -> str:
    """The smallest bucket bound that holds every observation."""
    total = counts[float("inf")]
    bound = min((b for b in sorted(counts) if counts[b] == total), default=float("inf"))
    return f"{bound * 1000:g} ms"


def spread(counts: dict[float, float]) -> str:
    """Observations per bucket, from the cumulative counts."""
    bounds = sorted(counts)
    cells = []
    for lower, upper in zip([None, *bounds], bounds, strict=False):
        n = counts[upper] - (counts[lower] if lower is not None else 0.0)
        if n:
            cells.append(f"{upper * 1000:g} ms {n:,.0f}")
    return ", ".join(cells)


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
        before = {name: histogram(base, name) for name in HISTOGRAMS}
        seed = "south-korea-japan-relations"
        requests = [
            ("POST", "/v1/chat", json.dumps({"message": text, "collection": seed}))
            for text in texts
        ]
        if shutil.which("wrk"):
            ok, errors, took, p50, p99 = with_wrk(port, requests, args.seconds, work)
        else:
            ok, errors, took, p50, p99 = asyncio.run(with_python(port, requests, args.seconds))
        after = {name: histogram(base, name) for name in HISTOGRAMS}
    finally:
        server.terminate()
        server.wait(timeout=60)
    database = open_database(args.database_url, work / "askbot.sqlite3")
    ((logged,),) = database.fetchall("SELECT count(*) FROM questions")
    database.close()

    lag, held = (
        {b: after[name][b] - before[name].get(b, 0.0) for b in after[name]} for name in HISTOGRAMS
    )
    probes = lag[float("inf")]
    stalls = probes - lag[STALL_SECONDS]
    store = "PostgreSQL" if args.database_url else "SQLite"
    print(f"| store | journal rows | seconds | requests ok | errors | p50 ms | p99 ms | "
          f"loop probes | lag > {STALL_SECONDS * 1000:.0f} ms | worst lag ≤ | store calls "
          f"on the loop | longest ≤ |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {store} | {logged:,} | {took:.0f} | {ok:,} | {errors} | {p50:.1f} | {p99:.1f} | "
          f"{probes:,.0f} | {stalls:.0f} | {worst(lag)} | {held[float('inf')]:,.0f} | "
          f"{worst(held)} |")  # fmt: skip
    print(f"(concurrency {CONCURRENCY}, 2 workers; loop probed every 0.1 s per worker)")
    for label, counts in (("loop lag", lag), ("store call on the loop", held)):
        print(f"{label} ≤: {spread(counts)}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
