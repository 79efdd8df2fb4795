"""How much a question's vector, and askbot's reply, depend on what it is encoded with.

The int8 export quantises each MatMul input with one scale per call (dynamic quantisation), so a
question encoded together with others (a server's micro-batch under load, ``askbot eval``'s
batches) gets a slightly different vector than one encoded alone (a quiet server). Each reader
question of the repo's article FAQs (the development and the check articles of
``scripts/article_protocol.py``) is encoded alone and again among ``--companions`` everyday
sentences drawn with a fixed seed (the int8 export's own calibration sentences), and both
vectors are asked of the article's FAQ as a first message is asked.

    python scripts/batch_dependence.py [--companions 15] [--seed 0] [--backend onnx-int8]
        [--index-dir DIR]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
from article_protocol import CHECK_ARTICLES, DEV_ARTICLES

from askbot.config import DEFAULT_MODEL, Settings
from askbot.embed import Embedder
from askbot.evaluate.askbot_ranker import AskbotRanker
from askbot.evaluate.datasets import load_eval_set
from askbot.service import batch_embedder


def companions_pool() -> list[str]:
    """The everyday sentences the int8 export calibrates on (package data)."""
    text = resources.files("askbot.embed").joinpath("quantize_calibration.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def measure(
    embedder: Embedder,
    articles: tuple[tuple[Path, Path], ...],
    companions: int,
    rng: random.Random,
) -> dict[str, float]:
    """Cosine distances between the two vectors of each question, and how often the reply's
    decision or top entry differs between them."""
    pool = companions_pool()
    distances: list[float] = []
    decisions = tops = asked = 0
    for faq, queries in articles:
        data = load_eval_set(faq, queries)
        retriever = AskbotRanker(list(data.entries), embedder).retriever
        for query in data.queries:
            question = retriever.spelled(query.query)
            alone = embedder.encode([question])[0]
            together = embedder.encode([*rng.sample(pool, companions), question])[-1]
            distances.append(1.0 - float(alone @ together))
            first = retriever.answer_vector(question, alone)
            second = retriever.answer_vector(question, together)
            asked += 1
            decisions += first.decision is not second.decision
            tops += first.candidates[0][0] != second.candidates[0][0]
    return {
        "questions": asked,
        "median 1 - cos": float(np.median(distances)),
        "max 1 - cos": float(np.max(distances)),
        "decisions differ": decisions,
        "top entries differ": tops,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companions", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--index-dir", type=Path, help="where the ONNX export is kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="askbot-batches-") as scratch:
        settings = Settings(
            model=args.model, backend=args.backend, index_dir=args.index_dir or Path(scratch)
        )
        embedder = batch_embedder(settings)
        rng = random.Random(args.seed)
        rows = {
            name: measure(embedder, articles, args.companions, rng)
            for name, articles in (("development", DEV_ARTICLES), ("check", CHECK_ARTICLES))
        }
    print(
        f"each reader question encoded alone and among {args.companions} other sentences; "
        f"encoder {embedder.model_id} ({args.backend})\n"
    )
    columns = list(next(iter(rows.values())))
    print("| articles | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, row in rows.items():
        cells = [f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.values()]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
