"""Fit the default confidence calibration and measure the decision thresholds.

Fits ``Calibration`` (logistic regression of "top-1 is right" on top score and margin) on
clinc150's *train* split, with 20 % of intents held out of the index so their questions
become out-of-scope, then prints the fitted weights and how the default decision thresholds
behave on clinc150's *dev* split. Never touches a test split.

    python scripts/fit_calibration.py [--datasets ../shared/datasets]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from askbot.config import DEFAULT_MODEL
from askbot.corpus import FaqEntry, corpus_from_entries
from askbot.embed import load_embedder
from askbot.index import build_index
from askbot.retrieve import Calibration, Retriever

REPO = Path(__file__).resolve().parent.parent


def load_set(
    folder: Path, split: str, held_out: float, seed: int = 0
) -> tuple[list[FaqEntry], list[tuple[str, set[str]]]]:
    faq = [json.loads(line) for line in (folder / "faq.jsonl").read_text().splitlines() if line]
    keys = sorted(item["id"] for item in faq)
    removed = set(random.Random(seed).sample(keys, int(len(keys) * held_out)))
    entries = [
        FaqEntry(
            id=item["id"],
            collection=folder.name,
            question=item["question"],
            answer=item.get("answer", ""),
            alternates=tuple(item.get("alternates", [])),
        )
        for item in faq
        if item["id"] not in removed
    ]
    queries = []
    for line in (folder / "queries.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("split", split) == split:
            queries.append((record["query"], set(record["relevant"]) - removed))
    return entries, queries


def features(
    retriever: Retriever, queries: list[tuple[str, set[str]]]
) -> tuple[np.ndarray, np.ndarray]:
    answers = []
    for start in range(0, len(queries), 256):
        answers += retriever.ask_many([q for q, _ in queries[start : start + 256]])
    rows, labels = [], []
    for answer, (_, relevant) in zip(answers, queries, strict=True):
        scores = [s for _, s in answer.candidates]
        margin = scores[0] - scores[1] if len(scores) > 1 else scores[0]
        rows.append((scores[0], margin))
        labels.append(int(answer.candidates[0][0] in relevant))
    return np.asarray(rows), np.asarray(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--sample", type=int, default=4000, help="train queries used (speed)")
    args = parser.parse_args()
    embedder = load_embedder(DEFAULT_MODEL)
    entries, queries = load_set(args.datasets / "clinc150", "train", held_out=0.2)
    queries = random.Random(0).sample(queries, min(args.sample, len(queries)))
    retriever = Retriever(build_index(corpus_from_entries(entries), embedder), embedder)
    x, y = features(retriever, queries)
    model = LogisticRegression(C=10.0).fit(x, y)
    fitted = Calibration(
        float(model.intercept_[0]), float(model.coef_[0][0]), float(model.coef_[0][1])
    )
    print(f"train: {len(y)} queries, {y.mean():.3f} correct at top-1")
    print(f"fitted: {fitted}")
    dev_entries, dev_queries = load_set(args.datasets / "clinc150", "dev", held_out=0.0)
    dev = Retriever(
        build_index(corpus_from_entries(dev_entries), embedder), embedder, calibration=fitted
    )
    x, y = features(dev, dev_queries)
    p = np.array([fitted.probability(s, m) for s, m in x])
    bins = np.minimum((p * 10).astype(int), 9)
    ece = sum(
        abs(p[bins == b].mean() - y[bins == b].mean()) * (bins == b).mean()
        for b in range(10)
        if (bins == b).any()
    )
    print(f"dev: {len(y)} queries, ECE {ece:.3f}")
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
        answered = p >= threshold
        print(
            f"  threshold {threshold:.1f}: answers {answered.mean():.3f} of queries, "
            f"precision {y[answered].mean():.3f}, correct left unanswered {(y & ~answered).sum()}"
        )


if __name__ == "__main__":
    main()
