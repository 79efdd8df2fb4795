"""Building an index in memory: embed every entry's texts, then a FAISS index over them."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import faiss
import numpy as np

from askbot.corpus import Corpus
from askbot.embed.protocol import Embedder, Vectors
from askbot.index.manifest import FORMAT_VERSION, Manifest
from askbot.index.memory import (
    EXACT_SEARCH_LIMIT,
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_M,
    FaqIndex,
)
from askbot.index.texts import (
    entry_texts,
    multilingual_texts,
    sentence_languages,
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


def embed_texts(
    texts: list[str],
    embedder: Embedder,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 256,
) -> Vectors:
    """The vectors of ``texts``, encoded in batches (``progress`` told after each)."""
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        vectors[start : start + batch_size] = embedder.encode(texts[start : start + batch_size])
        if progress:
            progress(min(start + batch_size, len(texts)), len(texts))
    return vectors


def build_index(
    corpus: Corpus,
    embedder: Embedder,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 256,
    exact_limit: int = EXACT_SEARCH_LIMIT,
    multilingual: bool = False,
    sentences_in: Mapping[str, str] | None = None,
) -> FaqIndex:
    """Embed every entry of ``corpus`` and return an index in memory (not fitted, not saved).

    Up to ``exact_limit`` vectors the FAISS index is exact, beyond it approximate (HNSW).
    ``multilingual``: ``embedder`` is a multilingual encoder, which also embeds translations.
    ``sentences_in``: the collections whose answers are split into sentences, with their
    language (default: the article-sized ones, ``sentence_languages``).
    """
    entries = list(corpus.entries())
    if sentences_in is None:
        sentences_in = sentence_languages(corpus.collections)
    embedded = multilingual_texts if multilingual else entry_texts
    texts: list[str] = []
    rows: list[tuple[int, int]] = []
    for position, entry in enumerate(entries):
        for kind, text in embedded(entry, sentences_in.get(entry.collection)):
            texts.append(text)
            rows.append((position, int(kind)))
    vectors = embed_texts(texts, embedder, progress=progress, batch_size=batch_size)
    faiss_index, index_type, index_params = vector_index(vectors, exact_limit)
    del vectors  # the FAISS index holds its own copy
    return FaqIndex(
        build_manifest(corpus, embedder, faiss_index, index_type, index_params, multilingual),
        entries,
        corpus.collections,
        faiss_index,
        np.asarray(rows, dtype=np.int32).reshape(-1, 2),
    )


def build_manifest(
    corpus: Corpus,
    embedder: Embedder,
    vectors: faiss.Index,
    index_type: str,
    index_params: dict[str, int],
    multilingual: bool,
) -> Manifest:
    """The manifest of a new build of ``corpus`` whose FAISS index is ``vectors``."""
    build_time = time.time()
    build_id = (
        time.strftime("%Y%m%dT%H%M%S", time.gmtime(build_time)) + f"-{corpus.content_hash[:8]}"
    )
    return Manifest(
        format_version=FORMAT_VERSION,
        model_id=embedder.model_id,
        dimension=embedder.dimension,
        corpus_hash=corpus.content_hash,
        entry_count=sum(len(c.entries) for c in corpus.collections),
        vector_count=vectors.ntotal,
        build_time=build_time,
        build_id=build_id,
        files={},
        collections=[
            {
                "id": c.id,
                "title": c.title,
                "summary": c.summary,
                "source": c.source,
                "language": c.language,
                "translations": [list(t) for t in c.translations],
                "files_hash": c.files_hash,
            }
            for c in corpus.collections
        ],
        entries=[],  # written from FaqIndex.entries by save_index
        index_type=index_type,
        index_params=index_params,
        translations_embedded=multilingual,
    )
