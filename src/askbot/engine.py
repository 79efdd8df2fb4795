"""Assembles the stages from ``Settings``: corpus, embedder, index and retriever.

The faces (CLI, API, evaluation) call these instead of wiring the stages themselves.

With an ONNX backend, ``askbot build`` exports the model once into
``<index>/encoders/<name>-<fingerprint>-<precision>/`` and embeds the corpus with that export,
so the corpus vectors and the query vectors come from the same encoder and serving never
imports torch.

``askbot tune`` fine-tunes the configured model on the corpus (``askbot.tune``) into
``<index>/tuned/<model>-<corpus hash>/`` and marks it active in ``<index>/tuned/ACTIVE``; from
then on every stage here uses the tuned model in place of the configured one (``active_model``),
so the tune travels with the index folder. ``askbot tune --reset`` goes back to the base model.

``ensure_built`` (``askbot serve``, ``askbot reload``, the admin reload) decides freshness from
the manifest alone: the corpus files are hashed as bytes and the model id read from the export,
so an unchanged corpus is neither parsed nor its index loaded in the process that checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import faiss

from askbot.config import Settings
from askbot.corpus import Corpus, hash_corpus, load_corpus
from askbot.corpus.entries import slugify
from askbot.embed import (
    Embedder,
    fingerprint_model,
    load_embedder,
    model_name,
    resolve_model_path,
    torch_model_id,
)
from askbot.errors import (
    EmbedderError,
    IndexCorruptError,
    IndexMissingError,
    IndexModelError,
    IndexStaleError,
)
from askbot.index import (
    FaqIndex,
    Manifest,
    ensure_index,
    load_index,
    read_manifest,
    verified_manifest,
)
from askbot.retrieve import Retriever
from askbot.retrieve.phrasing_classifier import fit_classifiers
from askbot.retrieve.self_calibration import self_calibrations
from askbot.tune import TuneConfig, read_record, tune_model

ACTIVE_TUNE = "ACTIVE"


# What ``build`` fits per collection besides its vectors: phrasing classifiers
# (``retrieve.phrasing_classifier``) and self-calibration (``retrieve.self_calibration``).
# Bump it when their rules change, so that an index fitted by an older askbot is rebuilt like
# one from an older corpus. 1: both from 150 alternates; 2: classifier from 10 entries;
# 3: two-part calibration (in scope, right if in scope).
BUILD_FITTING = 3


def tuned_dir(settings: Settings) -> Path:
    """Where ``askbot tune`` keeps tuned models, beside the index builds."""
    return settings.index_dir / "tuned"


def active_model(settings: Settings) -> str:
    """The model every stage uses: the active tune of the configured model, else the model."""
    marker = tuned_dir(settings) / ACTIVE_TUNE
    if not marker.exists():
        return settings.model
    folder = tuned_dir(settings) / marker.read_text().strip()
    record = read_record(folder) if folder.is_dir() else None
    if record is None or record.get("base_model") != settings.model:
        return settings.model  # a tune of another model does not apply to this one
    return str(folder)


def tune(
    settings: Settings,
    *,
    config: TuneConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Fine-tune the configured model on the corpus and make the result the active model."""
    corpus = load_corpus(settings.corpus_dir)
    base = resolve_model_path(settings.model)
    name = f"{slugify(settings.model)}-{corpus.content_hash[:12]}"
    folder = tune_model(
        base,
        list(corpus.entries()),
        tuned_dir(settings) / name,
        config=config,
        record={
            "base_model": settings.model,
            "base_fingerprint": fingerprint_model(base),
            "corpus_hash": corpus.content_hash,
        },
        progress=progress,
    )
    marker = tuned_dir(settings) / ACTIVE_TUNE
    staging = marker.with_suffix(".tmp")
    staging.write_text(name + "\n")
    staging.replace(marker)  # atomic: a reader sees the old tune or the new one
    return folder


def reset_tune(settings: Settings) -> bool:
    """Go back to the configured model; returns whether a tune was active."""
    marker = tuned_dir(settings) / ACTIVE_TUNE
    if not marker.exists():
        return False
    marker.unlink()
    return True


def encoder_dir(settings: Settings) -> Path:
    """Where the ONNX export of the active model and precision lives."""
    model = active_model(settings)
    model_path = resolve_model_path(model)
    precision = settings.backend.removeprefix("onnx-")
    name = f"{slugify(model_name(model))}-{fingerprint_model(model_path)}-{precision}"
    return settings.index_dir / "encoders" / name


def load_query_embedder(settings: Settings, *, threads: int | None = None) -> Embedder:
    """The embedder that serves queries: the ONNX export, or the torch model.

    FAISS gets the same thread count: by default OpenMP starts one thread per core in every
    worker, and exact search then slows down several times when the workers share the cores.
    """
    threads = threads or settings.threads
    faiss.omp_set_num_threads(threads)
    if settings.backend == "torch":
        return load_embedder(active_model(settings), threads=threads)
    from askbot.onnx_embed import OnnxEmbedder  # onnxruntime is only needed on this path

    export = encoder_dir(settings)
    if not export.is_dir():
        read_manifest(settings.index_dir)  # no index at all says so first
        raise IndexMissingError(f"no {settings.backend} encoder in {export} (run: askbot build)")
    return OnnxEmbedder(export, threads=threads)


def ensure_encoder(settings: Settings) -> Embedder:
    """The build-time embedder, exporting the ONNX model first if it is not there yet."""
    model = active_model(settings)
    if settings.backend == "torch":
        return load_embedder(model)
    from askbot.onnx_embed import OnnxEmbedder, export_onnx

    target = encoder_dir(settings)
    if not (target / "onnx_export.json").exists():
        export_onnx(
            resolve_model_path(model),
            target,
            quantize=settings.backend == "onnx-int8",
            name=model_name(model),
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
        classify=fit_classifiers,
        calibrate=self_calibrations,
        fitting=BUILD_FITTING,
    )
    return corpus, index, built


def ensure_built(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Manifest, bool]:
    """The manifest of a fresh index, building one first if it is missing or stale.

    Fresh means: the manifest records the hash of the corpus files' bytes as they are now, the
    active model's id and this askbot's ``BUILD_FITTING``, and checksums the build's files still
    match. Then nothing is parsed or loaded. Otherwise this is ``build``: the corpus is parsed
    (a malformed file raises ``CorpusError`` naming file and line) and the build in service
    stays until a new one is published. Returns the manifest and whether it was (re)built.
    """
    model_id = embedder.model_id if embedder is not None else configured_model_id(settings)
    if model_id is not None:
        try:
            manifest = verified_manifest(
                settings.index_dir,
                model_id=model_id,
                corpus_hash=hash_corpus(settings.corpus_dir),
                fitting=BUILD_FITTING,
            )
            return replace(manifest, entries=[]), False
        except (IndexMissingError, IndexStaleError, IndexModelError, IndexCorruptError):
            pass  # build anew below, which parses the corpus and reports what is wrong with it
    _, index, built = build(settings, embedder=embedder, progress=progress)
    return index.manifest, built


def configured_model_id(settings: Settings) -> str | None:
    """The ``model_id`` the configured backend embeds with, without loading the model.

    None when the ONNX export does not exist yet (the next build makes it).
    """
    if settings.backend == "torch":
        return torch_model_id(active_model(settings))
    from askbot.onnx_embed import export_model_id

    try:
        return export_model_id(encoder_dir(settings))
    except EmbedderError:
        return None


def load_fresh_index(settings: Settings, model_id: str) -> FaqIndex:
    """The saved index, refusing one that is stale or from another model.

    Staleness is judged by hashing the corpus files; they are parsed only when they changed,
    so that a changed corpus that no longer parses is reported by file and line
    (``CorpusError``) rather than as a stale index that a build would then fail on.
    """
    try:
        return load_index(
            settings.index_dir,
            model_id=model_id,
            corpus_hash=hash_corpus(settings.corpus_dir),
            fitting=BUILD_FITTING,
        )
    except IndexStaleError:
        load_corpus(settings.corpus_dir)  # raises CorpusError naming the file and line
        raise


def open_retriever(settings: Settings, *, embedder: Embedder | None = None) -> Retriever:
    """A retriever over the saved, fresh index (``load_fresh_index``)."""
    embedder = embedder or load_query_embedder(settings)
    return Retriever(
        load_fresh_index(settings, embedder.model_id),
        embedder,
        off_topic_share=settings.off_topic_share,
    )
