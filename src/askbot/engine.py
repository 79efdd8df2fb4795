"""Assembles the stages from ``Settings``: corpus, embedder, index and retriever.

The faces (CLI, API, evaluation) call these instead of wiring the stages themselves.

With an ONNX backend, ``askbot build`` exports the model once into
``<index>/encoders/<name>-<fingerprint>-<precision>/`` and embeds the corpus with that export,
so the corpus vectors and the query vectors come from the same encoder and serving never
imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import faiss

from askbot.config import Settings
from askbot.corpus import Corpus, load_corpus
from askbot.corpus.entries import slugify
from askbot.embed import Embedder, fingerprint_model, load_embedder, resolve_model_path
from askbot.errors import IndexMissingError
from askbot.index import FaqIndex, ensure_index, load_index, read_manifest
from askbot.retrieve import Retriever


def encoder_dir(settings: Settings) -> Path:
    """Where the ONNX export of the configured model and precision lives."""
    model_path = resolve_model_path(settings.model)
    precision = settings.backend.removeprefix("onnx-")
    name = f"{slugify(settings.model)}-{fingerprint_model(model_path)}-{precision}"
    return settings.index_dir / "encoders" / name


def load_query_embedder(settings: Settings, *, threads: int | None = None) -> Embedder:
    """The embedder that serves queries: the ONNX export, or the torch model.

    FAISS gets the same thread count: by default OpenMP starts one thread per core in every
    worker, and exact search then slows down several times when the workers share the cores.
    """
    threads = threads or settings.threads
    faiss.omp_set_num_threads(threads)
    if settings.backend == "torch":
        return load_embedder(settings.model, threads=threads)
    from askbot.onnx_embed import OnnxEmbedder  # onnxruntime is only needed on this path

    export = encoder_dir(settings)
    if not export.is_dir():
        read_manifest(settings.index_dir)  # no index at all says so first
        raise IndexMissingError(f"no {settings.backend} encoder in {export} (run: askbot build)")
    return OnnxEmbedder(export, threads=threads)


def ensure_encoder(settings: Settings) -> Embedder:
    """The build-time embedder, exporting the ONNX model first if it is not there yet."""
    if settings.backend == "torch":
        return load_embedder(settings.model)
    from askbot.onnx_embed import OnnxEmbedder, export_onnx

    target = encoder_dir(settings)
    if not (target / "onnx_export.json").exists():
        export_onnx(
            resolve_model_path(settings.model),
            target,
            quantize=settings.backend == "onnx-int8",
            name=settings.model,
        )
    # Building is a batch job: use both cores.
    return OnnxEmbedder(target, threads=2)


def build(
    settings: Settings,
    *,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    embedder: Embedder | None = None,
) -> tuple[Corpus, FaqIndex, bool]:
    """Read the corpus and (re)build the index if it is missing, stale or forced."""
    corpus = load_corpus(settings.corpus_dir)
    embedder = embedder or ensure_encoder(settings)
    index, built = ensure_index(
        corpus,
        settings.index_dir,
        embedder,
        progress=progress,
        force=force,
        exact_limit=settings.exact_search_limit,
    )
    return corpus, index, built


def open_retriever(settings: Settings, *, embedder: Embedder | None = None) -> Retriever:
    """A retriever over the saved index, refusing one that is stale or from another model."""
    corpus = load_corpus(settings.corpus_dir)
    embedder = embedder or load_query_embedder(settings)
    index = load_index(
        settings.index_dir, model_id=embedder.model_id, corpus_hash=corpus.content_hash
    )
    return Retriever(index, embedder)
