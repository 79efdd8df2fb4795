"""Probe: a calibration of (top score, margin) fitted on article-sized FAQs, against the seed.

It cuts small FAQs from the development data as ``scripts/article_protocol.py`` does
(``--seed``, another draw than the protocol's report), asks each its answerable, on-topic
unanswerable and off-topic questions, and fits the two-part ``Calibration`` on (top score,
margin): in scope = the FAQ answers the question, right = its top entry is a relevant one,
questions weighted so that those the FAQ does not answer make each ``--unanswerable-share`` of
the traffic. For each fit it prints the protocol's figures on a second draw of dev FAQs
(``--check-seed``; decided by the default ``DecisionPolicy``) and, as a check only, what it does
on the seed article: its reader query set answered right, the confidence of "what is the
weather in Seoul" and the decisions on the keywords readers type. The first two rows are the
model's default as a large FAQ reads it and as an article-sized one does (its ``small_faq``
part, the same fit at the pool's share, by ``scripts/fit_calibration.py``); higher shares
decline more of what the FAQ does not answer and lose the seed's reader questions, which is
why the shipped part keeps the pool's share.

    python scripts/probe_article_calibration.py [--faqs 60] [--seed 1] [--check-seed 0]
        [--unanswerable-share 0.05 0.1 0.2 0.3 0.4] [--index-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from askbot.config import DEFAULT_MODEL, Settings
from askbot.corpus import load_corpus
from askbot.embed import CachingEmbedder, Embedder, model_name
from askbot.evaluate.article_faqs import SIZES, sources
from askbot.fit import fit_calibration, prior_weights
from askbot.index import build_index
from askbot.retrieve import Calibration, DecisionPolicy, Retriever, default_calibration
from askbot.service import batch_embedder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answerability_features import collect

REPO = Path(__file__).resolve().parent.parent
SEED_CORPUS = REPO / "corpus" / "south-korea-japan-relations.txt"
SEED_QUERIES = REPO / "docs" / "eval" / "south-korea-japan-relations.queries.jsonl"
KEYWORDS = ("trade", "history", "colonial past", "alliance", "China", "North Korea")
Rows = list[dict[str, float | str]]


def fit(rows: Rows, unanswerable_share: float) -> Calibration:
    """The two-part calibration of (score, margin) on the protocol's questions."""
    features = np.array([[float(r["score"]), float(r["margin"])] for r in rows])
    labels = np.array([float(r["right"]) == 1.0 for r in rows], dtype=np.int64)
    in_scope = np.array([r["kind"] == "answerable" for r in rows])
    weights = prior_weights(in_scope, unanswerable_share)
    return fit_calibration(features, labels, in_scope, weights=weights)


def check(calibration: Calibration, rows: Rows, policy: DecisionPolicy) -> str:
    """One table row: what ``calibration`` and ``policy`` do with the questions of ``rows``."""
    kinds = np.array([r["kind"] for r in rows])
    right = np.array([float(r["right"]) == 1.0 for r in rows])
    decisions, confidences = [], []
    for r in rows:
        score, margin = float(r["score"]), float(r["margin"])
        confidence = calibration.probability(score, margin)
        plausibility = [calibration.probability(score, 0.0)]
        if margin < score:  # a runner-up exists (margin is the score itself when none does)
            plausibility.append(calibration.probability(score - margin, 0.0))
        decisions.append(policy.decide(confidence, plausibility, margin).value)
        confidences.append(confidence)
    decided, conf = np.array(decisions), np.array(confidences)
    answerable, unanswerable = kinds == "answerable", kinds == "unanswerable"
    off_topic = kinds == "off_topic"
    labels = np.r_[np.ones(answerable.sum()), np.zeros(unanswerable.sum())]
    auroc = roc_auc_score(labels, np.r_[conf[answerable], conf[unanswerable]])
    cells = [
        np.mean((decided[answerable] == "answer") & right[answerable]),
        np.mean(decided[answerable] == "clarify"),
        np.mean(decided[unanswerable] == "fallback"),
        np.mean(decided[off_topic] == "fallback"),
        auroc,
    ]
    return " | ".join(f"{c:.3f}" for c in cells)


def seed_check(calibration: Calibration | None, embedder: Embedder) -> str:
    """The seed article's answered-right count, weather confidence and keyword decisions."""
    index = build_index(load_corpus(SEED_CORPUS), embedder)
    retriever = Retriever(index, embedder, calibration=calibration)
    queries = [json.loads(line) for line in SEED_QUERIES.read_text().splitlines() if line]
    answerable = [q for q in queries if q["relevant"]]
    answers = retriever.ask_many([q["query"] for q in answerable])
    right = sum(
        a.answer is not None and a.answer.question in q["relevant"]
        for a, q in zip(answers, answerable, strict=True)
    )
    weather = retriever.ask("what is the weather in Seoul")
    keywords = " ".join(a.decision.value[:3] for a in retriever.ask_many(list(KEYWORDS)))
    return f"{right}/{len(answerable)} | {weather.confidence:.2f} | {keywords}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--faqs", type=int, default=60, help="small FAQs per source to fit on")
    parser.add_argument("--seed", type=int, default=1, help="draw of the FAQs fitted on")
    parser.add_argument("--check-seed", type=int, default=0, help="draw of the FAQs checked on")
    parser.add_argument(
        "--unanswerable-share", type=float, nargs="+", default=[0.05, 0.1, 0.2, 0.3, 0.4]
    )
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--index-dir", type=Path, help="where the ONNX export is kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="askbot-article-") as scratch:
        settings = Settings(
            model=args.model, backend=args.backend, index_dir=args.index_dir or Path(scratch)
        )
        embedder = CachingEmbedder(batch_embedder(settings), capacity=None)
        cut, off_topic = sources(args.datasets, "dev")
        rows = collect(cut, off_topic, embedder, faqs=args.faqs, seed=args.seed)
        checked = collect(cut, off_topic, embedder, faqs=30, seed=args.check_seed)
        policy = DecisionPolicy()
        print(
            f"protocol: dev seed {args.check_seed}, 30 FAQs per source; seed article: "
            f"{SEED_QUERIES.name}\n\n| calibration | answered right | clarify "
            "| declined unanswerable | declined off-topic | AUROC | seed answered right "
            "| seed weather conf. | seed keywords |\n|---|---|---|---|---|---|---|---|---|"
        )
        default = default_calibration(model_name(args.model))
        print(f"| model default, large FAQ | {check(default, checked, policy)} | — | — | — |")
        article = default.for_size(max(SIZES))
        print(
            f"| model default, article-sized | {check(article, checked, policy)} "
            f"| {seed_check(None, embedder)} |"
        )
        for share in args.unanswerable_share:
            calibration = fit(rows, share)
            row = check(calibration, checked, policy)
            print(
                f"| article, unanswerable share {share} | {row} "
                f"| {seed_check(calibration, embedder)} |"
            )


if __name__ == "__main__":
    main()
