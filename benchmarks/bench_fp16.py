"""float16 against float32 HNSW storage: recall, answers, memory and speed on one corpus.

Uses a size that ``benchmarks/bench_scale.py --work DIR`` has built (its corpus and index under
``DIR/<size>/``). The corpus texts are encoded again in float32 with the same ONNX encoder (kept
in ``DIR/<size>/vectors-fp32.npy`` for reruns), and from those vectors three indexes are made:
exact search (``IndexFlatIP``), an HNSW graph over float32 vectors (``IndexHNSWFlat``) and the
one askbot builds, over float16 (``IndexHNSWSQ``), with the same M, efConstruction and efSearch. On real user questions it reports, for each:

- recall@10 and recall@64 against exact float32 search, and the median single-search time;
- the index's size in memory (serialised FAISS index: vectors plus graph);
- through ``Retriever.ask`` (the whole scoring, lexical part included): how often the top
  entry and the decision are the same as with exact float32 search, and as with float32 HNSW.

    python benchmarks/bench_fp16.py --work DIR [--size 100000] [--queries 300]

Prints Markdown tables. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
from bench_scale import settings_for
from common import DATASETS, queries

from askbot.embed import Vectors, ensure_encoder, load_query_embedder
from askbot.index import FaqIndex, entry_texts, load_index, vector_index
from askbot.retrieve import Retriever


def corpus_vectors(index: FaqIndex, settings_dir: Path, cache: Path) -> Vectors:
    """Every indexed text encoded in float32, in the index's row order (cached on disk)."""
    if cache.exists():
        vectors: Vectors = np.load(cache)
        return vectors
    texts = [text for entry in index.entries for _, text in entry_texts(entry)]
    if len(texts) != len(index.rows):
        raise RuntimeError("the corpus texts do not line up with the index rows")
    embedder = ensure_encoder(settings_for(settings_dir))  # the build's encoder
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for start in range(0, len(texts), 256):
        vectors[start : start + 256] = embedder.encode(texts[start : start + 256])
        print(f"encoded {start + 256}/{len(texts)}", file=sys.stderr, end="\r", flush=True)
    np.save(cache, vectors)
    return vectors


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, required=True, help="bench_scale.py's --work DIR")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300, help="real queries")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    args = parser.parse_args()
    folder = args.work / str(args.size)
    settings = settings_for(folder)
    saved = load_index(settings.index_dir)
    vectors = corpus_vectors(saved, args.work / "encoder", folder / "vectors-fp32.npy")
    texts = queries(args.datasets, args.queries)
    query_embedder = load_query_embedder(settings, threads=1)
    query_vectors = query_embedder.encode(texts)
    faiss.omp_set_num_threads(2)  # building is a batch job, as in askbot build

    variants: dict[str, FaqIndex] = {}
    built_s: dict[str, float] = {}
    for name, fp16 in (("exact float32", None), ("HNSW float32", False), ("HNSW float16", True)):
        started = time.perf_counter()
        if fp16 is None:
            faiss_index, index_type, params = vector_index(vectors, exact_limit=len(vectors))
        else:
            faiss_index, index_type, params = vector_index(vectors, exact_limit=0, fp16=fp16)
        built_s[name] = time.perf_counter() - started
        manifest = replace(saved.manifest, index_type=index_type, index_params=params)
        variants[name] = FaqIndex(
            manifest, saved.entries, saved.collections, faiss_index, saved.rows
        )
        print(f"built {name} in {built_s[name]:.0f} s", file=sys.stderr, flush=True)
    faiss.omp_set_num_threads(1)  # one thread per worker when serving

    exact_ids = variants["exact float32"].vectors.search(query_vectors, 64)[1]
    answers: dict[str, list[tuple[str | None, str]]] = {}
    print(f"\n{args.size:,} entries, {len(vectors):,} vectors, {len(texts)} real queries\n")
    print("| index | type | build (s) | in memory (MB) | recall@10 | recall@64 | search p50 (ms) |")
    print("|---|---|---|---|---|---|---|")
    for name, index in variants.items():
        approximate = index.vectors.search(query_vectors, 64)[1]
        recall = {
            k: float(
                np.mean(
                    [
                        len(set(a[:k]) & set(e[:k])) / k
                        for a, e in zip(approximate, exact_ids, strict=True)
                    ]
                )
            )
            for k in (10, 64)
        }
        times = []
        for vector in query_vectors:
            started = time.perf_counter()
            index.search(vector, 64)
            times.append((time.perf_counter() - started) * 1000)
        size_mb = faiss.serialize_index(index.vectors).nbytes / 1e6
        print(
            f"| {name} | {index.manifest.index_type} | {built_s[name]:.0f} | {size_mb:.0f} "
            f"| {recall[10]:.4f} | {recall[64]:.4f} | {statistics.median(times):.2f} |"
        )
        retriever = Retriever(index, query_embedder)
        replies = [retriever.ask(text) for text in texts]
        answers[name] = [
            (reply.candidates[0][0] if reply.candidates else None, reply.decision.value)
            for reply in replies
        ]

    print("\n| compared | same top entry | same decision |")
    print("|---|---|---|")
    for left, right in (
        ("HNSW float32", "exact float32"),
        ("HNSW float16", "exact float32"),
        ("HNSW float16", "HNSW float32"),
    ):
        pairs = list(zip(answers[left], answers[right], strict=True))
        top = sum(a[0] == b[0] for a, b in pairs) / len(pairs)
        decision = sum(a[1] == b[1] for a, b in pairs) / len(pairs)
        print(f"| {left} vs {right} | {top:.3f} | {decision:.3f} |")


if __name__ == "__main__":
    main()
