"""Assembles the stages from ``Settings``: corpus, embedder, index and retriever.

The faces (CLI, API, evaluation) call these instead of wiring the stages themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from askbot.config import Settings
from askbot.corpus import Corpus, load_corpus
from askbot.embed import Embedder, load_embedder
from askbot.index import FaqIndex, ensure_index, load_index
from askbot.retrieve import Retriever


def build(
    settings: Settings,
    *,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    embedder: Embedder | None = None,
) -> tuple[Corpus, FaqIndex, bool]:
    """Read the corpus and (re)build the index if it is missing, stale or forced."""
    corpus = load_corpus(settings.corpus_dir)
    embedder = embedder or load_embedder(settings.model)
    index, built = ensure_index(
        corpus, settings.index_dir, embedder, progress=progress, force=force
    )
    return corpus, index, built


def open_retriever(settings: Settings, *, embedder: Embedder | None = None) -> Retriever:
    """A retriever over the saved index, refusing one that is stale or from another model."""
    corpus = load_corpus(settings.corpus_dir)
    embedder = embedder or load_embedder(settings.model)
    index = load_index(
        settings.index_dir, model_id=embedder.model_id, corpus_hash=corpus.content_hash
    )
    return Retriever(index, embedder)
