"""Typos in readers' questions: what one typo costs, with and without the spelling corrector.

Each answerable reader question of the repo's article FAQs (the development and the check
articles of ``scripts/article_protocol.py``) is asked as written and with one typo in one word of
five letters or more: two adjacent letters swapped, a letter dropped or a letter doubled, drawn
with a fixed seed. Each is asked with askbot's ``Speller`` on (as served) and off. The clean
rows show what the corrector does to questions without typos.

    python scripts/typo_robustness.py [--seed 0] [--backend onnx-int8] [--index-dir DIR]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections.abc import Collection
from pathlib import Path

from article_protocol import CHECK_ARTICLES, DEV_ARTICLES

from askbot.config import DEFAULT_MODEL, Settings
from askbot.embed import Embedder
from askbot.evaluate.askbot_ranker import AskbotRanker
from askbot.evaluate.datasets import load_eval_set
from askbot.retrieve import Answer, Decision
from askbot.service import batch_embedder

OPERATIONS = ("swap", "drop", "double")


def with_typo(question: str, rng: random.Random) -> str | None:
    """``question`` with one typo in one of its words of five letters or more (None if none)."""
    words = question.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return None
    i = rng.choice(long)
    word, k = words[i], rng.randrange(len(words[i]) - 1)
    operation = rng.choice(OPERATIONS)
    if operation == "swap":
        word = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    elif operation == "drop":
        word = word[:k] + word[k + 1 :]
    else:
        word = word[:k] + word[k] + word[k:]
    return " ".join([*words[:i], word, *words[i + 1 :]])


def typo_table(embedder: Embedder, seed: int = 0) -> str:
    """The Markdown table: each article's answerable reader questions, clean and with one typo,
    asked with the corrector on and off."""
    rng = random.Random(seed)
    counts = {(text, on): [0, 0, 0] for text in ("clean", "typo") for on in (False, True)}
    for faq, queries in DEV_ARTICLES + CHECK_ARTICLES:
        data = load_eval_set(faq, queries)
        retriever = AskbotRanker(data.entries, embedder).retriever
        speller = retriever.speller
        pairs = [(q, with_typo(q.query, rng)) for q in data.queries if q.relevant]
        asked = [(q, typo) for q, typo in pairs if typo is not None]
        for on in (False, True):
            retriever.speller = speller if on else None
            for name, texts in (
                ("clean", [q.query for q, _ in asked]),
                ("typo", [t for _, t in asked]),
            ):
                for (q, _), answer in zip(asked, retriever.ask_many(texts), strict=True):
                    tally(counts[(name, on)], answer, q.relevant)
    lines = [
        "| questions | corrector | asked | right first | answered right |",
        "|---|---|---|---|---|",
    ]
    for (name, on), (asked_n, first, right) in counts.items():
        shares = f"{first / asked_n:.3f} | {right / asked_n:.3f}"
        lines.append(f"| {name} | {'on' if on else 'off'} | {asked_n} | {shares} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--index-dir", type=Path, help="where the ONNX export is kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="askbot-typos-") as scratch:
        settings = Settings(
            model=DEFAULT_MODEL, backend=args.backend, index_dir=args.index_dir or Path(scratch)
        )
        embedder = batch_embedder(settings)
        table = typo_table(embedder, args.seed)
    print(f"One typo per answerable reader question, seed {args.seed}; encoder {embedder.model_id}")
    print(f"\n{table}")


def tally(row: list[int], answer: Answer, relevant: Collection[str]) -> None:
    """Count one question: asked, right entry first (answer or first option), answered right."""
    first = answer.answer or (answer.alternatives[0] if answer.alternatives else None)
    row[0] += 1
    row[1] += (
        first is not None and first.id in relevant and answer.decision is not Decision.FALLBACK
    )
    row[2] += (
        answer.decision is Decision.ANSWER
        and answer.answer is not None
        and answer.answer.id in relevant
    )


if __name__ == "__main__":
    main()
