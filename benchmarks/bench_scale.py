"""Scale benchmark: index build, approximate-search recall, latency and memory by corpus size.

For each size (synthetic entries made from the shared datasets, ``common.make_corpus``):

- ``askbot build``: wall time, peak RSS of the build process, size of the build on disk (the
  ONNX encoder is exported once beforehand, so neither its time nor torch's memory counts);
- recall@10 and recall@64 of the HNSW index against exact search over the same stored vectors
  (float16 past the limit: ``benchmarks/bench_fp16.py`` compares with float32), on real query
  embeddings (the saved index when the size is past ``ASKBOT_EXACT_SEARCH_LIMIT``, else one
  built here with the same parameters), and the single-query latency of each;
- ``Retriever.ask`` p50/p99 in-process (1 encoder thread);
- ``askbot serve --workers 1`` on the existing index: cold start (launch to ``/readyz`` 200),
  ``/v1/chat`` p50/p99 for one sequential client, and the worker's RSS after those requests.

    python benchmarks/bench_scale.py [--sizes 1000,10000,100000] [--work DIR]

With ``--work``, corpora and indexes are kept there, and a size whose build is recorded in
``DIR/<size>/build.json`` is not rebuilt (its build figures are marked as from an earlier run).
Prints Markdown tables. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
from common import (
    DATASETS,
    descendants,
    make_corpus,
    pct,
    queries,
    rss_mb,
    sequential,
    wait_ready,
)

from askbot import service
from askbot.config import Settings
from askbot.embed import ensure_encoder, load_query_embedder
from askbot.index import current_build, load_index, vector_index

TARGET_RATIO = 2.0
TARGET_RSS_MB = 700.0


def settings_for(folder: Path) -> Settings:
    """Settings of one size's corpus and index (everything else default)."""
    return Settings(
        corpus_dir=folder / "corpus", index_dir=folder / "index", db_path=folder / "db.sqlite3"
    )


def environment(settings: Settings) -> dict[str, str]:
    """This process's environment, with only the given settings as ``ASKBOT_*``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKBOT_")}
    env.update(
        ASKBOT_CORPUS_DIR=str(settings.corpus_dir),
        ASKBOT_INDEX_DIR=str(settings.index_dir),
        ASKBOT_DB_PATH=str(settings.db_path),
        ASKBOT_RATE_LIMIT="",
        ASKBOT_MAX_IN_FLIGHT="1000",
    )
    if "ASKBOT_EXACT_SEARCH_LIMIT" in os.environ:
        env["ASKBOT_EXACT_SEARCH_LIMIT"] = os.environ["ASKBOT_EXACT_SEARCH_LIMIT"]
    return env


# Runs a command and prints its peak RSS. The build is started from this small process, not from
# the benchmark: a child's maxrss counts the RSS of the process it was forked from.
PEAK_RSS = (
    "import resource, subprocess, sys; "
    "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def measure_build(settings: Settings, record: Path) -> dict[str, float | str | bool]:
    """Run ``askbot build`` in a fresh process: wall time, its peak RSS, the build's size."""
    command = [sys.executable, "-c", PEAK_RSS, sys.executable, "-m", "askbot.cli", "build"]
    started = time.perf_counter()
    done = subprocess.run(command, env=environment(settings), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"askbot build failed: {done.stderr[-2000:]}")
    build = current_build(settings.index_dir)
    manifest = json.loads((build / "manifest.json").read_text())
    result: dict[str, float | str | bool] = {
        "seconds": seconds,
        "peak_rss_mb": int(done.stdout.split()[-1]) / 1024,  # Linux reports kilobytes
        "disk_mb": sum(p.stat().st_size for p in build.iterdir()) / 1e6,
        "vectors": manifest["vector_count"],
        "index": manifest.get("index_type", "flat"),
        "reused": False,
    }
    record.write_text(json.dumps(result))
    return result


def measure_search(
    settings: Settings, vectors: np.ndarray, ks: tuple[int, ...] = (10, 64)
) -> dict[str, float]:
    """Recall@k of HNSW against exact search, and each one's single-query latency (ms)."""
    index = load_index(settings.index_dir)
    matrix = np.asarray(index.matrix, dtype=np.float32)  # float16 in an hnsw-fp16 build
    _, exact = faiss.knn(vectors, matrix, max(ks), metric=faiss.METRIC_INNER_PRODUCT)
    if index.manifest.index_type.startswith("hnsw"):
        hnsw = index.vectors
    else:  # below the threshold: the same HNSW the build would make past it
        hnsw, _, _ = vector_index(matrix, exact_limit=0)
    hnsw.hnsw.efSearch = max(hnsw.hnsw.efSearch, max(ks))
    _, approximate = hnsw.search(vectors, max(ks))
    result = {
        f"recall@{k}": float(
            np.mean(
                [len(set(a[:k]) & set(e[:k])) / k for a, e in zip(approximate, exact, strict=True)]
            )
        )
        for k in ks
    }
    flat = faiss.IndexFlatIP(matrix.shape[1])
    flat.add(matrix)
    for name, target in (("flat_ms", flat), ("hnsw_ms", hnsw)):
        times = []
        for vector in vectors:
            started = time.perf_counter()
            target.search(vector.reshape(1, -1), 64)
            times.append((time.perf_counter() - started) * 1000)
        result[name] = statistics.median(times)
    return result


def measure_ask(settings: Settings, texts: list[str]) -> dict[str, float]:
    """``Retriever.ask`` latency in-process (ms), one encoder thread as when serving."""
    embedder = load_query_embedder(settings, threads=1)
    retriever = service.open_service(settings, embedder=embedder).retriever
    for text in texts[:20]:
        retriever.ask(text)
    times = []
    for text in texts:
        started = time.perf_counter()
        retriever.ask(text)
        times.append((time.perf_counter() - started) * 1000)
    return {"ask_p50": statistics.median(times), "ask_p99": pct(times, 99)}


def measure_serve(settings: Settings, texts: list[str], port: int) -> dict[str, float]:
    """Cold start, sequential /v1/chat latency and worker RSS of ``askbot serve``."""
    command = [sys.executable, "-m", "askbot.cli", "serve", "--port", str(port), "--workers", "1"]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=environment(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/readyz", process, timeout=900)
        cold = time.perf_counter() - started
        sequential(base, texts[:20])  # warm up
        latencies = sequential(base, texts)
        rss = max(rss_mb(pid) for pid in [process.pid, *descendants(process.pid)])
    finally:
        process.terminate()
        process.wait(timeout=60)
    return {
        "cold_s": cold,
        "http_p50": statistics.median(latencies),
        "http_p99": pct(latencies, 99),
        "rss_mb": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated sizes")
    parser.add_argument("--work", type=Path, help="keep corpora and indexes here (and reuse)")
    parser.add_argument("--queries", type=int, default=300, help="real queries per measure")
    parser.add_argument("--port", type=int, default=18941)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="askbot-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    texts = queries(args.datasets, args.queries)

    # Export the ONNX encoder once; every size's index links to it.
    shared = settings_for(work / "encoder")
    ensure_encoder(shared)
    embedder = load_query_embedder(shared, threads=1)
    query_vectors = embedder.encode(texts)

    results: dict[int, dict[str, float | str | bool]] = {}
    for size in sizes:
        folder = work / str(size)
        settings = settings_for(folder)
        make_corpus(args.datasets, size, settings.corpus_dir)
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        link = settings.index_dir / "encoders"
        if not link.exists():
            link.symlink_to((shared.index_dir / "encoders").resolve())
        record = folder / "build.json"
        if args.work and record.exists():
            built = {**json.loads(record.read_text()), "reused": True}
        else:
            built = measure_build(settings, record)
        print(f"{size}: built {built}", file=sys.stderr, flush=True)
        results[size] = {**built, **measure_search(settings, query_vectors)}
        results[size].update(measure_ask(settings, texts))
        gc.collect()
        results[size].update(measure_serve(settings, texts, args.port))
        print(f"{size}: {results[size]}", file=sys.stderr, flush=True)

    print(f"\n{len(texts)} real queries (clinc150 test, covidfaq), {os.cpu_count()} cores\n")
    print("| entries | vectors | index | build (s) | build peak RSS (MB) | on disk (MB) |")
    print("|---|---|---|---|---|---|")
    for size, r in results.items():
        mark = " †" if r["reused"] else ""
        print(
            f"| {size:,} | {r['vectors']:,} | {r['index']} | {r['seconds']:.0f}{mark} "
            f"| {r['peak_rss_mb']:.0f}{mark} | {r['disk_mb']:.0f} |"
        )
    if any(r["reused"] for r in results.values()):
        print("\n† measured by an earlier run of this script (`--work`), not this one.")
    print(
        "\n| entries | vectors | HNSW recall@10 | HNSW recall@64 | flat search (ms) | HNSW search (ms) |"
    )
    print("|---|---|---|---|---|---|")
    for size, r in results.items():
        print(
            f"| {size:,} | {r['vectors']:,} | {r['recall@10']:.4f} | {r['recall@64']:.4f} "
            f"| {r['flat_ms']:.2f} | {r['hnsw_ms']:.2f} |"
        )
    print(
        "\n| entries | Retriever.ask p50 (ms) | p99 (ms) | cold start (s) | worker RSS (MB) "
        "| /v1/chat p50 (ms) | p99 (ms) |"
    )
    print("|---|---|---|---|---|---|---|")
    for size, r in results.items():
        print(
            f"| {size:,} | {r['ask_p50']:.1f} | {r['ask_p99']:.1f} | {r['cold_s']:.1f} "
            f"| {r['rss_mb']:.0f} | {r['http_p50']:.1f} | {r['http_p99']:.1f} |"
        )
    smallest, largest = min(results), max(results)
    if smallest != largest:
        small, large = results[smallest], results[largest]
        print(f"\n| ratio {largest:,} / {smallest:,} entries | value | target |")
        print("|---|---|---|")
        for label, key in (("Retriever.ask p50", "ask_p50"), ("/v1/chat p50", "http_p50")):
            ratio = float(large[key]) / float(small[key])
            print(f"| {label} | {ratio:.2f}x | ≤ {TARGET_RATIO:.0f}x |")
        print(
            f"| worker RSS at {largest:,} | {large['rss_mb']:.0f} MB | ≤ {TARGET_RSS_MB:.0f} MB |"
        )
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
