"""Lexical scoring: BM25 over one document per FAQ entry, normalised to [0, 1].

Each entry's document is its question, alternates and answer. Raw BM25 grows with query
length and term rarity, so a long junk query could outscore a short good one; the score is
divided by the query's total IDF (a term absent from the FAQ at the largest IDF), which bounds
it: a document matching every term once at average length scores 0.4, never more than 1. A query
whose words are missing from the FAQ therefore scores low however many words it has.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

# bm25s logs every index build at DEBUG on its own logger: noise in a CLI or server log.
logging.getLogger("bm25s").setLevel(logging.WARNING)

K1 = 1.5
B = 0.75
# bm25s.tokenize's defaults: its English stop-words and its token pattern.
_STOPWORDS = frozenset(STOPWORDS_EN)
_words = re.compile(r"(?u)\b\w\w+\b").findall


class LexicalIndex:
    """Normalised Lucene BM25 (English stop-words, Snowball stemmer) over given documents."""

    def __init__(self, documents: Sequence[str]) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        tokens = self.tokenize(documents)
        self._size = len(documents)
        self._df = Counter(t for doc in tokens for t in set(doc))
        # The IDF of a term no document contains: an unknown word counts as fully missed.
        self._unknown_idf = self._idf(0)
        self._bm25: bm25s.BM25 | None = None
        if any(tokens):
            self._bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
            self._bm25.index(tokens, show_progress=False)

    def _idf(self, df: int) -> float:
        return math.log(1.0 + (self._size - df + 0.5) / (df + 0.5))

    def tokenize(self, texts: Sequence[str]) -> list[list[str]]:
        """Lower-cased, stop-word-free, stemmed tokens of each text.

        The same tokens as ``bm25s.tokenize(texts, stopwords="en", stemmer=...)`` (a test
        checks it), in a tenth of the time for one query: that function builds three tqdm
        progress bars and a stop-word set per call even with ``show_progress=False``, which was
        8 % of a serving worker's GIL time at 32 concurrent requests.
        """
        return [
            self._stemmer.stemWords([w for w in _words(text.lower()) if w not in _STOPWORDS])
            for text in texts
        ]

    def scores(self, queries: Sequence[str]) -> npt.NDArray[np.float32]:
        """A (queries, documents) matrix of BM25 scores over the query's IDF mass, in [0, 1]."""
        out = np.zeros((len(queries), self._size), dtype=np.float32)
        if self._bm25 is None:
            return out
        for i, tokens in enumerate(self.tokenize(queries)):
            if not tokens:  # only stop-words: no lexical evidence either way
                continue
            bound = sum(
                self._idf(self._df[t]) if t in self._df else self._unknown_idf for t in tokens
            )
            known = [t for t in tokens if t in self._df]
            if known and bound > 0:
                # bm25s's Lucene variant has no (k1 + 1) factor: every term matched once in a
                # document of average length scores 1 / (1 + k1) = 0.4, and 1 is the saturation
                # limit. The weights and calibration were measured on this scale.
                out[i] = np.minimum(self._bm25.get_scores(known) / bound, 1.0)
        return out


def top_positions(
    scores: npt.NDArray[np.floating[Any]], k: int, within: npt.NDArray[np.int64] | None = None
) -> npt.NDArray[np.int64]:
    """The (up to) ``k`` positions with the best positive scores, best first, ties by position.

    ``within`` (ascending positions) restricts the choice. Selecting before sorting keeps this
    linear in the number of entries instead of a full sort per question.
    """
    pool = np.flatnonzero(scores > 0) if within is None else within[scores[within] > 0]
    values = scores[pool]
    if len(pool) > k:
        kth = np.partition(values, len(values) - k)[len(values) - k]  # the k-th best score
        keep = values >= kth  # every position tied with it too; the stable sort decides
        pool, values = pool[keep], values[keep]
    best: npt.NDArray[np.int64] = pool[np.argsort(-values, kind="stable")[:k]]
    return best
