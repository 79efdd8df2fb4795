"""Lexical scoring: BM25 over one document per FAQ entry, normalised to [0, 1].

Each entry's document is its question, alternates and answer. Raw BM25 grows with query
length and term rarity, so a long junk query could outscore a short good one; the score is
divided by the query's total IDF (a term absent from the FAQ at the largest IDF), which bounds
it: a document matching every term once at average length scores 0.4, never more than 1. A query
whose words are missing from the FAQ therefore scores low however many words it has.

The scores are bm25s's Lucene variant (a test checks them against bm25s), computed here with
numpy over a sparse term-by-document matrix so that an index can take over the tokens of the
one it replaces: after a corpus change a serving worker tokenizes only the new documents
(bm25s indexes from scratch, which at 100k entries takes seconds).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

K1 = 1.5
B = 0.75
# bm25s.tokenize's defaults: its English stop-words and its token pattern.
_STOPWORDS = frozenset(STOPWORDS_EN)
_words = re.compile(r"(?u)\b\w\w+\b").findall

TermIds = npt.NDArray[np.int32]


class LexicalIndex:
    """Normalised Lucene BM25 (English stop-words, Snowball stemmer) over given documents.

    ``previous``: the index this one replaces. Its term ids and the tokens of documents it
    already holds are reused; it stays usable (its own matrix never changes).
    """

    def __init__(self, documents: Sequence[str], previous: LexicalIndex | None = None) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        if previous is not None and len(previous._term_of) > 2 * previous._live_terms + 10_000:
            previous = None  # mostly ids of words no document holds any more: start afresh
        # Term ids are shared along a line of indexes and only ever grow, so an older index
        # still serving meanwhile reads only the ids below its own vocabulary size.
        self._term_of: dict[str, int] = previous._term_of if previous is not None else {}
        known = previous._document_terms if previous is not None else {}
        self._document_terms: dict[str, TermIds] = {}
        # Every word as written (lower-cased), for the spelling corrector: a superset of the
        # documents' words, as a document's words were added when it was first tokenized.
        self.written: set[str] = set(previous.written) if previous is not None else set()
        for document in documents:
            if document not in self._document_terms:
                found = known.get(document)
                if found is None:
                    self.written.update(_words(document.lower()))
                    found = self._term_ids(self.tokenize([document])[0])
                self._document_terms[document] = found
        per_document = [self._document_terms[d] for d in documents]
        self._size = len(documents)
        self._vocabulary = len(self._term_of)
        lengths = np.fromiter(map(len, per_document), dtype=np.int64, count=self._size)
        terms = np.concatenate(per_document) if per_document else np.zeros(0, np.int32)
        owners = np.repeat(np.arange(self._size, dtype=np.int32), lengths)
        # Term-by-document counts (duplicates summed: term frequencies), one row per term.
        counts = scipy.sparse.csr_matrix(
            (np.ones(len(terms), np.float32), (terms, owners)),
            shape=(self._vocabulary, self._size),
        )
        counts.sum_duplicates()
        self._df = np.diff(counts.indptr)
        self._live_terms: int = int(np.count_nonzero(self._df))
        # The IDF of a term no document contains: an unknown word counts as fully missed.
        self._unknown_idf = self._idf(0)
        idf = np.log1p((self._size - self._df + 0.5) / (self._df + 0.5)).astype(np.float32)
        average = float(lengths.mean()) if self._size and lengths.any() else 1.0
        documents_of = counts.indices
        tf = counts.data
        norm = K1 * ((1 - B) + B * lengths[documents_of] / average)
        term_rows = np.repeat(np.arange(self._vocabulary), self._df)
        # bm25s's Lucene term weight: idf * tf / (tf + k1 (1 - b + b dl / avgdl)).
        self._weights = (idf[term_rows] * (tf / (norm + tf))).astype(np.float32)
        self._documents_of = documents_of
        self._starts = counts.indptr

    def _idf(self, df: int) -> float:
        return math.log(1.0 + (self._size - df + 0.5) / (df + 0.5))

    def _term_ids(self, tokens: list[str]) -> TermIds:
        """The ids of ``tokens``, giving new terms the next free ids."""
        return np.fromiter(
            (self._term_of.setdefault(t, len(self._term_of)) for t in tokens),
            dtype=np.int32,
            count=len(tokens),
        )

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

    def _document_frequency(self, token: str) -> int:
        term = self._term_of.get(token, self._vocabulary)
        return int(self._df[term]) if term < self._vocabulary else 0

    def scores(self, queries: Sequence[str]) -> npt.NDArray[np.float32]:
        """A (queries, documents) matrix of BM25 scores over the query's IDF mass, in [0, 1]."""
        out = np.zeros((len(queries), self._size), dtype=np.float32)
        for i, tokens in enumerate(self.tokenize(queries)):
            if not tokens:  # only stop-words: no lexical evidence either way
                continue
            frequencies = [self._document_frequency(t) for t in tokens]
            bound = sum(self._idf(df) if df else self._unknown_idf for df in frequencies)
            known = [self._term_of[t] for t, df in zip(tokens, frequencies, strict=True) if df]
            if known and bound > 0:
                raw = np.zeros(self._size, dtype=np.float32)
                for term in known:  # in query order, a repeated word counted each time
                    span = slice(self._starts[term], self._starts[term + 1])
                    np.add.at(raw, self._documents_of[span], self._weights[span])
                # Lucene's variant has no (k1 + 1) factor: every term matched once in a
                # document of average length scores 1 / (1 + k1) = 0.4, and 1 is the saturation
                # limit. The weights and calibration were measured on this scale.
                out[i] = np.minimum(raw / bound, 1.0)
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
