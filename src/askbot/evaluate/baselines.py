"""The zero-shot baselines of the shared BASELINES.md, as ``Ranker``s.

- BM25 (``bm25s``, Lucene variant, k1 = 1.5, b = 0.75, English stop-words, Snowball English
  stemmer from ``PyStemmer``) over the question (``q-Q``), question + " " + answer
  (``q-(Q+A)``) or question + its alternates (``q-(Q+alts)``).
- MiniLM (any ``Embedder``; all-MiniLM-L6-v2 in BASELINES.md): cosine via an exact FAISS
  ``IndexFlatIP`` against the question, the answer, their concatenation (truncated by the
  model's max_seq_length, 256 word pieces), or the largest cosine over several fields.

Confidence is the top-1 score (raw, not a probability). Ties are broken by entry order: every
ranker scores all entries and sorts them stably.
"""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import faiss
import numpy as np
import numpy.typing as npt
import Stemmer

from askbot.embed import Embedder
from askbot.evaluate.datasets import EvalEntry, EvalSet
from askbot.evaluate.ranker import RankerFactory, Ranking

TOP_K = 10  # metrics never look deeper
Scores = npt.NDArray[np.float32]

# Fields a dense baseline can compare the query with; an entry's score is the max over them.
DENSE_FIELDS = ("question", "answer", "qa", "alternates")
# Documents a BM25 baseline can index, one per entry.
BM25_DOCS = ("question", "qa", "qalts")


def _rankings(ids: Sequence[str], scores: Scores, k: int) -> list[Ranking]:
    """Top-k rankings from a (queries, entries) score matrix, ties broken by entry order."""
    # Stable sort of the negated scores: equal scores keep entry order.
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(scores, order, axis=1)
    return [
        Ranking(
            ids=[ids[j] for j in row],
            scores=[float(s) for s in row_scores],
            confidence=float(row_scores[0]) if len(row_scores) else 0.0,
        )
        for row, row_scores in zip(order, top, strict=True)
    ]


class DenseRanker:
    """Cosine between the query and one or more fields of each entry; the largest wins."""

    calibrated = False

    def __init__(
        self,
        name: str,
        entries: Sequence[EvalEntry],
        embedder: Embedder,
        fields: Sequence[str],
        *,
        k: int = TOP_K,
    ) -> None:
        unknown = [f for f in fields if f not in DENSE_FIELDS]
        if unknown or not fields:
            raise ValueError(f"dense fields must be among {DENSE_FIELDS}, got {list(fields)}")
        self._name = name
        self._ids = [e.id for e in entries]
        self._embedder = embedder
        self._k = k
        texts_per_entry = [_dense_texts(e, fields) for e in entries]
        # Each distinct text is one FAISS row; an entry points at its rows (padded with -1).
        unique = list(dict.fromkeys(t for texts in texts_per_entry for t in texts))
        row_of = {t: i for i, t in enumerate(unique)}
        width = max(1, max((len(t) for t in texts_per_entry), default=1))
        self._rows = np.full((len(entries), width), -1, dtype=np.int64)
        for i, texts in enumerate(texts_per_entry):
            self._rows[i, : len(texts)] = [row_of[t] for t in texts]
        # Inner product equals cosine because the embedder returns L2-normalised rows.
        self._index = faiss.IndexFlatIP(embedder.dimension)
        if unique:
            self._index.add(embedder.encode(unique))

    @property
    def name(self) -> str:
        """Label for tables."""
        return self._name

    def rank(self, queries: Sequence[str]) -> list[Ranking]:
        """Rank every entry for each query by its best field cosine."""
        n_rows = self._index.ntotal
        if not queries:
            return []
        if n_rows == 0:
            return [Ranking([], [], 0.0) for _ in queries]
        distances, rows = self._index.search(self._embedder.encode(queries), n_rows)
        # Exact search over every row, scattered back into row order; column n_rows is the
        # -inf pad that entries with fewer fields point at.
        by_row = np.full((len(queries), n_rows + 1), -np.inf, dtype=np.float32)
        np.put_along_axis(by_row, rows, distances, axis=1)
        scores = by_row[:, self._rows].max(axis=2)
        return _rankings(self._ids, scores, self._k)


def _dense_texts(entry: EvalEntry, fields: Sequence[str]) -> list[str]:
    texts: list[str] = []
    for field in fields:
        if field == "alternates":
            texts.extend(entry.alternates)
        elif field == "qa":
            texts.append(f"{entry.question} {entry.answer}")
        else:
            texts.append(entry.question if field == "question" else entry.answer)
    return texts


class BM25Ranker:
    """Lucene BM25 (k1 1.5, b .75) over one document per entry, English stop-words and stemming.

    ``statistics_from`` (a superset of ``entries``) takes IDF and average length from a larger
    FAQ while ranking only ``entries``: that is how BASELINES.md scored its held-out FAQs
    (AUROC-sim), and how it must be run to reproduce them. By default the statistics come from
    ``entries`` themselves, as if the held-out entries had never been written.
    """

    calibrated = False

    def __init__(
        self,
        name: str,
        entries: Sequence[EvalEntry],
        document: str,
        *,
        k: int = TOP_K,
        statistics_from: Sequence[EvalEntry] | None = None,
    ) -> None:
        if document not in BM25_DOCS:
            raise ValueError(f"BM25 document must be one of {BM25_DOCS}, got {document!r}")
        self._name = name
        self._ids = [e.id for e in entries]
        self._k = k
        self._stemmer = Stemmer.Stemmer("english")
        indexed = list(statistics_from) if statistics_from is not None else list(entries)
        column_of = {e.id: j for j, e in enumerate(indexed)}
        missing = [i for i in self._ids if i not in column_of]
        if missing:
            raise ValueError(f"entry {missing[0]!r} is not among the statistics entries")
        # Columns of the index's score vector that belong to the ranked entries, in their order.
        self._columns = np.array([column_of[i] for i in self._ids], dtype=np.int64)
        docs = [_bm25_document(e, document) for e in indexed]
        self._bm25 = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
        self._bm25.index(self._tokenize(docs), show_progress=False)

    @property
    def name(self) -> str:
        """Label for tables."""
        return self._name

    def _tokenize(self, texts: Sequence[str]) -> list[list[str]]:
        tokens: list[list[str]] = bm25s.tokenize(
            list(texts),
            stopwords="en",
            stemmer=self._stemmer,
            return_ids=False,
            show_progress=False,
        )
        return tokens

    def rank(self, queries: Sequence[str]) -> list[Ranking]:
        """Rank every entry for each query by BM25 score."""
        scores = np.zeros((len(queries), len(self._ids)), dtype=np.float32)
        for i, tokens in enumerate(self._tokenize(queries)):
            # get_scores rejects an empty token list (a query of stop-words): all scores 0.
            if tokens:
                scores[i] = self._bm25.get_scores(tokens)[self._columns]
        return _rankings(self._ids, scores, self._k)


def _bm25_document(entry: EvalEntry, document: str) -> str:
    if document == "qa":
        return f"{entry.question} {entry.answer}"
    if document == "qalts":
        return " ".join((entry.question, *entry.alternates))
    return entry.question


def baseline_factories(
    embedder: Embedder, *, bm25_statistics: Sequence[EvalEntry] | None = None
) -> dict[str, RankerFactory]:
    """Every baseline of BASELINES.md by its table name, each building a ranker over entries.

    Pass the full FAQ as ``bm25_statistics`` to score held-out FAQs as BASELINES.md did (see
    ``BM25Ranker``); dense rankers have no corpus statistics, so it does not affect them.
    """

    def dense(name: str, *fields: str) -> tuple[str, RankerFactory]:
        return name, lambda entries: DenseRanker(name, entries, embedder, fields)

    def lexical(name: str, document: str) -> tuple[str, RankerFactory]:
        return name, lambda entries: BM25Ranker(
            name, entries, document, statistics_from=bm25_statistics
        )

    return dict(
        [
            lexical("BM25 q-Q", "question"),
            lexical("BM25 q-(Q+A)", "qa"),
            lexical("BM25 q-(Q+alts)", "qalts"),
            dense("MiniLM q-Q", "question"),
            dense("MiniLM q-A", "answer"),
            dense("MiniLM q-(Q+A)", "qa"),
            dense("MiniLM max(q-Q,q-A)", "question", "answer"),
            dense("MiniLM max(q-Q,q-alts)", "question", "alternates"),
        ]
    )


def applicable_baselines(dataset: EvalSet) -> list[str]:
    """The baseline names BASELINES.md reports for this kind of set.

    Answer-based rows need answers; alternate-based rows need alternates (intent sets, whose
    answers are empty).
    """
    has_answers = any(e.answer.strip() for e in dataset.entries)
    has_alternates = any(e.alternates for e in dataset.entries)
    names = ["BM25 q-Q"]
    if has_answers:
        names.append("BM25 q-(Q+A)")
    if has_alternates:
        names.append("BM25 q-(Q+alts)")
    names.append("MiniLM q-Q")
    if has_answers:
        names += ["MiniLM q-A", "MiniLM q-(Q+A)", "MiniLM max(q-Q,q-A)"]
    if has_alternates:
        names.append("MiniLM max(q-Q,q-alts)")
    return names
