"""The vector index: FAISS over L2-normalised vectors, saved as a folder with a manifest.

Each FAQ entry is represented by several vectors (its question, each alternate phrasing, and
question + answer) so a reader's wording can match any of them; ``rows`` maps every vector back
to its entry and kind. Inner product equals cosine because every vector has unit length.

Up to ``exact_limit`` vectors the index is exact (``IndexFlatIP``, float32); beyond it, an HNSW
graph over the same vectors stored as float16 (``IndexHNSWSQ`` with ``QT_fp16``: half the memory
of float32, cosines move by under 1e-4), whose recall@10 against exact search
``benchmarks/bench_scale.py`` measures. Either way the FAISS index holds the only copy of the
vectors: ``FaqIndex.matrix`` is a read-only view of its storage (float32 or float16), not a
second copy; ``FaqIndex.vectors_at`` casts the few rows a question needs to float32.

On disk an index folder holds immutable builds and a pointer to the one in service::

    index/
      CURRENT                 name of the build in service (replaced atomically)
      builds/<build-id>/      manifest.json, vectors.faiss, rows.npy, entries.jsonl,
                              classifiers.npy (only when a collection has a phrasing classifier)

A build is written to a temporary folder, fsynced, renamed into ``builds/`` and only then
published by atomically replacing ``CURRENT``: a crash at any point leaves the previous index
serving, and a reader never sees half a build.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import IntEnum
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from askbot.corpus import Collection, Corpus, FaqEntry
from askbot.embed import Embedder, Vectors
from askbot.errors import (
    IndexCorruptError,
    IndexMissingError,
    IndexModelError,
    IndexStaleError,
)

# 2: the entry table is entries.jsonl, one entry a line, beside a small manifest.json.
# 1: the entry table is inside manifest.json; still read.
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
ENTRIES_FILE = "entries.jsonl"
CLASSIFIERS_FILE = "classifiers.npy"
POINTER_NAME = "CURRENT"
BUILDS_DIR = "builds"
KEEP_BUILDS = 3  # the one serving plus two to roll back to

# Exact search up to this many vectors; an approximate (HNSW) index beyond. Flat search reads
# every vector per question: 0.1-0.7 us per vector on the benchmark machine (memory bound, more
# when other jobs run), so 20k vectors already cost 2-15 ms against ~6 ms for encoding the
# question, while HNSW stays under 1 ms (benchmarks/bench_scale.py, docs/performance.md).
EXACT_SEARCH_LIMIT = 20_000
# HNSW: 32 links per node, 80 candidates kept while building, 128 while searching (Retriever
# fetches 64 vectors per question, so efSearch must be at least that). Measured recall@10
# against exact search on real embeddings: docs/performance.md.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128

# What FaqIndex.matrix holds: float32 vectors (flat and old HNSW builds) or float16 (HNSW).
StoredVectors = npt.NDArray[np.float32] | npt.NDArray[np.float16]

# Stands for a collection that holds every vector: searched without a selector.
_EVERYTHING = faiss.IDSelectorAll()


class VectorKind(IntEnum):
    """What text a vector was made from."""

    QUESTION = 0
    ALTERNATE = 1
    QUESTION_ANSWER = 2


def entry_texts(entry: FaqEntry) -> list[tuple[VectorKind, str]]:
    """The texts embedded for one entry, each with its kind."""
    texts = [(VectorKind.QUESTION, entry.question)]
    texts += [(VectorKind.ALTERNATE, alternate) for alternate in entry.alternates]
    if entry.answer:  # intent-style sets have no answers; a bare question would count twice
        texts.append((VectorKind.QUESTION_ANSWER, f"{entry.question} {entry.answer}"))
    return texts


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an index was built from; checked on every load."""

    format_version: int
    model_id: str
    dimension: int
    corpus_hash: str
    entry_count: int
    vector_count: int
    build_time: float
    build_id: str
    files: dict[str, str]  # file name -> sha256, to detect truncation and corruption
    collections: list[dict[str, Any]]
    # The entry table of a format 1 manifest.json (format 2 keeps it in entries.jsonl, so that
    # checking a manifest is cheap and loading streams one entry at a time). In memory the
    # entries are FaqIndex.entries: an index built or loaded here keeps this empty.
    entries: list[dict[str, Any]]
    # "flat" (exact), "hnsw-fp16" (approximate, float16 vectors) or "hnsw" (approximate, float32
    # vectors: what builds before float16 storage made; still loaded). Builds from before the
    # threshold existed are flat.
    index_type: str = "flat"
    index_params: dict[str, int] = field(default_factory=dict)
    # Per collection, the confidence calibration fitted at build time from its own alternates
    # (``askbot.retrieve.self_calibration``); a collection not listed uses the model's default.
    calibrations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Collections with a phrasing classifier fitted at build time
    # (``askbot.retrieve.phrasing_classifier``), in the order their weights are stacked in
    # classifiers.npy; older manifests have none.
    classifiers: list[str] = field(default_factory=list)
    # Version of the per-collection fitting the build ran (``askbot.engine.BUILD_FITTING``): an
    # index fitted by older rules is stale like one from an older corpus. Older manifests: 0.
    fitting: int = 0


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
    ) -> None:
        if vectors.ntotal != len(rows):
            raise IndexCorruptError(f"index holds {vectors.ntotal} vectors but {len(rows)} rows")
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
        vector_collection = np.empty(len(self.entries), dtype=np.int64)
        for number, positions in enumerate(self._entries_by_collection.values()):
            vector_collection[positions] = number
        vector_collection = vector_collection[rows[:, 0]]
        self._vector_ids_by_collection = {
            name: np.flatnonzero(vector_collection == number)
            for number, name in enumerate(self._entries_by_collection)
        }
        self._selectors: dict[str, faiss.IDSelector | None] = {}
        self.matrix: StoredVectors = stored_vectors(vectors)
        self.classifiers: dict[str, ClassifierWeights] = {}

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

    def position_of(self, entry_id: str) -> int:
        """Position of an entry by id (``KeyError`` if absent)."""
        return self._positions[entry_id]

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
        selector = None
        if collection is not None:
            selector = self._selector(collection)
            if selector is None:  # an empty or unknown collection
                return np.full(k, -1, np.int64)
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
        _, hits = target.search(vector.reshape(1, -1), k, params=params)
        result: npt.NDArray[np.int64] = hits[0]
        return result

    def _selector(self, collection: str) -> faiss.IDSelector | None:
        """A cached selector for one collection's vectors (none for an empty collection)."""
        if collection not in self._selectors:
            ids = self.vector_ids_of_collection(collection)
            selector: faiss.IDSelector | None = None
            if len(ids) == self.vectors.ntotal and len(ids) > 0:
                selector = _EVERYTHING
            elif len(ids) and int(ids[-1]) - int(ids[0]) + 1 == len(ids):
                # Collections are built one after the other, so their vectors are contiguous.
                selector = faiss.IDSelectorRange(int(ids[0]), int(ids[-1]) + 1)
            elif len(ids):
                selector = faiss.IDSelectorBatch(ids)
            self._selectors[collection] = selector  # a benign race: both threads store the same
        return self._selectors[collection]

    def _scoped_is_exact(self, collection: str | None) -> bool:
        """Whether a scoped search on the approximate index scans the collection exactly.

        A graph search that may visit only a few allowed nodes can miss a small collection's
        vectors; a collection within the exact limit is cheap to scan exhaustively instead.
        """
        if collection is None:
            return False
        limit = self.manifest.index_params.get("exact_limit", EXACT_SEARCH_LIMIT)
        return len(self.vector_ids_of_collection(collection)) <= limit

    def _storage(self) -> faiss.Index:
        """The flat index under an HNSW graph (exhaustive search over the same vectors)."""
        hnsw: Any = self.vectors  # an IndexHNSWFlat or IndexHNSWSQ, typed as the base Index
        storage: faiss.Index = faiss.downcast_index(hnsw.storage)
        return storage

    def vectors_at(self, vector_ids: npt.NDArray[np.int64] | int) -> Vectors:
        """The stored vectors at these positions (one, or a row per position), as float32."""
        return np.asarray(self.matrix[vector_ids], dtype=np.float32)


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
    elif _is_fp16(storage):
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


def _is_fp16(storage: faiss.Index) -> bool:
    """Whether ``storage`` is a scalar quantizer holding plain float16 values."""
    return (
        isinstance(storage, faiss.IndexScalarQuantizer)
        and storage.sq.qtype == faiss.ScalarQuantizer.QT_fp16
    )


def vector_index(
    vectors: Vectors, exact_limit: int = EXACT_SEARCH_LIMIT, *, fp16: bool = True
) -> tuple[faiss.Index, str, dict[str, int]]:
    """A FAISS index over ``vectors``: exact up to ``exact_limit`` of them, HNSW beyond.

    Beyond the limit the graph stores float16 vectors (``fp16=False``: float32, for comparison
    in benchmarks). Returns the index, its type and its parameters (both recorded in the
    manifest).
    """
    dimension = vectors.shape[1]
    if len(vectors) <= exact_limit:
        flat = faiss.IndexFlatIP(dimension)
        flat.add(vectors)
        return flat, "flat", {"exact_limit": exact_limit}
    hnsw: Any  # IndexHNSWSQ or IndexHNSWFlat
    if fp16:
        # Unit vectors: every component is in [-1, 1], where float16 keeps ~3 decimal digits.
        fp16_type: Any = faiss.ScalarQuantizer.QT_fp16  # an enum int; the stubs expect a class
        hnsw = faiss.IndexHNSWSQ(dimension, fp16_type, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    else:
        hnsw = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    hnsw.hnsw.efSearch = HNSW_EF_SEARCH
    hnsw.add(vectors)
    params = {
        "m": HNSW_M,
        "ef_construction": HNSW_EF_CONSTRUCTION,
        "ef_search": HNSW_EF_SEARCH,
        "exact_limit": exact_limit,
    }
    return hnsw, "hnsw-fp16" if fp16 else "hnsw", params


def build_index(
    corpus: Corpus,
    embedder: Embedder,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 256,
    exact_limit: int = EXACT_SEARCH_LIMIT,
    classify: Callable[[FaqIndex], dict[str, ClassifierWeights]] | None = None,
    calibrate: Callable[[FaqIndex], dict[str, dict[str, float]]] | None = None,
    fitting: int = 0,
) -> FaqIndex:
    """Embed every entry of ``corpus`` and return an index in memory (not yet saved).

    Up to ``exact_limit`` vectors the FAISS index is exact, beyond it approximate (HNSW).
    ``classify`` (``askbot.retrieve.phrasing_classifier.fit_classifiers``) fits per-collection
    phrasing classifiers on the built index; then ``calibrate``
    (``askbot.retrieve.self_calibration.self_calibrations``) fits per-collection calibrations
    of the scores they take part in. Both are saved with the index.
    """
    entries = list(corpus.entries())
    texts: list[str] = []
    rows: list[tuple[int, int]] = []
    for position, entry in enumerate(entries):
        for kind, text in entry_texts(entry):
            texts.append(text)
            rows.append((position, int(kind)))
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        vectors[start : start + batch_size] = embedder.encode(texts[start : start + batch_size])
        if progress:
            progress(min(start + batch_size, len(texts)), len(texts))
    faiss_index, index_type, index_params = vector_index(vectors, exact_limit)
    del vectors  # the FAISS index holds its own copy
    build_time = time.time()
    build_id = (
        time.strftime("%Y%m%dT%H%M%S", time.gmtime(build_time)) + f"-{corpus.content_hash[:8]}"
    )
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model_id=embedder.model_id,
        dimension=embedder.dimension,
        corpus_hash=corpus.content_hash,
        entry_count=len(entries),
        vector_count=len(texts),
        build_time=build_time,
        build_id=build_id,
        files={},
        collections=[
            {"id": c.id, "title": c.title, "summary": c.summary, "source": c.source}
            for c in corpus.collections
        ],
        entries=[],  # written from FaqIndex.entries by save_index
        fitting=fitting,
        index_type=index_type,
        index_params=index_params,
    )
    index = FaqIndex(
        manifest,
        entries,
        corpus.collections,
        faiss_index,
        np.asarray(rows, dtype=np.int32).reshape(-1, 2),
    )
    if classify is not None:
        for collection, weights in classify(index).items():
            index.set_classifier(collection, weights)
    if calibrate is not None:
        index.manifest = replace(index.manifest, calibrations=calibrate(index))
    return index


def _entry_to_json(entry: FaqEntry) -> dict[str, Any]:
    data = asdict(entry)
    for key in ("alternates", "tags", "follow_ups"):
        data[key] = list(data[key])
    return data


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_index(index: FaqIndex, index_dir: Path) -> Path:
    """Write ``index`` as a new build under ``index_dir`` and publish it atomically."""
    builds = index_dir / BUILDS_DIR
    builds.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=builds))
    try:
        faiss.write_index(index.vectors, str(staging / "vectors.faiss"))
        np.save(staging / "rows.npy", index.rows)
        with (staging / ENTRIES_FILE).open("w", encoding="utf-8") as table:
            for entry in index.entries:
                table.write(json.dumps(_entry_to_json(entry), ensure_ascii=False) + "\n")
        names = ["vectors.faiss", "rows.npy", ENTRIES_FILE]
        if index.manifest.classifiers:
            stacked = [index.classifiers[c] for c in index.manifest.classifiers]
            np.save(staging / CLASSIFIERS_FILE, np.concatenate(stacked))
            names.append(CLASSIFIERS_FILE)
        files = {name: _sha256(staging / name) for name in names}
        manifest = {
            **asdict(index.manifest),
            "format_version": FORMAT_VERSION,  # also when re-saving a build read from format 1
            "files": files,
            "entries": [],
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        for name in (*files, "manifest.json"):
            _fsync(staging / name)
        final = builds / index.manifest.build_id
        if final.exists():  # same corpus rebuilt within the same second
            shutil.rmtree(final)
        staging.rename(final)
        _fsync(builds)
        _publish(index_dir, final.name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune_builds(builds, keep=final.name)
    return final


def _publish(index_dir: Path, build_id: str) -> None:
    pointer = index_dir / POINTER_NAME
    tmp = index_dir / f".{POINTER_NAME}.{os.getpid()}.tmp"
    tmp.write_text(build_id + "\n")
    _fsync(tmp)
    os.replace(tmp, pointer)  # atomic on POSIX: readers see the old or the new build, never none
    _fsync(index_dir)


def _prune_builds(builds: Path, keep: str) -> None:
    done = sorted(
        (p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )
    stale_staging = [p for p in builds.iterdir() if p.name.startswith(".staging-")]
    for path in done[:-KEEP_BUILDS] + stale_staging:
        if path.name != keep:
            shutil.rmtree(path, ignore_errors=True)


def current_build(index_dir: Path) -> Path:
    """The folder of the build in service, or ``IndexMissingError``."""
    pointer = index_dir / POINTER_NAME
    try:
        build_id = pointer.read_text().strip()
    except FileNotFoundError:
        raise IndexMissingError(f"no index in {index_dir} (run: askbot build)") from None
    build = index_dir / BUILDS_DIR / build_id
    if not build_id or "/" in build_id or not build.is_dir():
        raise IndexCorruptError(f"{pointer} names a build that does not exist: {build_id!r}")
    return build


def read_manifest(index_dir: Path) -> Manifest:
    """Read and sanity-check the manifest of the build in service."""
    return _read_build_manifest(current_build(index_dir))


def _read_build_manifest(build: Path) -> Manifest:
    """Read and sanity-check the manifest of one build folder."""
    path = build / "manifest.json"
    try:
        data = json.loads(path.read_text())
        manifest = Manifest(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorruptError(f"{path} is unreadable: {exc}") from None
    if manifest.format_version not in READABLE_FORMATS:
        raise IndexCorruptError(
            f"{path} has format version {manifest.format_version}, this askbot reads "
            f"{' and '.join(map(str, READABLE_FORMATS))} (run: askbot build)"
        )
    return manifest


def check_manifest(
    manifest: Manifest,
    *,
    model_id: str | None = None,
    corpus_hash: str | None = None,
    fitting: int | None = None,
) -> None:
    """Refuse an index built with another model, from another version of the corpus, or (if
    ``fitting`` is given) with other per-collection fitting rules."""
    if model_id is not None and manifest.model_id != model_id:
        raise IndexModelError(
            f"index was built with model {manifest.model_id!r}, but the configured model is "
            f"{model_id!r} (run: askbot build)"
        )
    if corpus_hash is not None and manifest.corpus_hash != corpus_hash:
        raise IndexStaleError("the corpus changed since the index was built (run: askbot build)")
    if fitting is not None and manifest.fitting != fitting:
        raise IndexStaleError(
            f"the index was fitted by older rules (version {manifest.fitting}, this askbot "
            f"fits version {fitting}) (run: askbot build)"
        )


def verified_manifest(
    index_dir: Path,
    *,
    model_id: str | None = None,
    corpus_hash: str | None = None,
    fitting: int | None = None,
) -> Manifest:
    """The manifest of the build in service, once its files' checksums and (if given) its model,
    corpus and fitting are checked; the vectors are not loaded."""
    return _verified_build(
        current_build(index_dir), model_id=model_id, corpus_hash=corpus_hash, fitting=fitting
    )


def _verified_build(
    build: Path,
    *,
    model_id: str | None = None,
    corpus_hash: str | None = None,
    fitting: int | None = None,
) -> Manifest:
    """``verified_manifest`` of one build folder, resolved once by the caller so that a build
    published meanwhile cannot pair one build's manifest with another's files."""
    manifest = _read_build_manifest(build)
    check_manifest(manifest, model_id=model_id, corpus_hash=corpus_hash, fitting=fitting)
    for name, expected in manifest.files.items():
        path = build / name
        if not path.exists():
            raise IndexCorruptError(f"{path} is missing (run: askbot build)")
        if _sha256(path) != expected:
            raise IndexCorruptError(f"{path} is truncated or corrupted (run: askbot build)")
    return manifest


def load_index(
    index_dir: Path,
    *,
    model_id: str | None = None,
    corpus_hash: str | None = None,
    fitting: int | None = None,
) -> FaqIndex:
    """Load the build in service, verifying its files and (if given) model, corpus and fitting."""
    build = current_build(index_dir)
    manifest = _verified_build(build, model_id=model_id, corpus_hash=corpus_hash, fitting=fitting)
    try:
        vectors = faiss.read_index(str(build / "vectors.faiss"))
        rows = np.load(build / "rows.npy")
        stacked = np.load(build / CLASSIFIERS_FILE) if manifest.classifiers else None
    except Exception as exc:  # faiss raises RuntimeError, numpy ValueError/OSError
        raise IndexCorruptError(f"{build} cannot be read: {exc}") from None
    if manifest.format_version == 1:
        table = manifest.entries
        manifest = replace(manifest, entries=[])  # they live on as FaqIndex.entries
        entries = _entries_from_json(table)
    else:
        entries = _read_entries(build / ENTRIES_FILE)
    by_collection: dict[str, list[FaqEntry]] = {}
    for entry in entries:
        by_collection.setdefault(entry.collection, []).append(entry)
    collections = [
        Collection(
            id=c["id"],
            title=c["title"],
            summary=c["summary"],
            source=c.get("source", ""),
            entries=tuple(by_collection.get(c["id"], ())),
        )
        for c in manifest.collections
    ]
    if (
        vectors.d != manifest.dimension
        or len(entries) != manifest.entry_count
        or vectors.ntotal != manifest.vector_count
        or _index_type(vectors) != manifest.index_type
        or vectors.metric_type != faiss.METRIC_INNER_PRODUCT
    ):
        raise IndexCorruptError(f"{build} does not match its manifest (run: askbot build)")
    index = FaqIndex(manifest, entries, collections, vectors, rows)
    if stacked is not None:
        bounds = np.cumsum([len(index.entries_of(c)) for c in manifest.classifiers])
        if stacked.ndim != 2 or len(stacked) != bounds[-1]:
            raise IndexCorruptError(f"{build} does not match its manifest (run: askbot build)")
        for collection, weights in zip(
            manifest.classifiers, np.split(stacked, bounds[:-1]), strict=True
        ):
            index.set_classifier(collection, weights)
    return index


def _read_entries(path: Path) -> list[FaqEntry]:
    """The entries of a format 2 build, decoded one line at a time (never the whole table)."""
    shared: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8") as lines:
            return [_entry_from_json(json.loads(line), shared) for line in lines]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexCorruptError(f"{path} is unreadable: {exc} (run: askbot build)") from None


def _entries_from_json(table: list[dict[str, Any]]) -> list[FaqEntry]:
    """The entries of a format 1 manifest's table, emptying the table as they are made.

    Each dict is dropped once its entry exists, so the dicts and the entries are not both held
    whole for long (at 100k entries each is tens of MB).
    """
    shared: dict[str, str] = {}
    entries = []
    table.reverse()
    while table:
        entries.append(_entry_from_json(table.pop(), shared))
    return entries


def _entry_from_json(data: dict[str, Any], shared: dict[str, str]) -> FaqEntry:
    """One entry from its JSON object. The strings every entry of a collection repeats
    (collection id, source file) come from ``shared`` instead of once per entry."""
    for key in ("collection", "source"):
        if key in data:
            data[key] = shared.setdefault(data[key], data[key])
    for key in ("alternates", "tags", "follow_ups"):
        data[key] = tuple(data[key])
    return FaqEntry(**data)


def _index_type(vectors: faiss.Index) -> str:
    """The manifest's name for a FAISS index's type."""
    if isinstance(vectors, faiss.IndexHNSWFlat):
        return "hnsw"
    if isinstance(vectors, faiss.IndexHNSWSQ) and _is_fp16(faiss.downcast_index(vectors.storage)):
        return "hnsw-fp16"
    if isinstance(vectors, faiss.IndexFlat):
        return "flat"
    return type(vectors).__name__


def ensure_index(
    corpus: Corpus,
    index_dir: Path,
    embedder: Embedder,
    *,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
    exact_limit: int = EXACT_SEARCH_LIMIT,
    classify: Callable[[FaqIndex], dict[str, ClassifierWeights]] | None = None,
    calibrate: Callable[[FaqIndex], dict[str, dict[str, float]]] | None = None,
    fitting: int = 0,
) -> tuple[FaqIndex, bool]:
    """Load the index if it is fresh for ``corpus``, ``embedder`` and ``fitting`` (the version
    of what ``classify`` and ``calibrate`` do), else build and save it.

    Returns the index and whether it was (re)built.
    """
    if not force:
        try:
            return load_index(
                index_dir,
                model_id=embedder.model_id,
                corpus_hash=corpus.content_hash,
                fitting=fitting,
            ), False
        except (IndexMissingError, IndexStaleError, IndexModelError, IndexCorruptError):
            pass  # any of these means: build anew (the old build stays until the new one lands)
    index = build_index(
        corpus,
        embedder,
        progress=progress,
        exact_limit=exact_limit,
        classify=classify,
        calibrate=calibrate,
        fitting=fitting,
    )
    save_index(index, index_dir)
    return index, True
