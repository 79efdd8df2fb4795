"""The index on disk: immutable builds and a pointer to the one in service; loading them.

::

    index/
      CURRENT                 name of the build in service (replaced atomically)
      builds/<build-id>/      manifest.json, vectors.faiss, rows.npy, entries.jsonl,
                              classifiers.npy (only when a collection has a phrasing classifier),
                              recent.npy (vectors an extending build kept apart from the graph)
        multilingual/         the same files but entries.jsonl for the multilingual encoder's
                              space (when on), whose entries are the build's

A build is written by ``askbot.index.saving``. Loading verifies every file against the
manifest's checksums; a process that verified a file once (same inode, size and time), such as
a graph hard-linked into the next build, and a worker that serves the graph already take it as
it is.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np

from askbot.corpus import Collection, FaqEntry, TitleTranslation
from askbot.errors import IndexCorruptError, IndexMissingError
from askbot.index.checksums import sha256_of
from askbot.index.entry_table import entries_from_json, read_entries
from askbot.index.manifest import (
    CLASSIFIERS_FILE,
    ENTRIES_FILE,
    GRAPH_FILE,
    READABLE_FORMATS,
    RECENT_FILE,
    Manifest,
    check_manifest,
)
from askbot.index.memory import FaqIndex, is_fp16

POINTER_NAME = "CURRENT"
BUILDS_DIR = "builds"
MULTILINGUAL_DIR = "multilingual"


def current_build(index_dir: Path) -> Path:
    """The folder of the build in service, or ``IndexMissingError``."""
    pointer = index_dir / POINTER_NAME
    try:
        build_id = pointer.read_text().strip()
    except FileNotFoundError:
        raise IndexMissingError(f"no index in {index_dir} (run: askbot build)") from None
    builds = index_dir / BUILDS_DIR
    build = builds / build_id
    # A build id is one plain folder name: never a path, "..", hidden (staging) or a symlink
    # that leads out of builds/, so a tampered pointer cannot make askbot load files elsewhere.
    plain = bool(build_id) and build_id == Path(build_id).name and build_id[0] != "."
    if not plain or "\\" in build_id or "\x00" in build_id:
        raise IndexCorruptError(f"{pointer} names no build: {build_id[:100]!r}")
    if not build.is_dir() or build.resolve().parent != builds.resolve():
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


def verified_manifest(
    index_dir: Path,
    *,
    model_id: str | None = None,
    corpus_hash: str | None = None,
    fitting: int | None = None,
    multilingual_model_id: str | None = None,
) -> Manifest:
    """The manifest of the build in service, once its files' checksums and (if given) its model,
    corpus, fitting and multilingual model are checked; the vectors are not loaded."""
    return _verified_build(
        current_build(index_dir),
        model_id=model_id,
        corpus_hash=corpus_hash,
        fitting=fitting,
        multilingual_model_id=multilingual_model_id,
    )


def _verified_build(
    build: Path,
    *,
    model_id: str | None = None,
    corpus_hash: str | None = None,
    fitting: int | None = None,
    multilingual_model_id: str | None = None,
) -> Manifest:
    """``verified_manifest`` of one build folder, resolved once by the caller so that a build
    published meanwhile cannot pair one build's manifest with another's files."""
    manifest = _read_build_manifest(build)
    check_manifest(
        manifest,
        model_id=model_id,
        corpus_hash=corpus_hash,
        fitting=fitting,
        multilingual_model_id=multilingual_model_id,
    )
    checks: list[tuple[Path, str | None]] = [
        (build / name, e) for name, e in manifest.files.items()
    ]
    for path, _ in checks:
        if not path.exists():
            raise IndexCorruptError(f"{path} is missing (run: askbot build)")
    # The multilingual space's files are hashed alongside (checked when it is read): two large
    # graphs take half the time on two cores, as hashlib lets go of the GIL.
    inner = build / MULTILINGUAL_DIR
    if manifest.multilingual_model_id and (inner / "manifest.json").exists():
        with contextlib.suppress(IndexCorruptError):
            inner_files = _read_build_manifest(inner).files
            checks += [(inner / name, None) for name in inner_files if (inner / name).exists()]
    with ThreadPoolExecutor(max_workers=2) as pool:
        digests = list(pool.map(sha256_of, [path for path, _ in checks]))
    for (path, expected), digest in zip(checks, digests, strict=True):
        if expected is not None and digest != expected:
            raise IndexCorruptError(f"{path} is truncated or corrupted (run: askbot build)")
    return manifest


def load_index(
    index_dir: Path,
    *,
    model_id: str | None = None,
    corpus_hash: str | None = None,
    fitting: int | None = None,
    multilingual_model_id: str | None = None,
    reuse: FaqIndex | None = None,
    mapped: bool = False,
) -> FaqIndex:
    """Load the build in service, verifying its files and (if given) model, corpus, fitting
    and multilingual model ("": a build without a multilingual space).

    ``reuse``: an index loaded earlier (the one a worker serves); entries stored in the same
    bytes in both, and a graph kept as it was, are taken from it rather than read again.
    ``mapped``: the graphs' stored vectors are mapped from their files, not read (a build
    that mostly links the last build's graph); such a graph can be searched but never grown
    (``owned_graph``).
    """
    build = current_build(index_dir)
    manifest = _verified_build(
        build,
        model_id=model_id,
        corpus_hash=corpus_hash,
        fitting=fitting,
        multilingual_model_id=multilingual_model_id,
    )
    known = reuse.decoded if reuse is not None else {}
    # The graphs, verified above, are read on the other core while this one decodes the entry
    # table: faiss lets go of the GIL, and at 100k entries each takes about as long.
    with ThreadPoolExecutor(max_workers=1) as pool:
        graphs = _graph_reads(build, manifest, reuse, pool, mapped=mapped)
        return _read_space(build, manifest, known, graphs=graphs)


def _graph_reads(
    build: Path,
    manifest: Manifest,
    reuse: FaqIndex | None,
    pool: ThreadPoolExecutor,
    *,
    mapped: bool,
) -> dict[Path, tuple[Manifest, Future[faiss.Index]]]:
    """Each space's verified manifest and graph by folder, the graph read on ``pool`` (or the
    one ``reuse``, the same space of an earlier load, holds when its file is the same)."""
    spaces = [(build, manifest, reuse)]
    if manifest.multilingual_model_id:
        inner = build / MULTILINGUAL_DIR
        inner_reuse = reuse.multilingual if reuse is not None else None
        spaces.append((inner, _verified_build(inner), inner_reuse))
    return {
        folder: (
            space,
            pool.submit(_read_graph, folder, space.files.get(GRAPH_FILE, ""), before, mapped),
        )
        for folder, space, before in spaces
    }


def _read_graph(folder: Path, checksum: str, reuse: FaqIndex | None, mapped: bool) -> faiss.Index:
    if reuse is not None and reuse.graph_file and reuse.graph_file[1] == checksum:
        return reuse.vectors  # never added to once loaded: shared by both loads
    return faiss.read_index(str(folder / GRAPH_FILE), faiss.IO_FLAG_MMAP_IFC if mapped else 0)


def owned_graph(graph: faiss.Index) -> faiss.Index:
    """A copy of ``graph`` held in memory, which can grow: adding to a graph whose vectors are
    mapped from a file (``load_index(mapped=True)``) aborts the process."""
    return faiss.deserialize_index(faiss.serialize_index(graph))


def _read_space(
    build: Path,
    manifest: Manifest,
    known: Mapping[bytes, FaqEntry],
    outer: FaqIndex | None = None,
    *,
    graphs: Mapping[Path, tuple[Manifest, Future[faiss.Index]]],
) -> FaqIndex:
    """One embedding space from its verified folder, with its multilingual space if it has one;
    entries stored as a line of ``known`` are taken from there, the graph from ``graphs``
    (``_graph_reads``). A multilingual space without an entry table of its own holds
    ``outer``'s entries."""
    checksum = manifest.files.get(GRAPH_FILE, "")
    decoded: dict[bytes, FaqEntry] = {}
    if manifest.format_version == 1:
        table = manifest.entries
        manifest = replace(manifest, entries=[])  # they live on as FaqIndex.entries
        entries = entries_from_json(table)
    elif ENTRIES_FILE not in manifest.files and outer is not None:
        entries, decoded = outer.entries, outer.decoded
    else:
        entries, decoded = read_entries(build / ENTRIES_FILE, known)
    try:
        vectors = graphs[build][1].result()
        rows = np.load(build / "rows.npy")
        stacked = np.load(build / CLASSIFIERS_FILE) if manifest.classifiers else None
        recent = np.load(build / RECENT_FILE) if manifest.recent_vectors else None
    except Exception as exc:  # faiss raises RuntimeError, numpy ValueError/OSError
        raise IndexCorruptError(f"{build} cannot be read: {exc}") from None
    if outer is not None and entries is outer.entries:  # the multilingual space's
        collections = outer.collections
    else:
        collections = _collections(manifest, entries)
    if (
        vectors.d != manifest.dimension
        or len(entries) != manifest.entry_count
        or vectors.ntotal + manifest.recent_vectors != manifest.vector_count
        or (recent is not None and recent.shape != (manifest.recent_vectors, vectors.d))
        or _index_type(vectors) != manifest.index_type
        or vectors.metric_type != faiss.METRIC_INNER_PRODUCT
    ):
        raise IndexCorruptError(f"{build} does not match its manifest (run: askbot build)")
    index = FaqIndex(manifest, entries, collections, vectors, rows, recent)
    index.decoded = decoded
    index.graph_file = (build / GRAPH_FILE, checksum) if checksum else None
    if stacked is not None:
        bounds = np.cumsum([len(index.entries_of(c)) for c in manifest.classifiers])
        if stacked.ndim != 2 or len(stacked) != bounds[-1]:
            raise IndexCorruptError(f"{build} does not match its manifest (run: askbot build)")
        for collection, weights in zip(
            manifest.classifiers, np.split(stacked, bounds[:-1]), strict=True
        ):
            index.set_classifier(collection, weights)
    if manifest.multilingual_model_id:
        inner = build / MULTILINGUAL_DIR
        # Its entries are this space's (a format 2 build's own table: shared, not decoded).
        index.multilingual = _read_space(
            inner, graphs[inner][0], index.decoded, index, graphs=graphs
        )
    return index


def _collections(manifest: Manifest, entries: list[FaqEntry]) -> list[Collection]:
    """The manifest's collections, each with its entries."""
    by_collection: dict[str, list[FaqEntry]] = {}
    for entry in entries:
        by_collection.setdefault(entry.collection, []).append(entry)
    return [
        Collection(
            id=c["id"],
            title=c["title"],
            summary=c["summary"],
            source=c.get("source", ""),
            entries=tuple(by_collection.get(c["id"], ())),
            language=c.get("language", "en"),
            translations=tuple(TitleTranslation(*t) for t in c.get("translations", ())),
            files_hash=c.get("files_hash", ""),
        )
        for c in manifest.collections
    ]


def _index_type(vectors: faiss.Index) -> str:
    """The manifest's name for a FAISS index's type."""
    if isinstance(vectors, faiss.IndexHNSWFlat):
        return "hnsw"
    if isinstance(vectors, faiss.IndexHNSWSQ) and is_fp16(faiss.downcast_index(vectors.storage)):
        return "hnsw-fp16"
    if isinstance(vectors, faiss.IndexFlat):
        return "flat"
    return type(vectors).__name__
