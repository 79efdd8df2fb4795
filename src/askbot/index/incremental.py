"""Extending the last build instead of indexing the corpus again.

A corpus change usually touches one article. ``extend_index`` keeps the previous build's
HNSW graph as it is and adds only the vectors of entries that are new or embed different texts,
beside the graph (``FaqIndex.recent``, searched exactly) until they pass ``RECENT_LIMIT``, when
they join the graph; the vectors of entries that changed or left the corpus stay as tombstones
(their row's entry is -1, and every search excludes them, ``FaqIndex.search``). Entries are
laid out in corpus order as a full build lays them out, so ranking and tie-breaking are the
same; only the vectors' positions differ. Past ``MAX_TOMBSTONE_SHARE`` of dead vectors, or
when the corpus fits an exact index, the build starts from scratch (from the vector cache, so
nothing is encoded twice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from askbot.corpus import Corpus, FaqEntry
from askbot.embed.protocol import Embedder
from askbot.index.build import build_manifest, embed_texts
from askbot.index.memory import (
    RECENT_LIMIT,
    FaqIndex,
)
from askbot.index.storage import owned_graph
from askbot.index.texts import (
    embedded_fields,
    entry_texts,
    multilingual_texts,
    sentence_languages,
)

# Dead vectors cost search time (HNSW still walks them) and memory; past this share of the
# graph a build starts over.
MAX_TOMBSTONE_SHARE = 0.2
GRAPH_TYPES = ("hnsw", "hnsw-fp16")


def extend_index(
    previous: FaqIndex,
    corpus: Corpus,
    embedder: Embedder,
    *,
    exact_limit: int,
    multilingual: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> FaqIndex | None:
    """``corpus`` indexed by adding its new texts to ``previous``'s graph (which it takes over:
    ``previous`` must not be searched afterwards), or None when a build from scratch is due.

    ``embedder`` must be the model ``previous`` was built with.
    """
    if (
        previous.manifest.index_type not in GRAPH_TYPES
        or previous.manifest.index_params.get("exact_limit") != exact_limit
        or previous.model_id != embedder.model_id
        or previous.manifest.translations_embedded != multilingual
    ):
        return None
    embedded = multilingual_texts if multilingual else entry_texts
    entries = list(corpus.entries())
    sentences_in = sentence_languages(corpus.collections)
    sentences_before = sentence_languages(previous.collections)
    # Where each of the previous build's entries went (-1: replaced or removed); its vectors
    # follow it, the others stay in the graph as dead rows.
    moved_to = np.full(len(previous.entries) + 1, -1, dtype=previous.rows.dtype)
    fresh_texts: list[str] = []
    fresh_rows: list[tuple[int, int]] = []
    for position, entry in enumerate(entries):
        before = previous.position(entry.id)
        split = sentences_in.get(entry.collection)
        if (
            before is not None
            and _embeds_the_same(previous.entries[before], entry, multilingual)
            and sentences_before.get(previous.entries[before].collection) == split
        ):
            moved_to[before] = position
        else:
            texts = embedded(entry, split)
            fresh_texts += [text for _, text in texts]
            fresh_rows += [(position, int(kind)) for kind, _ in texts]
    rows = previous.rows.copy()
    rows[:, 0] = moved_to[previous.rows[:, 0]]  # a dead row's -1 picks the last slot: -1
    total = len(rows) + len(fresh_texts)
    dead = int((rows[:, 0] < 0).sum())
    if total <= exact_limit or dead > MAX_TOMBSTONE_SHARE * total:
        return None
    graph = previous.vectors
    fresh = embed_texts(fresh_texts, embedder, progress=progress)
    if previous.manifest.index_type == "hnsw-fp16":  # what the graph would store, exactly
        fresh = fresh.astype(np.float16).astype(np.float32)
    recent = np.concatenate([previous.recent, fresh])
    graph_file = previous.graph_file
    if len(recent) > RECENT_LIMIT:
        graph = owned_graph(graph)  # the last build's may be mapped from its file
        graph.add(recent)
        recent, graph_file = recent[:0], None
    if fresh_rows:
        rows = np.concatenate([rows, np.asarray(fresh_rows, dtype=rows.dtype)])
    manifest = build_manifest(
        corpus,
        embedder,
        graph,
        previous.manifest.index_type,
        previous.manifest.index_params,
        multilingual,
    )
    manifest = replace(manifest, vector_count=len(rows), recent_vectors=len(recent))
    index = FaqIndex(manifest, entries, corpus.collections, graph, rows, recent)
    index.graph_file = graph_file
    return index


def _embeds_the_same(before: FaqEntry, entry: FaqEntry, multilingual: bool) -> bool:
    """Whether two versions of an entry embed the same texts (the same object, when its file
    did not change and the corpus took it from the last build)."""
    return before is entry or embedded_fields(before, multilingual) == embedded_fields(
        entry, multilingual
    )
