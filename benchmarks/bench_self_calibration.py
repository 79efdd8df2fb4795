"""What self-calibration adds to a build: the fit's time beside the build's, by collection size.

Collections with alternates, made from clinc150 (real phrasings): its FAQ as is (150 intents,
a question and 9 alternates each), then entries of its train and dev queries (each entry one
intent's queries, a question and the rest as alternates), up to ``MAX_ENTRIES``, where
self-calibration stops. For each: one build without self-calibration, encoding with the
serving encoder as ``askbot build`` does (ONNX int8, exported here once, both cores), then
``self_calibrations`` on the built index, median of ``--repeat`` runs (it re-ranks with the
stored vectors, so it never encodes). Prints a Markdown table.

    python benchmarks/bench_self_calibration.py [--repeat 3] [--datasets ../shared/datasets]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from common import DATASETS

from askbot.config import DEFAULT_MODEL
from askbot.corpus import FaqEntry, corpus_from_entries
from askbot.embed import model_name, resolve_model_path
from askbot.index import build_index
from askbot.onnx_embed import OnnxEmbedder, export_onnx
from askbot.retrieve.self_calibration import MAX_ENTRIES, self_calibrations


def clinc_faq(datasets: Path) -> list[FaqEntry]:
    """clinc150's FAQ: 150 intents, each a question and its alternates."""
    lines = (datasets / "clinc150" / "faq.jsonl").read_text().splitlines()
    items = [json.loads(line) for line in lines]
    return [
        FaqEntry(
            id=i["id"],
            collection="bench",
            question=i["question"],
            answer="",
            alternates=tuple(i.get("alternates", ())),
        )
        for i in items
    ]


def query_entries(datasets: Path, count: int) -> list[FaqEntry]:
    """``count`` entries of clinc150's train and dev queries, each one intent's phrasings."""
    by_intent: dict[str, list[str]] = {}
    for line in (datasets / "clinc150" / "queries.jsonl").read_text().splitlines():
        query = json.loads(line)
        if query.get("split") in ("train", "dev") and query["relevant"]:
            by_intent.setdefault(query["relevant"][0], []).append(query["query"])
    per_entry = sum(len(q) for q in by_intent.values()) // count
    entries = []
    for intent, texts in sorted(by_intent.items()):
        for start in range(0, len(texts) - per_entry + 1, per_entry):
            group = texts[start : start + per_entry]
            entries.append(
                FaqEntry(
                    id=f"{intent}-{start}",
                    collection="bench",
                    question=group[0],
                    answer="",
                    alternates=tuple(group[1:]),
                )
            )
    return entries[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    collections = {
        "clinc150 FAQ": clinc_faq(args.datasets),
        "1,500 entries": query_entries(args.datasets, 1_500),
        f"{MAX_ENTRIES:,} entries": query_entries(args.datasets, MAX_ENTRIES),
    }
    rows = []
    with tempfile.TemporaryDirectory() as work:
        export = export_onnx(
            resolve_model_path(DEFAULT_MODEL), Path(work), name=model_name(DEFAULT_MODEL)
        )
        embedder = OnnxEmbedder(export, threads=2)
        for name, entries in collections.items():
            started = time.perf_counter()
            index = build_index(corpus_from_entries(entries), embedder)
            build = time.perf_counter() - started
            fits = []
            fitted: dict[str, dict[str, float]] = {}
            for _ in range(args.repeat):
                started = time.perf_counter()
                fitted = self_calibrations(index)
                fits.append(time.perf_counter() - started)
            fit = statistics.median(fits)
            asked = int(fitted["bench"]["questions"]) if "bench" in fitted else 0
            alternates = sum(len(e.alternates) for e in entries)
            rows.append(
                f"| {name} | {len(entries):,} | {alternates:,} | {build:.1f} | {fit:.1f} | "
                f"{fit / build:.2f} | {asked:,} |"
            )
            print(rows[-1], flush=True)
    print("\n| collection | entries | alternates | build s | self-calibration s (median) | "
          "ratio | questions asked |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
