"""What fitting on a collection's alternates adds to a build: the phrasing classifier's and
the self-calibration's time beside the build's, by collection size.

Collections with alternates, made from clinc150 (real phrasings): its FAQ as is (150 intents,
a question and 9 alternates each), then entries of its train and dev queries (each entry one
intent's queries, a question and the rest as alternates), up to the classifier's
``MAX_ENTRIES`` and self-calibration's, where each stops. For each: one build without either,
encoding with the serving encoder as ``askbot build`` does (ONNX int8, exported here once,
both cores), then ``fit_classifiers`` and ``self_calibrations`` on the built index (which fits
a classifier in each of its rounds where the collection has one), median of ``--repeat`` runs
(both work on the stored vectors, so neither encodes). Prints a Markdown table.

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

from askbot.config import Settings
from askbot.corpus import FaqEntry, corpus_from_entries
from askbot.fit import fit_classifiers, phrasing, self_calibration, self_calibrations
from askbot.index import build_index
from askbot.service import batch_embedder


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
    collections = {"clinc150 FAQ": clinc_faq(args.datasets)}
    for size in (phrasing.MAX_ENTRIES, self_calibration.MAX_ENTRIES):
        entries = query_entries(args.datasets, size)  # fewer when intents run out of queries
        collections[f"{len(entries):,} entries"] = entries
    rows = []
    with tempfile.TemporaryDirectory() as work:
        embedder = batch_embedder(Settings(index_dir=Path(work)))  # as askbot build encodes
        for name, entries in collections.items():
            started = time.perf_counter()
            index = build_index(corpus_from_entries(entries), embedder)
            build = time.perf_counter() - started
            classify, calibrate = [], []
            fitted: dict[str, dict[str, float]] = {}
            for _ in range(args.repeat):
                started = time.perf_counter()
                for collection, weights in fit_classifiers(index).items():
                    index.set_classifier(collection, weights)
                classify.append(time.perf_counter() - started)
                started = time.perf_counter()
                fitted = self_calibrations(index)
                calibrate.append(time.perf_counter() - started)
            classifier, calibration = statistics.median(classify), statistics.median(calibrate)
            asked = int(fitted["bench"]["questions"]) if "bench" in fitted else 0
            alternates = sum(len(e.alternates) for e in entries)
            rows.append(
                f"| {name} | {len(entries):,} | {alternates:,} | {build:.1f} | "
                f"{'yes' if index.classifiers else 'no'} | {classifier:.1f} | {calibration:.1f} | "
                f"{(classifier + calibration) / build:.2f} | {asked:,} |"
            )
            print(rows[-1], flush=True)
    print("\n| collection | entries | alternates | build s | classifier | classifier s | "
          "self-calibration s | ratio to build | questions asked |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
