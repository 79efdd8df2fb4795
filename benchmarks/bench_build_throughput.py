"""How close a full build comes to the encoder's own batched throughput.

    python benchmarks/bench_build_throughput.py --work DIR [--sample 4000]

For each size ``bench_incremental.py --work DIR`` has built: the distinct texts its full build
encoded (each entry's question and question + answer, as `askbot build` embeds them, each text
once) per second of that build's wall time, start-up, parsing, indexing, fitting and writing
included; beside the same encoder alone on a random sample of those texts in one call (sorted
by length across the whole sample, so batches carry the least padding: its batched limit),
after one warm-up batch. Prints a Markdown table; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

from askbot.config import Settings
from askbot.corpus import load_corpus
from askbot.embed import ensure_encoder
from askbot.index.build import embed_texts
from askbot.index.texts import entry_texts


def measure(folder: Path, sample_size: int) -> tuple[int, float, float, float]:
    """Distinct texts, full-build seconds, the build's texts/s and the encoder's limit."""
    full = json.loads((folder / "full-build.json").read_text())["seconds"]
    corpus = load_corpus(folder / "corpus" / "bench.jsonl")  # the corpus the full build read
    texts = sorted({text for entry in corpus.entries() for _, text in entry_texts(entry)})
    encoder = ensure_encoder(Settings(corpus_dir=folder / "corpus", index_dir=folder / "index"))
    sample = random.Random(0).sample(texts, min(sample_size, len(texts)))
    embed_texts(sample[:256], encoder)  # warm-up
    started = time.perf_counter()
    encoder.encode(sample)
    limit = len(sample) / (time.perf_counter() - started)
    return len(texts), full, len(texts) / full, limit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="bench_incremental.py's --work")
    parser.add_argument("--sample", type=int, default=4000, help="texts the encoder is timed on")
    args = parser.parse_args()
    sizes = sorted((int(p.name), p) for p in args.work.iterdir() if p.name.isdigit() and p.is_dir())
    print(
        "| entries | distinct texts | full build s | build texts/s "
        "| encoder's batched limit texts/s | build / limit |"
    )
    print("|---|---|---|---|---|---|")
    for size, folder in sizes:
        texts, full, built, limit = measure(folder, args.sample)
        print(
            f"| {size:,} | {texts:,} | {full:.1f} | {built:.0f} | {limit:.0f} "
            f"| {built / limit:.2f} |"
        )
    print(f"\n({os.cpu_count()} cores; sample of {args.sample:,} texts per size)")


if __name__ == "__main__":
    main()
