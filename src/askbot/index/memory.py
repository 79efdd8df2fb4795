"""The index in memory: FAISS over L2-normalised vectors, with the entries they stand for.

Each FAQ entry is represented by several vectors (its question, each alternate phrasing,
question + answer, and in an article-sized collection each sentence of the answer) so a
reader's wording can match any of them; ``rows`` maps every vector back to its entry and kind.
Inner product equals cosine because every vector has unit length.

Up to the exact limit the FAISS index is exact (``IndexFlatIP``, float32); beyond it, an HNSW
graph over the same vectors stored as float16 (``IndexHNSWSQ`` with ``QT_fp16``: half the memory
of float32, cosines move by under 1e-4). Either way the FAISS index holds the only copy of the
vectors: ``FaqIndex.matrix`` is a read-only view of its storage, not a second copy;
``FaqIndex.vectors_at`` casts the few rows a question needs to float32.

A build that extends a graph keeps the vectors it adds apart, as a small float32 matrix
(``FaqIndex.recent``, searched exactly) after the graph's own, so that the graph, which
costs seconds to add to and write at 100k vectors, stays the very file of the last build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from askbot.corpus import Collection, FaqEntry
from askbot.embed.protocol import Vectors
from askbot.errors import IndexCorruptError
from askbot.index.manifest import Manifest
from askbot.index.texts import VectorKind

# Exact search up to this many vectors; an approximate (HNSW) index beyond. Flat search reads
# every vector per question, so past this it costs more than encoding the question, while HNSW
# stays under a millisecond (benchmarks/bench_scale.py, docs/performance.md).
EXACT_SEARCH_LIMIT = 20_000
# HNSW: 32 links per node, 80 candidates kept while building, 128 while searching (Retriever
# fetches 64 vectors per question, so efSearch must be at least that); recall@10 against exact
# search: docs/performance.md.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
# Vectors kept apart from the graph before an extending build adds them to it: an exact scan
# of this many 512-wide rows costs a question well under a millisecond.
RECENT_LIMIT = 2048

# What FaqIndex.matrix holds: float32 vectors (flat and old HNSW builds) or float16 (HNSW).
StoredVectors = npt.NDArray[np.float32] | npt.NDArray[np.float16]

# Stands for a collection that holds every vector: searched without a selector.
_EVERYTHING = faiss.IDSelectorAll()


# A phrasing classifier's weights: one row per entry of its collection (in index order), the
# coefficients over the vector's dimensions, then the intercept.
ClassifierWeights = npt.NDArray[np.float32]


class FaqIndex:
    """Entries, their vectors in a FAISS index, and the manifest describing them."""

    def __init__(
        self,
        manifest: Manifest,
        entries: Sequence[FaqEntry],
        collections: Sequence[Collection],
        vectors: faiss.Index,
        rows: npt.NDArray[np.int32],
        recent: Vectors | None = None,
    ) -> None:
        """``recent``: vectors after the graph's (float32, unit rows), searched exactly."""
        self.recent: Vectors = np.zeros((0, vectors.d), np.float32) if recent is None else recent
        self.vector_count = vectors.ntotal + len(self.recent)
        if self.vector_count != len(rows) or self.recent.shape[1] != vectors.d:
            raise IndexCorruptError(
                f"index holds {self.vector_count} vectors of {vectors.d} but {len(rows)} rows"
            )
        self.manifest = manifest
        self.entries = list(entries)
        self.collections = list(collections)
        self.vectors = vectors
        self.rows = rows
        # Group vector positions by entry, and entry positions by collection, once.
        # Two arrays, sliced per lookup, rather than an array object per entry (~11 MB at 100k).
        self._vector_order = np.argsort(rows[:, 0], kind="stable")
        self._entry_bounds = np.searchsorted(
            rows[self._vector_order, 0], np.arange(len(self.entries) + 1)
        )
        self._positions = {entry.id: position for position, entry in enumerate(self.entries)}
        by_collection: dict[str, list[int]] = {}
        for position, entry in enumerate(self.entries):
            by_collection.setdefault(entry.collection, []).append(position)
        self._entries_by_collection = {
            name: np.asarray(positions, dtype=np.int64) for name, positions in by_collection.items()
        }
        entry_collection = np.empty(len(self.entries), dtype=np.int64)
        for number, positions in enumerate(self._entries_by_collection.values()):
            entry_collection[positions] = number
        # Vectors of entries an incremental build replaced or removed stay in the graph as
        # tombstones (entry -1) until a full build; no search may return them.
        live = rows[:, 0] >= 0
        vector_collection = np.full(len(rows), -1, dtype=np.int64)
        vector_collection[live] = entry_collection[rows[live, 0]]
        self._vector_ids_by_collection = {
            name: np.flatnonzero(vector_collection == number)
            for number, name in enumerate(self._entries_by_collection)
        }
        self.tombstones = int(len(rows) - live.sum())
        graph_dead = np.flatnonzero(~live[: vectors.ntotal])
        self._live_selector = self._not_selector(graph_dead) if len(graph_dead) else None
        self._recent_dead = np.flatnonzero(~live[vectors.ntotal :])
        self._selectors: dict[str, faiss.IDSelector | None] = {}
        self._recent_of_collection: dict[str, npt.NDArray[np.int64]] = {}
        self.matrix: StoredVectors = stored_vectors(vectors)  # the graph's vectors only
        # The file the graph was read from and its checksum: a build that keeps the graph as it
        # is links that file rather than writing it again (None: written by save_index).
        self.graph_file: tuple[Path, str] | None = None
        self.classifiers: dict[str, ClassifierWeights] = {}
        # The same entries in the multilingual encoder's space, for questions in other
        # languages (None: English only).
        self.multilingual: FaqIndex | None = None
        # Each line of the entry table this index was loaded from, with its entry: the next
        # load takes unchanged entries from here instead of decoding them (empty when built).
        self.decoded: dict[bytes, FaqEntry] = {}

    def set_classifier(self, collection: str, weights: ClassifierWeights) -> None:
        """Attach a collection's phrasing classifier, checking it fits the collection; the
        manifest lists it, so ``save_index`` writes it."""
        expected = (len(self.entries_of(collection)), self.matrix.shape[1] + 1)
        if weights.shape != expected:
            raise IndexCorruptError(
                f"classifier of {collection!r} has shape {weights.shape}, expected {expected}"
            )
        self.classifiers[collection] = weights
        if collection not in self.manifest.classifiers:
            self.manifest = replace(
                self.manifest, classifiers=[*self.manifest.classifiers, collection]
            )

    @property
    def model_id(self) -> str:
        """The embedding model this index was built with."""
        return self.manifest.model_id

    def collection_ids(self) -> list[str]:
        """Ids of every collection in the index."""
        return [collection.id for collection in self.collections]

    def collection_languages(self) -> dict[str, str]:
        """Each collection's language, by id (the language its file is written in)."""
        return {collection.id: collection.language for collection in self.collections}

    def position_of(self, entry_id: str) -> int:
        """Position of an entry by id (``KeyError`` if absent)."""
        return self._positions[entry_id]

    def position(self, entry_id: str) -> int | None:
        """Position of an entry by id, or None if absent."""
        return self._positions.get(entry_id)

    def entry(self, entry_id: str) -> FaqEntry | None:
        """The entry with that id, or None (say, one a session named before a rebuild)."""
        position = self.position(entry_id)
        return None if position is None else self.entries[position]

    def sentence_languages(self) -> dict[str, str]:
        """The collections whose answers this index holds sentence by sentence, with the
        language they were split in (read from the rows: a build may split other collections
        than ``sentence_languages`` of its collections says)."""
        rows = self.rows[self.rows[:, 0] >= 0]  # an extended graph's dead rows have no entry
        owners = np.unique(rows[rows[:, 1] == VectorKind.ANSWER_SENTENCE, 0])
        split = {self.entries[int(p)].collection for p in owners}
        return {c.id: c.language for c in self.collections if c.id in split}

    def entries_of(self, collection: str) -> npt.NDArray[np.int64]:
        """Positions of the entries of one collection."""
        return self._entries_by_collection.get(collection, np.zeros(0, np.int64))

    def vector_ids_of(self, entry_position: int) -> npt.NDArray[np.int64]:
        """Positions in the FAISS index of one entry's vectors."""
        start, stop = self._entry_bounds[entry_position : entry_position + 2]
        return self._vector_order[start:stop]

    def vector_ids_of_many(
        self, entry_positions: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Positions in the FAISS index of several entries' vectors, grouped by entry, and for
        each the index into ``entry_positions`` of the entry it belongs to."""
        starts = self._entry_bounds[entry_positions]
        counts = self._entry_bounds[entry_positions + 1] - starts
        owner = np.repeat(np.arange(len(entry_positions)), counts)
        # Position k of the result is starts[owner] + (k - where owner's run begins).
        run_begins = np.cumsum(counts) - counts
        offsets = np.arange(int(counts.sum())) - run_begins[owner] + starts[owner]
        return self._vector_order[offsets], owner

    def vector_ids_of_collection(self, collection: str) -> npt.NDArray[np.int64]:
        """Positions in the FAISS index of every vector of one collection, ascending."""
        return self._vector_ids_by_collection.get(collection, np.zeros(0, np.int64))

    def search(
        self, vector: npt.NDArray[np.float32], k: int, collection: str | None = None
    ) -> npt.NDArray[np.int64]:
        """Positions of the (up to) ``k`` nearest vectors, optionally within one collection.

        Fewer than ``k`` come back (padded with -1) when the collection holds fewer vectors.
        """
        similarities, hits = self._search_graph(vector, k, collection)
        if not len(self.recent):
            return hits
        graph_size = self.vectors.ntotal
        if collection is None:
            rows = np.arange(len(self.recent))
            recent = self.recent @ vector
            recent[self._recent_dead] = -np.inf
        else:
            rows = self._recent_rows(collection)
            recent = self.recent[rows] @ vector
        found = hits >= 0
        ids = np.concatenate([hits[found], rows + graph_size])
        scores = np.concatenate([similarities[found], recent])
        best = np.argsort(-scores, kind="stable")[:k]
        best = best[np.isfinite(scores[best])]
        result = np.full(k, -1, np.int64)
        result[: len(best)] = ids[best]
        return result

    def _search_graph(
        self, vector: npt.NDArray[np.float32], k: int, collection: str | None
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Similarities and positions of the nearest vectors in the FAISS index alone."""
        selector = self._live_selector
        if collection is not None:
            selector = self._selector(collection)
            if selector is None:  # an empty or unknown collection, or one only in ``recent``
                return np.zeros(k, np.float32), np.full(k, -1, np.int64)
        if self.manifest.index_type == "flat":
            target, params = self.vectors, faiss.SearchParameters()
        elif collection is not None and self._scoped_is_exact(collection):
            target, params = self._storage(), faiss.SearchParameters()
        else:
            # Missing from what mypy infers of faiss (its loader picks a build at run time).
            target, params = self.vectors, faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            params.efSearch = max(self.manifest.index_params["ef_search"], k)
        if selector is not None and selector is not _EVERYTHING:
            params.sel = selector  # cached on self, so it outlives the search
        similarities, hits = target.search(vector.reshape(1, -1), k, params=params)
        return similarities[0], hits[0]

    def _selector(self, collection: str) -> faiss.IDSelector | None:
        """A cached selector for one collection's vectors (none for an empty collection)."""
        if collection not in self._selectors:
            ids = self.vector_ids_of_collection(collection)
            ids = ids[ids < self.vectors.ntotal]  # the rest are ``recent``'s
            selector: faiss.IDSelector | None = None
            if len(ids) == self.vectors.ntotal and len(ids) > 0:
                selector = _EVERYTHING
            elif len(ids) and int(ids[-1]) - int(ids[0]) + 1 == len(ids):
                # A full build adds collections one after the other: their vectors are contiguous.
                selector = faiss.IDSelectorRange(int(ids[0]), int(ids[-1]) + 1)
            elif len(ids):
                selector = faiss.IDSelectorBatch(ids)
            self._selectors[collection] = selector  # a benign race: both threads store the same
        return self._selectors[collection]

    def _recent_rows(self, collection: str) -> npt.NDArray[np.int64]:
        """Rows of ``recent`` that hold one collection's vectors (cached)."""
        if collection not in self._recent_of_collection:
            ids = self.vector_ids_of_collection(collection)
            rows = ids[ids >= self.vectors.ntotal] - self.vectors.ntotal
            self._recent_of_collection[collection] = rows  # a benign race, as for selectors
        return self._recent_of_collection[collection]

    def _not_selector(self, excluded: npt.NDArray[np.int64]) -> faiss.IDSelector:
        """A selector of every vector but ``excluded`` (kept on self: FAISS holds no reference)."""
        self._excluded = faiss.IDSelectorBatch(excluded)
        return faiss.IDSelectorNot(self._excluded)

    def _scoped_is_exact(self, collection: str | None) -> bool:
        """Whether a scoped search on the approximate index scans the collection exactly.

        A graph search that may visit only a few allowed nodes can miss a small collection's
        vectors; a collection within the exact limit is cheap to scan exhaustively instead.
        """
        if collection is None:
            return False
        limit = self.manifest.index_params.get("exact_limit", EXACT_SEARCH_LIMIT)
        ids = self.vector_ids_of_collection(collection)
        return int(np.count_nonzero(ids < self.vectors.ntotal)) <= limit

    def _storage(self) -> faiss.Index:
        """The flat index under an HNSW graph (exhaustive search over the same vectors)."""
        hnsw: Any = self.vectors  # an IndexHNSWFlat or IndexHNSWSQ, typed as the base Index
        storage: faiss.Index = faiss.downcast_index(hnsw.storage)
        return storage

    def vectors_at(self, vector_ids: npt.NDArray[np.int64] | int) -> Vectors:
        """The stored vectors at these positions (one, or a row per position), as float32."""
        if not len(self.recent):
            return np.asarray(self.matrix[vector_ids], dtype=np.float32)
        ids = np.asarray(vector_ids, dtype=np.int64)
        many = np.atleast_1d(ids)
        out = np.empty((len(many), self.vectors.d), dtype=np.float32)
        in_graph = many < self.vectors.ntotal
        out[in_graph] = self.matrix[many[in_graph]]
        out[~in_graph] = self.recent[many[~in_graph] - self.vectors.ntotal]
        return out if ids.ndim else out[0]


def stored_vectors(vectors: faiss.Index) -> StoredVectors:
    """A read-only view (no copy) of the vectors a flat, HNSW-flat or HNSW-fp16 index stores."""
    storage = (
        faiss.downcast_index(vectors.storage) if isinstance(vectors, faiss.IndexHNSW) else vectors
    )
    view: StoredVectors
    if isinstance(storage, faiss.IndexFlat):
        if storage.ntotal == 0:
            return np.zeros((0, storage.d), dtype=np.float32)
        view = faiss.rev_swig_ptr(storage.get_xb(), storage.ntotal * storage.d)
    elif is_fp16(storage):
        if storage.ntotal == 0:
            return np.zeros((0, storage.d), dtype=np.float16)
        # The codes of QT_fp16 are the IEEE half floats themselves, code_size = 2 * d bytes.
        scalar: Any = storage  # an IndexScalarQuantizer, typed as the base Index
        codes = faiss.rev_swig_ptr(scalar.codes.data(), scalar.ntotal * scalar.code_size)
        view = codes.view(np.float16)
    else:
        raise IndexCorruptError(f"unexpected FAISS index type {type(vectors).__name__}")
    view = view.reshape(storage.ntotal, storage.d)
    view.flags.writeable = False
    return view


def is_fp16(storage: faiss.Index) -> bool:
    """Whether ``storage`` is a scalar quantizer holding plain float16 values."""
    return (
        isinstance(storage, faiss.IndexScalarQuantizer)
        and storage.sq.qtype == faiss.ScalarQuantizer.QT_fp16
    )
