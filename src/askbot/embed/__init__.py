"""Turning text into L2-normalised vectors: the ``Embedder`` protocol and its encoders."""

from askbot.embed.active import (
    active_model,
    configured_model_id,
    encoder_dir,
    ensure_encoder,
    load_query_embedder,
)
from askbot.embed.batching import MicroBatchingEmbedder, encode_async
from askbot.embed.caching import CachingEmbedder
from askbot.embed.models import fingerprint_model, model_name, resolve_model_path, torch_model_id
from askbot.embed.protocol import Embedder, Vectors
from askbot.embed.torch_backend import SentenceTransformerEmbedder, load_embedder

__all__ = [
    "CachingEmbedder",
    "Embedder",
    "MicroBatchingEmbedder",
    "SentenceTransformerEmbedder",
    "Vectors",
    "active_model",
    "configured_model_id",
    "encode_async",
    "encoder_dir",
    "ensure_encoder",
    "fingerprint_model",
    "load_embedder",
    "load_query_embedder",
    "model_name",
    "resolve_model_path",
    "torch_model_id",
]
