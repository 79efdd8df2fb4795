"""The manifest: what a build was made from, checked on every load.

It records model id, dimension, corpus hash, counts, format version, build time, file
checksums, the FAISS index type and what the build fitted per collection; a stale or foreign
index is a clear error, not a wrong answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from askbot.errors import IndexModelError, IndexStaleError

# 3: a multilingual space has no entry table of its own: its entries are the build's; an
#    extending build keeps the vectors it adds apart from the graph (recent.npy).
# 2: the entry table is entries.jsonl, one entry a line, beside a small manifest.json (read too).
# 1: the entry table is inside manifest.json (read too).
FORMAT_VERSION = 3
READABLE_FORMATS = (1, 2, 3)
ENTRIES_FILE = "entries.jsonl"
GRAPH_FILE = "vectors.faiss"
RECENT_FILE = "recent.npy"
CLASSIFIERS_FILE = "classifiers.npy"


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
    # vectors, still read); a manifest without the field is flat.
    index_type: str = "flat"
    index_params: dict[str, int] = field(default_factory=dict)
    # Per collection, the confidence calibration fitted at build time from its own alternates
    # (``askbot.fit.self_calibration``); a collection not listed uses the model's default.
    calibrations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Collections with a phrasing classifier fitted at build time
    # (``askbot.fit.phrasing``), in the order their weights are stacked in
    # classifiers.npy; older manifests have none.
    classifiers: list[str] = field(default_factory=list)
    # Version of the per-collection fitting the build ran (``askbot.fit.BUILD_FITTING``): an
    # index fitted by older rules is stale like one from an older corpus. Older manifests: 0.
    fitting: int = 0
    # The model of the build's multilingual space (``multilingual/``); "" when it has none.
    multilingual_model_id: str = ""
    # Whether entries' translations were embedded too (a multilingual space's own manifest).
    translations_embedded: bool = False
    # Texts this build encoded; the others' vectors came from the last build's (vector_cache).
    vectors_encoded: int = 0
    # Vectors kept apart from the graph, after its own (recent.npy; ``FaqIndex.recent``).
    recent_vectors: int = 0
    # The build whose graph this one extended (``askbot.index.incremental``); "" when built
    # from scratch. Its dead vectors (rows of entry -1) are counted in vector_count.
    extended_from: str = ""
    dead_vectors: int = 0


def check_manifest(
    manifest: Manifest,
    *,
    model_id: str | None = None,
    corpus_hash: str | None = None,
    fitting: int | None = None,
    multilingual_model_id: str | None = None,
) -> None:
    """Refuse an index built with another model, from another version of the corpus, or (if
    ``fitting`` is given) with other per-collection fitting rules, or (if
    ``multilingual_model_id`` is given) with another multilingual space ("": none)."""
    if model_id is not None and manifest.model_id != model_id:
        raise IndexModelError(
            f"index was built with model {manifest.model_id!r}, but the configured model is "
            f"{model_id!r} (run: askbot build)"
        )
    if multilingual_model_id is not None and manifest.multilingual_model_id != (
        multilingual_model_id
    ):
        have = manifest.multilingual_model_id or "none"
        want = multilingual_model_id or "none"
        raise IndexModelError(
            f"index has multilingual model {have!r}, but the configured one is {want!r} "
            "(run: askbot build)"
        )
    if corpus_hash is not None and manifest.corpus_hash != corpus_hash:
        raise IndexStaleError("the corpus changed since the index was built (run: askbot build)")
    if fitting is not None and manifest.fitting != fitting:
        raise IndexStaleError(
            f"the index was fitted by older rules (version {manifest.fitting}, this askbot "
            f"fits version {fitting}) (run: askbot build)"
        )
