"""The torch encoder: a sentence-transformers model loaded from a local folder.

Used to tune, to export, and where ``ASKBOT_BACKEND=torch``; serving runs the ONNX export.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from askbot.embed.models import resolve_model_path, torch_model_id
from askbot.embed.protocol import Embedder, Vectors
from askbot.errors import EmbedderError


class SentenceTransformerEmbedder:
    """The torch path: a sentence-transformers model loaded from a local folder."""

    def __init__(self, model: str, *, batch_size: int = 64, threads: int | None = None) -> None:
        self._path = resolve_model_path(model)
        self._batch_size = batch_size
        # Weights come from disk, never a hub: make sure nothing tries the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            # A library's progress bar is noise in a CLI answer or a server log.
            transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]

            if threads is not None:
                torch.set_num_threads(threads)
            self._model: Any = SentenceTransformer(str(self._path), device="cpu")
        except Exception as exc:  # any loader failure is one clear error for the user
            raise EmbedderError(f"cannot load model from {self._path}: {exc}") from exc
        dim = (
            self._model.get_embedding_dimension()
            if hasattr(self._model, "get_embedding_dimension")
            else self._model.get_sentence_embedding_dimension()
        )
        if dim is None:
            raise EmbedderError(f"model at {self._path} does not declare its vector dimension")
        self._dimension = int(dim)
        self._model_id = torch_model_id(model)

    @property
    def model_id(self) -> str:
        """Model name plus a content fingerprint of its folder."""
        return self._model_id

    @property
    def dimension(self) -> int:
        """Vector length (384 for all-MiniLM-L6-v2)."""
        return self._dimension

    @property
    def path(self) -> Path:
        """The model folder on disk."""
        return self._path

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Encode and L2-normalise, so inner product equals cosine similarity."""
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def load_embedder(model: str, *, threads: int | None = None) -> Embedder:
    """Load the embedder for ``model`` (a folder path or a package name)."""
    return SentenceTransformerEmbedder(model, threads=threads)
