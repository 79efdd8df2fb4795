"""Where a serving worker's memory goes: RSS after each step of loading one index.

Runs the steps ``askbot serve --workers 1`` takes, in one process, on a size that
``benchmarks/bench_scale.py --work DIR`` has built, and prints the RSS after each:

    python benchmarks/profile_memory.py --work DIR [--size 100000]

Freed memory is not always returned to the system, so a step's figure is what it left resident,
not exactly what it holds. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import gc
import os
from pathlib import Path

from common import rss_mb


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, required=True, help="bench_scale.py's --work DIR")
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    steps: list[tuple[str, float]] = [("python", rss_mb(os.getpid()))]

    def step(name: str) -> None:
        gc.collect()
        steps.append((name, rss_mb(os.getpid())))

    from askbot import service
    from askbot.api import app as _app  # noqa: F401
    from askbot.config import Settings
    from askbot.conversation import Conversation
    from askbot.embed import load_query_embedder
    from askbot.embed import onnx_runtime as _onnx  # noqa: F401  (what a worker imports)
    from askbot.index import load_index
    from askbot.retrieve import Retriever

    step("imports (askbot, FastAPI, FAISS, onnxruntime)")
    folder = args.work / str(args.size)  # as bench_scale.py lays it out
    settings = Settings(corpus_dir=folder / "corpus", index_dir=folder / "index")
    manifest, built = service.ensure_built(settings)
    assert not built, "the index is stale: rebuild it with bench_scale.py first"
    del manifest
    step("freshness check (askbot serve)")
    embedder = load_query_embedder(settings)
    step("ONNX int8 query encoder")
    index = load_index(settings.index_dir)
    step(f"index ({index.manifest.index_type}, {index.manifest.entry_count:,} entries)")
    retriever = Retriever(index, embedder)
    step("Retriever (BM25 index)")
    conversation = Conversation(retriever)
    conversation.retriever.ask("how do I reset my password?")
    step("Conversation, one question")

    print(f"\n{args.size:,} entries\n")
    print("| step | RSS after (MB) | added (MB) |")
    print("|---|---|---|")
    previous = 0.0
    for name, rss in steps:
        print(f"| {name} | {rss:.0f} | {rss - previous:+.0f} |")
        previous = rss


if __name__ == "__main__":
    main()
