"""Which encoder askbot uses: the configured model or its active tune, on the configured backend.

``askbot tune`` fine-tunes the configured model on the corpus into
``<index>/tuned/<model>-<corpus hash>/`` and marks it active in ``<index>/tuned/ACTIVE``; from
then on every stage uses the tuned model in place of the configured one, so the tune travels
with the index folder. With an ONNX backend, ``askbot build`` exports the active model once into
``<index>/encoders/<name>-<fingerprint>-<precision>/`` and embeds the corpus with that export,
so corpus and query vectors come from the same encoder and serving never imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import faiss

from askbot.config import Settings
from askbot.corpus import load_corpus
from askbot.corpus.entries import slugify
from askbot.embed.models import fingerprint_model, model_name, resolve_model_path, torch_model_id
from askbot.embed.protocol import Embedder
from askbot.embed.torch_backend import load_embedder
from askbot.embed.tune import TuneConfig, read_record, tune_model
from askbot.errors import EmbedderError, IndexMissingError

ACTIVE_TUNE = "ACTIVE"


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
    """The encoder that serves queries: the ONNX export of the active model, or torch.

    FAISS gets the same thread count: by default OpenMP starts one thread per core in every
    worker, and exact search then slows down several times when the workers share the cores.
    """
    threads = threads or settings.threads
    faiss.omp_set_num_threads(threads)
    if settings.backend == "torch":
        return load_embedder(active_model(settings), threads=threads)
    from askbot.embed.onnx_runtime import OnnxEmbedder  # onnxruntime only on this path

    export = encoder_dir(settings)
    if not export.is_dir():
        raise IndexMissingError(f"no {settings.backend} encoder in {export} (run: askbot build)")
    return OnnxEmbedder(export, threads=threads)


def ensure_encoder(settings: Settings, *, threads: int = 2) -> Embedder:
    """The active encoder for batch work, exporting the ONNX model first if it is not there.

    Building and evaluating are batch jobs: by default they use both cores.
    """
    model = active_model(settings)
    if settings.backend == "torch":
        return load_embedder(model, threads=threads)
    from askbot.embed.onnx_export import export_onnx
    from askbot.embed.onnx_runtime import OnnxEmbedder

    target = encoder_dir(settings)
    if not (target / "onnx_export.json").exists():
        export_onnx(
            resolve_model_path(model),
            target,
            quantize=settings.backend == "onnx-int8",
            name=model_name(model),
        )
    return OnnxEmbedder(target, threads=threads)


def configured_model_id(settings: Settings) -> str | None:
    """The ``model_id`` the configured backend embeds with, without loading the model.

    None when the ONNX export does not exist yet (the next build makes it).
    """
    if settings.backend == "torch":
        return torch_model_id(active_model(settings))
    from askbot.embed.onnx_runtime import export_model_id

    try:
        return export_model_id(encoder_dir(settings))
    except EmbedderError:
        return None
