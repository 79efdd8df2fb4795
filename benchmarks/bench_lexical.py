"""What askbot's BM25 index costs beside bm25s's, and what taking over an index saves.

    python benchmarks/bench_lexical.py [--sizes 1000,100000]

Per size, on ``make_corpus``'s entries (one document per entry, as the retriever indexes them):
the time to index every document with bm25s (Lucene variant, the same tokens) and with
``askbot.retrieve.lexical.LexicalIndex`` from scratch; the time for a ``LexicalIndex`` to take
over the previous one after a 7-entry article is added (what a serving worker does after
``askbot reload``); and the median time to score one question (200 real user questions), for
bm25s (normalised by the question's IDF mass as askbot normalises) and for
``LexicalIndex.scores``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import bm25s
import numpy as np
from common import DATASETS, make_corpus, queries

from askbot.corpus import load_corpus
from askbot.retrieve.lexical import K1, B, LexicalIndex
from askbot.retrieve.retriever import lexical_document

ARTICLE = [f"night train question {n}: can I take a bike from Vienna to Rome?" for n in range(7)]


def seconds(work: object) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - started


def median_ms(score: object, questions: list[str]) -> float:
    times = []
    for question in questions:
        started = time.perf_counter()
        score(question)  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(size: int, asked: list[str]) -> str:
    """One size's table row."""
    with tempfile.TemporaryDirectory() as folder:
        path = make_corpus(DATASETS, size, Path(folder))
        documents = [lexical_document(e) for e in load_corpus(path).entries()]
    ours = LexicalIndex(documents)
    reference = bm25s.BM25(k1=K1, b=B, method="lucene")
    # bm25s is given the same tokens, tokenized in the time it is charged with.
    bm25s_index = seconds(lambda: reference.index(ours.tokenize(documents), show_progress=False))
    scratch = seconds(lambda: LexicalIndex(documents))
    grown = documents[: size // 2] + ARTICLE + documents[size // 2 :]
    take_over = seconds(lambda: LexicalIndex(grown, ours))

    def bm25s_scores(question: str) -> None:
        """bm25s's scores normalised as ``LexicalIndex.scores`` normalises its own."""
        tokens = ours.tokenize([question])[0]
        known = [t for t in tokens if t in reference.vocab_dict]
        frequencies = [ours._document_frequency(t) for t in tokens]
        bound = sum(ours._idf(df) if df else ours._unknown_idf for df in frequencies)
        if known and bound > 0:
            np.minimum(reference.get_scores(known) / bound, 1.0)

    return (
        f"| {size:,} | {bm25s_index:.2f} | {scratch:.2f} | {take_over:.2f} "
        f"| {median_ms(bm25s_scores, asked):.3f} "
        f"| {median_ms(lambda q: ours.scores([q]), asked):.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    args = parser.parse_args()
    asked = queries(DATASETS, 200)
    print(
        "| entries | bm25s: index s | askbot: index s | askbot: take over after an article s "
        "| bm25s: a question ms | askbot: a question ms |"
    )
    print("|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        print(measure(size, asked))
    print(f"\n({os.cpu_count()} cores; a question: the median over {len(asked)} real ones)")


if __name__ == "__main__":
    main()
